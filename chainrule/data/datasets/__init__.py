"""Ready-made datasets: ``digits`` (bundled, no network), ``mnist`` and ``fashion_mnist``
(downloaded once, checksummed), each returning ``(train, test)`` TensorDatasets of
float32 images ``(N, 1, H, W)`` in [0, 1] and int64 labels; ``read_idx``/``write_idx``."""
from .digits import digits, load_digits_arrays
from .idx import read_idx, write_idx
from .mnist import default_root, fashion_mnist, mnist

__all__ = ["digits", "load_digits_arrays", "mnist", "fashion_mnist", "default_root",
           "read_idx", "write_idx"]
