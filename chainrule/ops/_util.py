"""Small helpers shared by the op modules (constants from data, axis normalisation)."""
import numpy as np

from ..core.numeric import AxisError, axis_error, normalize_axes  # noqa: F401 (re-exported)
from ..dtypes import NUMERIC_KINDS, non_numeric_error, ragged_where
from ..tensor import Tensor


def data_of(x):
    """The ndarray behind a Tensor, or the value itself (for computing constants: masks, shapes)."""
    return x.data if isinstance(x, Tensor) else x


def shape_of(x):
    return x.shape if hasattr(x, "shape") else np.shape(x)


def dtype_of(x):
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def as_tensor_like(x):
    """A Tensor for x (Tensors pass through; arrays are wrapped without copying)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x)
    return Tensor(x)


def is_tensor(x):
    return isinstance(x, Tensor)


def numeric_input(x, op, what="input"):
    """``x`` unchanged if it is a Tensor, a numeric ndarray, a real number or a (non-ragged)
    list of them; else the TypeError (ValueError for ragged lists) naming ``op``."""
    if isinstance(x, Tensor) or type(x) in (float, int, bool):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in NUMERIC_KINDS:
            raise non_numeric_error(op, x.dtype)
        return x
    if isinstance(x, (list, tuple)):
        ragged = ragged_where(x)
        if ragged:
            raise ValueError(f"{op}: {what} is a ragged nested sequence: {ragged} (every list "
                             f"at one depth needs the same length)")
        try:
            kind = np.asarray(x).dtype.kind
        except (TypeError, ValueError):
            kind = "O"
        if kind in NUMERIC_KINDS:
            return x
    raise TypeError(f"{op}: expected a Tensor, an ndarray or a number as {what}, got "
                    f"{type(x).__name__}")
