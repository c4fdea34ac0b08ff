"""Reductions (sum, mean, prod, max, min, var, std, logsumexp, norm, cumsum) and their rules.

Every reduction takes NumPy's ``axis`` (None, int or tuple) and ``keepdims``.
max/min split the gradient evenly among tied elements (as PyTorch's amax/amin).
"""
import builtins

import numpy as np

from ..autograd.dispatch import apply
from ..autograd.primitive import Primitive, linear, make_op
from ._util import data_of, normalize_axes, shape_of
from .elementwise import divide, exp, log, multiply, sqrt, where
from .shape import broadcast_to, flip, reshape


def _kept_shape(in_shape, axes):
    """The shape of a keepdims reduction of ``in_shape`` over ``axes``."""
    return tuple(1 if i in axes else n for i, n in enumerate(in_shape))


def expand_reduced(grad, in_shape, axis, keepdims):
    """Broadcast the gradient of a reduction back over the reduced axes to ``in_shape``."""
    axes = normalize_axes(axis, len(in_shape))
    if not keepdims:
        grad = reshape(grad, _kept_shape(in_shape, axes))
    return broadcast_to(grad, in_shape)


def _restore(value, in_shape, axis, keepdims):
    """Reshape a reduced value so it broadcasts against the input (no broadcast copy)."""
    axes = normalize_axes(axis, len(in_shape))
    if not keepdims:
        value = reshape(value, _kept_shape(in_shape, axes))
    return value


def _list_input(x):
    if isinstance(x, (list, tuple)):
        from .shape import stack
        return stack(x)
    return x


# --------------------------------------------------------------------------- sum, mean
def _sum_forward(x, axis=None, keepdims=False, dtype=None):
    out = np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)
    return out


_SUM = linear("sum", _sum_forward,
              transpose=lambda grad, x, axis=None, keepdims=False, dtype=None:
              expand_reduced(grad, shape_of(x), axis, keepdims)).primitive


