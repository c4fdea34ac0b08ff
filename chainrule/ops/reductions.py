"""Reductions (sum, mean, prod, max, min, var, std, logsumexp, cumsum, trace) and their rules.

Every reduction takes NumPy's ``axis`` (None, int or tuple) and ``keepdims``.
max/min split the gradient evenly among tied elements (as PyTorch's amax/amin).
"""
import builtins
import numbers

import numpy as np

from ..core.apply import apply
from ..core.numeric import weak_result
from ..core.primitive import Primitive, linear
from ._util import axis_error, data_of, normalize_axes, shape_of
from ..dtypes import get_default_dtype
from .elementwise import exp, maximum, minimum, sqrt, where
from .shape import (_DIAGONAL, _diagonal_params, astype, broadcast_to, expand_dims, flip, reshape,
                    stack, take, transpose)


def _check_keepdims(keepdims, op):
    """keepdims must be a bool: NumPy's positional order (a, axis, dtype, ...) would otherwise
    pass a dtype here silently (chainrule's is PyTorch's: x, axis, keepdims)."""
    if isinstance(keepdims, (bool, np.bool_)) or type(keepdims) is int:
        return bool(keepdims)
    raise TypeError(f"{op}: keepdims must be a bool, got {keepdims!r}; the positional order is "
                    f"{op}(x, axis, keepdims, ...) -- pass dtype= as a keyword")


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
        return stack(x)
    return x


# --------------------------------------------------------------------------- NumPy's extra keywords
def _cast(x, dtype):
    """x computed in ``dtype`` (NumPy's ``dtype=`` of a reduction): None leaves it as it is."""
    if dtype is None:
        return x
    return astype(x, dtype)


def _mask(where_, x, op):
    """The boolean mask of NumPy's ``where=`` broadcast to x's shape (an ndarray constant)."""
    mask = np.asarray(data_of(where_))
    if mask.dtype != np.bool_:
        raise TypeError(f"{op}: where= must be a boolean array, got dtype {mask.dtype}")
    try:
        return np.broadcast_to(mask, tuple(shape_of(x)))
    except ValueError:
        raise ValueError(f"{op}: where= of shape {mask.shape} does not broadcast to the input's "
                         f"shape {tuple(shape_of(x))}") from None


def _masked(x, where_, fill, op):
    """x with the elements where the ``where=`` mask is False replaced by ``fill`` (no gradient
    flows to them). ``where_=True`` (NumPy's default) returns x unchanged."""
    if where_ is True:
        return x
    return where(_mask(where_, x, op), x, fill)


# --------------------------------------------------------------------------- sum, mean
def _sum_forward(x, axis=None, keepdims=False, dtype=None):
    try:
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise axis_error("sum", axis, np.ndim(x), error) from None


_SUM = linear("sum", _sum_forward,
              transpose=lambda grad, x, axis=None, keepdims=False, dtype=None:
              expand_reduced(grad, shape_of(x), axis, keepdims),
              formula="1 for every element: upstream broadcast back to {shape}").primitive


