"""Small helpers shared by the op modules (constants from data, axis normalisation)."""
import numpy as np

from ..autograd import dispatch


def data_of(x):
    """The ndarray behind a Tensor, or the value itself (for computing constants: masks, shapes)."""
    return x.data if isinstance(x, dispatch._Tensor) else x


def shape_of(x):
    return x.shape if hasattr(x, "shape") else np.shape(x)


def dtype_of(x):
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def normalize_axes(axis, ndim, op="op"):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


def is_tensor(x):
    return isinstance(x, dispatch._Tensor)
