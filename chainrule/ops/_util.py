"""Small helpers shared by the op modules (constants from data, axis normalisation)."""
import numpy as np

from ..core.numeric import AxisError, axis_error, normalize_axes  # noqa: F401 (re-exported)
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