def sum(x, axis=None, keepdims=False, dtype=None, *, initial=None, where=True, dim=None,
        keepdim=None):
    """Sum over ``axis`` (None: all). Shape: x's shape without the reduced axes (kept as 1 with keepdims).

    NumPy's ``initial=`` (a scalar added to each sum) and ``where=`` (a boolean mask
    broadcastable to x; only its True elements are summed and get gradients) are accepted."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "sum")
    x = _masked(_list_input(x), where, 0, "sum")
    if isinstance(axis, list):
        axis = tuple(axis)
    out = apply(_SUM, x, axis=axis, keepdims=keepdims, dtype=dtype)
    return out if initial is None else out + initial


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
        x = x.astype(get_default_dtype())
    try:
        return np.mean(x, axis=axis, keepdims=keepdims)
    except (ValueError, TypeError) as error:
        raise axis_error("mean", axis, np.ndim(x), error) from None


def _mean_transpose(grad, x, axis=None, keepdims=False):
    shape = shape_of(x)
    return expand_reduced(grad * (1.0 / builtins.max(_count(shape, axis), 1)), shape, axis, keepdims)


_MEAN = linear("mean", _mean_forward, transpose=_mean_transpose,
               formula="1/{n} for every element: upstream / {n}, broadcast back to {shape}"
               ).primitive


def mean(x, axis=None, keepdims=False, dtype=None, *, where=True, dim=None, keepdim=None):
    """Arithmetic mean over ``axis``; ``dtype`` is the dtype it is computed in (as np.mean).

    ``where=`` (NumPy's boolean mask, broadcastable to x) averages only the True elements."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "mean")
    x = _cast(_list_input(x), dtype)
    if isinstance(axis, list):
        axis = tuple(axis)
    if where is True:
        return apply(_MEAN, x, axis=axis, keepdims=keepdims)
    mask = _mask(where, x, "mean")
    total = sum(_masked(x, mask, 0, "mean"), axis=axis, keepdims=keepdims)
    count = np.sum(mask, axis=axis, keepdims=keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (1.0 / count).astype(np.asarray(data_of(total)).dtype)
    return total * scale


mean.primitive = _MEAN


def var(x, axis=None, ddof=0, keepdims=False, dtype=None, *, correction=None, dim=None,
        keepdim=None):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's default ddof=0).

    ``correction`` is NumPy 2's (Array API) name for ``ddof``; ``dtype`` the dtype it is
    computed in."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "var")
    return _var(x, axis, _ddof(ddof, correction, "var"), keepdims, "var", dtype)


def _ddof(ddof, correction, op):
    for name, value in (("ddof", ddof), ("correction", correction)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(f"{op}: {name} must be a number, got {value!r}; the positional "
                            f"order is {op}(x, axis, ddof, keepdims) -- pass dtype= as a keyword")
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"{op}: ddof and correction can't be provided simultaneously "
                         f"(got ddof={ddof!r}, correction={correction!r})")
    return correction


def _var(x, axis, ddof, keepdims, op, dtype=None):
    x = _cast(_list_input(x), dtype)
    if isinstance(axis, list):
        axis = tuple(axis)
    normalize_axes(axis, len(shape_of(x)), op)
    n = _count(shape_of(x), axis)
    centered = x - mean(x, axis=axis, keepdims=True)
    return sum(centered * centered, axis=axis, keepdims=keepdims) * (1.0 / builtins.max(n - ddof, 0)
                                                                     if n - ddof > 0 else np.inf)


def std(x, axis=None, ddof=0, keepdims=False, dtype=None, *, correction=None, dim=None,
        keepdim=None):
    """Standard deviation: sqrt(var(x, axis, ddof)); ``correction`` is NumPy 2's name for ddof."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "std")
    variance = _var(x, axis, _ddof(ddof, correction, "std"), keepdims, "std", dtype)
    zero = np.asarray(data_of(variance)) == 0
    if not zero.any():
        return sqrt(variance)
    # All-equal slices: std is |x - mean|-like there, with a kink; use the subgradient 0
    # (as norm at 0) instead of sqrt'(0) * 0 = inf * 0 = NaN.
    return where(zero, 0, sqrt(where(zero, 1, variance)))


# --------------------------------------------------------------------------- max, min
class _Extreme(Primitive):
    needs_output = True

    def __init__(self, name, fn):
        self.name, self.fn = name, fn
        which = "maximum" if name in ("max", "amax") else "minimum"
        self.formula = f"1 at the {which} (split at ties), 0 elsewhere"

    def forward(self, x, axis=None, keepdims=False):
        try:
            out = self.fn(x, axis=axis, keepdims=keepdims)
        except (ValueError, TypeError) as error:
            raise axis_error(self.name, axis, np.ndim(x), error) from None
        return out if type(x) is np.ndarray else weak_result(out, (x,))

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


def _extreme(name, prim, fill, combine, x, axis, keepdims, initial, where, dim, keepdim):
    """max or min: NumPy's initial=/where= handled around the one primitive."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, name)
    x = _list_input(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    if initial is None:
        if where is not True:
            raise ValueError(f"{name}: reduction has no identity, so where= needs initial= "
                             "(as NumPy)")
        _check_nonempty(x, axis, name)
        return apply(prim, x, axis=axis, keepdims=keepdims)
    x = _masked(x, where, fill, name)
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape), name)
    if any(shape[a] == 0 for a in axes) or (axis is None and 0 in shape):
        # Nothing to compare: every result is `initial` (x gets its empty gradient).
        return sum(x, axis=axis, keepdims=keepdims) * 0 + initial
    return combine(apply(prim, x, axis=axis, keepdims=keepdims), initial)


def max(x, axis=None, keepdims=False, *, initial=None, where=True, dim=None, keepdim=None):
    """Largest element over ``axis`` (np.amax); tied maxima share the gradient evenly.

    NumPy's ``initial=`` (a scalar that takes part in every reduction, so empty slices are
    allowed) and ``where=`` (a boolean mask broadcastable to x; needs ``initial``) are accepted;
    where the result equals ``initial`` the gradient is shared with it as with a tie."""
    return _extreme("max", _MAX, -np.inf, maximum, x, axis, keepdims, initial, where, dim,
                    keepdim)


def min(x, axis=None, keepdims=False, *, initial=None, where=True, dim=None, keepdim=None):
    """Smallest element over ``axis`` (np.amin); tied minima share the gradient evenly.

    NumPy's ``initial=`` and ``where=`` as for ``max``."""
    return _extreme("min", _MIN, np.inf, minimum, x, axis, keepdims, initial, where, dim,
                    keepdim)


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
        try:
            out = np.prod(x, axis=axis, keepdims=keepdims)
        except (ValueError, TypeError) as error:
            raise axis_error("prod", axis, np.ndim(x), error) from None
        return out if type(x) is np.ndarray else weak_result(out, (x,))

    def _others(self, x, out, axis, keepdims):
        """For each element, the product of the *other* elements of its reduction slice."""
        xd = data_of(x)
        zero = xd == 0
        if not zero.any():
            return _restore(out, shape_of(x), axis, keepdims) / x
        if isinstance(x, np.ndarray):
            # Values only (nothing is recorded): exact with zeros, O(size).
            zeros = zero.sum(axis=axis, keepdims=True)
            safe_x = np.where(zero, 1, x)
            prod_nonzero = np.prod(safe_x, axis=axis, keepdims=True)
            at_zero = np.where(zeros == 1, prod_nonzero, 0)
            return np.where(zero, at_zero, prod_nonzero / safe_x * (zeros == 0)).astype(x.dtype)
        # Recorded (higher order): a leave-one-out product, a polynomial in x, so every
        # derivative is exact at zeros too. Costs n x n per reduction slice of n elements.
        return _leave_one_out_prod(x, axis)

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        return (_restore(grad, shape_of(x), axis, keepdims) * self._others(x, out, axis, keepdims),)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        return sum(tangents[0] * self._others(x, out, axis, keepdims), axis=axis, keepdims=keepdims)


_PROD = _Prod()


def _leave_one_out_prod(x, axis):
    """others[i] = prod_{k != i} x[k] over the reduced axes, in differentiable ops."""
    shape = shape_of(x)
    nd = len(shape)
    axes = normalize_axes(axis, nd, "prod")
    kept = tuple(i for i in range(nd) if i not in axes)
    order = kept + axes
    n = 1
    for a in axes:
        n *= shape[a]
    kept_shape = tuple(shape[i] for i in kept)
    flat = reshape(transpose(x, order), kept_shape + (n,))
    rows = broadcast_to(expand_dims(flat, -2), kept_shape + (n, n))
    others = prod(where(np.eye(n, dtype=bool), 1, rows), axis=-1)
    others = reshape(others, kept_shape + tuple(shape[a] for a in axes))
    return transpose(others, tuple(int(i) for i in np.argsort(order)))


def prod(x, axis=None, keepdims=False, dtype=None, *, initial=None, where=True, dim=None,
         keepdim=None):
    """Product of elements over ``axis``; exact gradients even when elements are zero.

    NumPy's ``dtype=`` (computed in that dtype), ``initial=`` (a scalar factor of every product)
    and ``where=`` (a boolean mask; only True elements are multiplied) are accepted."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "prod")
    x = _masked(_cast(_list_input(x), dtype), where, 1, "prod")
    if isinstance(axis, list):
        axis = tuple(axis)
    out = apply(_PROD, x, axis=axis, keepdims=keepdims)
    return out if initial is None else out * initial


prod.primitive = _PROD


# --------------------------------------------------------------------------- logsumexp
class _LogSumExp(Primitive):
    name = "logsumexp"
    needs_output = True
    formula = "softmax({x}) for every element"

    def forward(self, x, axis=None, keepdims=False):
        if type(x) is not np.ndarray:
            x = weak_result(x, (x,))
        if x.dtype.kind in "iub":  # integer input: the default float dtype (as mean, PyTorch)
            x = x.astype(get_default_dtype())
        try:
            m = np.max(x, axis=axis, keepdims=True)
        except (ValueError, TypeError) as error:
            raise axis_error("logsumexp", axis, x.ndim, error) from None
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


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(exp(x))) over ``axis`` without overflow; its gradient is softmax(x)."""
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    keepdims = _check_keepdims(keepdims, "logsumexp")
    x = _list_input(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return apply(_LSE, x, axis=axis, keepdims=keepdims)


logsumexp.primitive = _LSE


# --------------------------------------------------------------------------- trace
def trace(x, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along a diagonal (np.trace); ``dtype`` is the dtype of the sum (as np.trace)."""
    return sum(apply(_DIAGONAL, x, **_diagonal_params(x, offset, axis1, axis2, "trace")), axis=-1,
                dtype=dtype)


# --------------------------------------------------------------------------- cumsum
def _cumsum_transpose(grad, x, axis=None):
    if axis is None:
        return reshape(flip(cumsum(flip(grad, 0), axis=0), 0), shape_of(x))
    return flip(cumsum(flip(grad, axis), axis=axis), axis)


def _cumsum_forward(x, axis=None):
    try:
        return np.cumsum(x, axis=axis)
    except (ValueError, TypeError) as error:
        raise axis_error("cumsum", axis, np.ndim(x), error) from None


_CUMSUM = linear("cumsum", _cumsum_forward, transpose=_cumsum_transpose).primitive


def cumsum(x, axis=None, dtype=None, *, dim=None):
    """Cumulative sum along ``axis`` (None: over the flattened array, as NumPy), in ``dtype``."""
    if dim is not None:
        axis = dim
    return apply(_CUMSUM, _cast(x, dtype), axis=axis)


cumsum.primitive = _CUMSUM


def cumprod(x, axis=None):
    """Cumulative product along ``axis`` (composite: exp-free, exact with zeros via prod of prefixes)."""
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    axis = normalize_axes(axis, len(shape_of(x)), "cumprod")[0]
    n = shape_of(x)[axis]
    return stack([prod(take(x, np.arange(i + 1), axis=axis), axis=axis) for i in range(n)],
                 axis=axis)


__all__ = ["amax", "amin", "cumprod", "cumsum", "logsumexp", "max", "mean", "min", "prod", "std",
           "sum", "trace", "var"]
