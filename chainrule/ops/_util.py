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


AxisError = np.exceptions.AxisError  # a ValueError and an IndexError, as NumPy raises


def normalize_axes(axis, ndim, op="op"):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative ints.

    Raises ``AxisError`` (a ValueError and IndexError) naming ``op`` for an axis out of
    range, ValueError for a repeated axis, TypeError for a non-integer axis.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    elif not isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got "
                        f"{type(axis).__name__}")
    out = []
    for a in axis:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
        a = int(a)
        if not -ndim <= a < ndim and not (ndim == 0 and a == 0):
            raise AxisError(f"{op}: axis {a} is out of bounds for a tensor of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


def axis_error(op, axis, ndim, error):
    """The error to raise when NumPy rejected ``axis`` for op ``op``: one that names the op."""
    try:
        normalize_axes(axis, ndim, op)
    except (ValueError, TypeError) as named:
        return named
    return error


def is_tensor(x):
    return isinstance(x, dispatch._Tensor)
