"""The bundled 8x8 handwritten digits (UCI Optical Recognition of Handwritten Digits).

1,797 images of 8 x 8 pixels with labels 0-9, shipped inside the package as
``digits.csv.gz`` (64 pixel columns in 0..16, then the label). Credits and license:
``DIGITS_LICENSE.md`` beside this file (CC BY 4.0, E. Alpaydin and C. Kaynak).
"""
import functools
import gzip
import importlib.resources
import io
import numbers

import numpy as np

from ..dataset import TensorDataset

__all__ = ["digits", "load_digits_arrays"]

N_SAMPLES = 1797


@functools.lru_cache(maxsize=1)
def _parsed():
    resource = importlib.resources.files(__package__).joinpath("digits.csv.gz")
    with resource.open("rb") as f:
        text = gzip.decompress(f.read()).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape != (N_SAMPLES, 65):
        raise ValueError(f"digits: the bundled digits.csv.gz has shape {table.shape}; "
                         f"expected ({N_SAMPLES}, 65) (the package data is damaged)")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("digits: the bundled digits.csv.gz holds values outside pixels 0..16 "
                         "and labels 0..9 (the package data is damaged)")
    images = (pixels.astype(np.float32) / np.float32(16.0)).reshape(-1, 1, 8, 8)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_digits_arrays():
    """All 1,797 samples: images float32 ``(1797, 1, 8, 8)`` in [0, 1], labels int64 ``(1797,)``.

    Fresh copies (the parsed file is cached).
    """
    images, labels = _parsed()
    return images.copy(), labels.copy()


def digits(test_fraction=0.2, seed=0):
    """A fixed ``(train, test)`` split of the digits as two ``TensorDataset``s.

    Each sample is ``(image (1, 8, 8) float32 in [0, 1], label int64 in 0..9)``.
    ``round(1797 * test_fraction)`` samples, drawn with ``np.random.default_rng(seed)``,
    go to the test set (359 with the defaults), the rest (1,438) to the training set;
    both keep the file's order. Same arguments, same split, on every machine. No
    network access.
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) \
            or not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be a number in (0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"digits: seed must be a non-negative int, got {seed!r}")
    images, labels = _parsed()
    n_test = min(max(int(round(N_SAMPLES * test_fraction)), 1), N_SAMPLES - 1)
    order = np.random.default_rng(int(seed)).permutation(N_SAMPLES)
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])
    return (TensorDataset(images[train_rows], labels[train_rows]),
            TensorDataset(images[test_rows], labels[test_rows]))
