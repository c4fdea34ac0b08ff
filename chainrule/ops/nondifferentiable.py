"""Functions with integer or boolean results: no gradient flows.

Here: comparisons, logical operations, argmax/argmin, isnan/isfinite, argsort, nonzero.
(sign, floor, ceil, round are step functions in elementwise.py: their float output requires
grad and backpropagates zeros, as in PyTorch.)

Documented behaviour (API.md §2): these functions record no graph node, so their output
never requires grad, and an expression that also uses them receives a zero contribution
from them (``d/dx (x + argmax(x)) = 1``); forward mode carries no tangent through them.
"""
import numpy as np

from ..core.primitive import nondifferentiable
from ..tensor import Tensor
from ._util import data_of

less = nondifferentiable("less", np.less)
less_equal = nondifferentiable("less_equal", np.less_equal)
greater = nondifferentiable("greater", np.greater)
greater_equal = nondifferentiable("greater_equal", np.greater_equal)
equal = nondifferentiable("equal", np.equal)
not_equal = nondifferentiable("not_equal", np.not_equal)
logical_and = nondifferentiable("logical_and", np.logical_and)
logical_or = nondifferentiable("logical_or", np.logical_or)
logical_xor = nondifferentiable("logical_xor", np.logical_xor)
logical_not = nondifferentiable("logical_not", np.logical_not)
isnan = nondifferentiable("isnan", np.isnan)
isfinite = nondifferentiable("isfinite", np.isfinite)
isinf = nondifferentiable("isinf", np.isinf)
signbit = nondifferentiable("signbit", np.signbit)
isclose = nondifferentiable("isclose", np.isclose)

_argmax = nondifferentiable("argmax", lambda x, axis=None, keepdims=False:
                            np.argmax(x, axis=axis, keepdims=keepdims))
_argmin = nondifferentiable("argmin", lambda x, axis=None, keepdims=False:
                            np.argmin(x, axis=axis, keepdims=keepdims))
_argsort = nondifferentiable("argsort", lambda x, axis=-1: np.argsort(x, axis=axis, kind="stable"))


def argmax(x, axis=None, keepdims=False):
    """Index of the largest element (of the flattened array when axis is None). int64."""
    _check_axis(axis, "argmax")
    return _argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest element (of the flattened array when axis is None). int64."""
    _check_axis(axis, "argmin")
    return _argmin(x, axis=axis, keepdims=keepdims)


def _check_axis(axis, op):
    if axis is not None and (not isinstance(axis, (int, np.integer)) or isinstance(axis, bool)):
        raise TypeError(f"{op}: axis must be None or an int, got {type(axis).__name__} {axis!r}")


def argsort(x, axis=-1):
    """Indices that sort x along ``axis`` (stable)."""
    return _argsort(x, axis=axis)


def nonzero(x):
    """Tuple of index tensors of the non-zero elements (np.nonzero)."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return tuple(Tensor._wrap(i) for i in np.nonzero(data))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when all elements are close (a Python bool)."""
    return bool(np.allclose(data_of(a), data_of(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a, b):
    return bool(np.array_equal(data_of(a), data_of(b)))


__all__ = ["allclose", "argmax", "argmin", "argsort", "array_equal", "equal", "greater",
           "greater_equal", "isclose", "isfinite", "isinf", "isnan", "less", "less_equal",
           "logical_and", "logical_not", "logical_or", "logical_xor", "nonzero", "not_equal",
           "signbit"]