def sum(x, axis=None, keepdims=False, dtype=None):
    """Sum over ``axis`` (None: all). Shape: x's shape without the reduced axes (kept as 1 with keepdims)."""
    x = _list_input(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return apply(_SUM, x, axis=axis, keepdims=keepdims, dtype=dtype)


sum.primitive = _SUM


def _count(shape, axis):
    axes = normalize_axes(axis, len(shape))
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _mean_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        from ..dtypes import get_default_dtype
        x = x.astype(get_default_dtype())
    return np.mean(x, axis=axis, keepdims=keepdims)


def _mean_transpose(grad, x, axis=None, keepdims=False):
    shape = shape_of(x)
    return expand_reduced(grad * (1.0 / builtins.max(_count(shape, axis), 1)), shape, axis, keepdims)


_MEAN = linear("mean", _mean_forward, transpose=_mean_transpose).primitive


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    x = _list_input(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return apply(_MEAN, x, axis=axis, keepdims=keepdims)


mean.primitive = _MEAN


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's default ddof=0)."""
    x = _list_input(x)
    n = _count(shape_of(x), axis)
    centered = x - mean(x, axis=axis, keepdims=True)
    return sum(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / builtins.max(n - ddof, 0)
                                                                     if n - ddof > 0 else np.inf)


def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation: sqrt(var(x, axis, ddof))."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


# --------------------------------------------------------------------------- max, min
class _Extreme(Primitive):
    needs_output = True

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def forward(self, x, axis=None, keepdims=False):
        return self.fn(x, axis=axis, keepdims=keepdims)

    def _weights(self, x, out, axis, keepdims, dtype):
        xd = data_of(x)
        od = np.asarray(data_of(out))
        if not keepdims:
            od = od.reshape(_kept_shape(xd.shape, normalize_axes(axis, xd.ndim)))
        mask = (xd == od)
        return (mask / mask.sum(axis=axis, keepdims=True)).astype(dtype)

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        weights = self._weights(x, out, axis, keepdims, data_of(grad).dtype)
        return (_restore(grad, shape_of(x), axis, keepdims) * weights,)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        weights = self._weights(x, out, axis, keepdims, data_of(out).dtype)
        return sum(tangents[0] * weights, axis=axis, keepdims=keepdims)


_MAX, _MIN = _Extreme("max", np.max), _Extreme("min", np.min)


def max(x, axis=None, keepdims=False):
    """Largest element over ``axis`` (np.amax); tied maxima share the gradient evenly."""
    x = _list_input(x)
    _check_nonempty(x, axis, "max")
    return apply(_MAX, x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis`` (np.amin); tied minima share the gradient evenly."""
    x = _list_input(x)
    _check_nonempty(x, axis, "min")
    return apply(_MIN, x, axis=axis, keepdims=keepdims)


max.primitive, min.primitive = _MAX, _MIN
amax, amin = max, min


def _check_nonempty(x, axis, op):
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape), op)
    if any(shape[a] == 0 for a in axes) or (axis is None and 0 in shape):
        raise ValueError(f"{op}: zero-size array (shape {tuple(shape)}) has no identity; "
                         f"cannot reduce over axis {axis}")


# --------------------------------------------------------------------------- prod
class _Prod(Primitive):
    """Product over ``axis``. The gradient is the product of the *other* elements (exact with zeros)."""

    name = "prod"
    needs_output = True

    def forward(self, x, axis=None, keepdims=False):
        return np.prod(x, axis=axis, keepdims=keepdims)

    def _others(self, x, out, axis, keepdims):
        xd = data_of(x)
        zero = xd == 0
        if not zero.any():
            return _restore(out, shape_of(x), axis, keepdims) / x
        zeros = zero.sum(axis=axis, keepdims=True)
        safe_x = where(zero, 1, x)
        prod_nonzero = prod(safe_x, axis=axis, keepdims=True)
        at_zero = where(zeros == 1, prod_nonzero, 0)
        return where(zero, at_zero, prod_nonzero / safe_x * (zeros == 0))

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        return (_restore(grad, shape_of(x), axis, keepdims) * self._others(x, out, axis, keepdims),)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        return sum(tangents[0] * self._others(x, out, axis, keepdims), axis=axis, keepdims=keepdims)


_PROD = _Prod()


def prod(x, axis=None, keepdims=False):
    """Product of elements over ``axis``; exact gradients even when elements are zero."""
    x = _list_input(x)
    return apply(_PROD, x, axis=axis, keepdims=keepdims)


prod.primitive = _PROD


# --------------------------------------------------------------------------- logsumexp
class _LogSumExp(Primitive):
    name = "logsumexp"
    needs_output = True

    def forward(self, x, axis=None, keepdims=False):
        x = np.asarray(x)
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        if not keepdims:
            out = out.reshape(np.sum(x, axis=axis).shape) if axis is not None or x.ndim else out
            if axis is None:
                out = out.reshape(())
        return out

    def _softmax(self, x, out, axis, keepdims):
        return exp(x - _restore(out, shape_of(x), axis, keepdims))

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        return (_restore(grad, shape_of(x), axis, keepdims) * self._softmax(x, out, axis, keepdims),)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        return sum(tangents[0] * self._softmax(x, out, axis, keepdims), axis=axis, keepdims=keepdims)


_LSE = _LogSumExp()


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis`` without overflow; its gradient is softmax(x)."""
    x = _list_input(x)
    return apply(_LSE, x, axis=axis, keepdims=keepdims)


logsumexp.primitive = _LSE


# --------------------------------------------------------------------------- norm
class _L2Norm(Primitive):
    """sqrt(sum(x**2)) over ``axis``; gradient x / norm, and 0 at x = 0 (a subgradient, as PyTorch)."""

    name = "norm"
    needs_output = True

    def forward(self, x, axis=None, keepdims=False):
        x = np.asarray(x)
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))

    def _direction(self, x, out, axis, keepdims):
        norm_b = _restore(out, shape_of(x), axis, keepdims)
        return x / where(data_of(norm_b) == 0, 1, norm_b)

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        return (_restore(grad, shape_of(x), axis, keepdims) * self._direction(x, out, axis, keepdims),)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        return sum(tangents[0] * self._direction(x, out, axis, keepdims), axis=axis, keepdims=keepdims)


_L2 = _L2Norm()


def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (ord None/2, 1, inf, -inf, 0, p) and matrix norms ('fro', 1, -1, inf, -inf).

    ``axis=None`` on a 2-D input is the matrix Frobenius norm (for ord None/'fro'),
    as NumPy. The 2-norm's gradient at 0 is 0.
    """
    from .elementwise import abs as abs_, power
    x = _list_input(x)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("fro", "f") and nd == 2):
            return apply(_L2, x, axis=None, keepdims=keepdims)
        if nd == 1:
            axis = 0
        elif nd == 2:
            axis = (0, 1)
        else:
            raise ValueError(f"norm: improper number of dimensions to norm ({nd}) for ord={ord}")
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        row, col = normalize_axes(axis, nd, "norm")
        row, col = (axis[0] % nd, axis[1] % nd)
        if ord in (None, "fro", "f"):
            return apply(_L2, x, axis=(row, col), keepdims=keepdims)
        if ord in (1, -1):
            column_sums = sum(abs_(x), axis=row, keepdims=True)
            red = max if ord == 1 else min
            out = red(column_sums, axis=col, keepdims=True)
        elif ord in (np.inf, -np.inf):
            row_sums = sum(abs_(x), axis=col, keepdims=True)
            red = max if ord == np.inf else min
            out = red(row_sums, axis=row, keepdims=True)
        else:
            raise ValueError(f"norm: matrix ord={ord!r} is not supported (supported: None, 'fro', "
                             "1, -1, inf, -inf)")
        if not keepdims:
            out = reshape(out, tuple(n for i, n in enumerate(shape_of(out)) if i not in (row, col)))
        return out
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ValueError(f"norm: axis must be an int or a 1- or 2-tuple, got {axis}")
        axis = axis[0]
    if ord is None or ord == 2:
        return apply(_L2, x, axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return max(abs_(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs_(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        from .shape import astype
        return sum(astype(data_of(x) != 0, data_of(x).dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(abs_(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    return power(sum(power(abs_(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)


# --------------------------------------------------------------------------- cumsum
def _cumsum_transpose(grad, x, axis=None):
    if axis is None:
        return reshape(flip(cumsum(flip(grad, 0), axis=0), 0), shape_of(x))
    return flip(cumsum(flip(grad, axis), axis=axis), axis)


_CUMSUM = linear("cumsum", lambda x, axis=None: np.cumsum(x, axis=axis),
                 transpose=_cumsum_transpose).primitive


def cumsum(x, axis=None):
    """Cumulative sum along ``axis`` (None: over the flattened array, as NumPy)."""
    return apply(_CUMSUM, x, axis=axis)


cumsum.primitive = _CUMSUM


def cumprod(x, axis=None):
    """Cumulative product along ``axis`` (composite: exp-free, exact with zeros via prod of prefixes)."""
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    n = shape_of(x)[axis]
    from .shape import stack, take
    return stack([prod(take(x, np.arange(i + 1), axis=axis), axis=axis) for i in range(n)],
                 axis=axis)


__all__ = ["sum", "mean", "var", "std", "max", "min", "amax", "amin", "prod", "logsumexp",
           "norm", "cumsum", "cumprod", "expand_reduced", "multiply", "divide", "log"]
