"""Norms: ``cr.norm`` / ``cr.linalg.norm`` as ``np.linalg.norm`` -- vector norms (2, 1, inf,
-inf, 0, p) and matrix norms ('fro', 'nuc', 1, -1, 2, -2, inf, -inf).

The 2-norm is one primitive (its gradient x / norm, 0 at x = 0 as PyTorch); the singular-value
norms ('nuc', 2, -2) are one primitive over an SVD whose gradient direction is another
(first order only); the rest compose reductions and elementwise ops.
"""
import numpy as np

from ..core.apply import apply
from ..core.numeric import weak_result
from ..core.primitive import Primitive
from ._util import axis_error, data_of, normalize_axes, shape_of
from .elementwise import abs as abs_
from .elementwise import power, where
from .reductions import _kept_shape, _list_input, _restore, max, min, sum
from .shape import reshape


class _L2Norm(Primitive):
    """sqrt(sum(x**2)) over ``axis``; gradient x / norm, and 0 at x = 0 (a subgradient, as PyTorch)."""

    name = "norm"
    needs_output = True

    def forward(self, x, axis=None, keepdims=False):
        if type(x) is not np.ndarray:
            x = weak_result(x, (x,))
        try:
            with np.errstate(over="ignore"):     # an overflow is recomputed scaled (below)
                out = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        except (ValueError, TypeError) as error:
            raise axis_error("norm", axis, x.ndim, error) from None
        if out.dtype.kind == "f" and out.size and not np.isfinite(_vdot(out, out)):
            out = self._scaled(x, out, axis, keepdims)
        return out

    @staticmethod
    def _scaled(x, out, axis, keepdims):
        """Where squaring overflowed (||[1e300]|| is not inf): max|x| * ||x / max|x|||."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            m = np.max(np.abs(x), axis=axis, keepdims=True)
            m = np.where(np.isfinite(m) & (m > 0), m, 1).astype(m.dtype, copy=False)
            scaled = x / m
            again = np.sqrt(np.sum(scaled * scaled, axis=axis, keepdims=keepdims))
            if not keepdims:
                m = np.squeeze(m, axis=axis) if axis is not None else m.reshape(())
            again = (again * m).astype(out.dtype, copy=False)
        return np.where(np.isinf(out), again, out).astype(out.dtype, copy=False)

    def _direction(self, x, out, axis, keepdims):
        norm_b = _restore(out, shape_of(x), axis, keepdims)
        return x / where(data_of(norm_b) == 0, 1, norm_b)

    def vjp(self, needs, grad, out, x, axis=None, keepdims=False):
        return (_restore(grad, shape_of(x), axis, keepdims) * self._direction(x, out, axis, keepdims),)

    def jvp(self, tangents, out, x, axis=None, keepdims=False):
        return sum(tangents[0] * self._direction(x, out, axis, keepdims), axis=axis, keepdims=keepdims)


_L2 = _L2Norm()


class _SingularFactor(Primitive):
    """The gradient direction of an SVD-based matrix norm, shape of x: U V^T ('nuc'),
    u_1 v_1^T (ord=2, the largest singular value), u_k v_k^T (ord=-2, the smallest).

    Computed from a NumPy SVD of the matrices over ``axes`` (row, col). Its own derivative
    is not implemented: differentiating through it (a second derivative of the norm)
    raises NotImplementedError rather than returning a wrong value."""

    name = "norm_singular_factor"

    def forward(self, x, ord, axes):
        x = np.asarray(x)
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        moved = np.moveaxis(work, axes, (-2, -1))
        u, _, vh = np.linalg.svd(moved, full_matrices=False)
        if ord == "nuc":
            factor = u @ vh
        elif ord == 2:                       # singular values come sorted, largest first
            factor = u[..., :, :1] @ vh[..., :1, :]
        else:
            factor = u[..., :, -1:] @ vh[..., -1:, :]
        factor = np.moveaxis(factor, (-2, -1), axes)
        return factor.astype(x.dtype) if x.dtype.kind == "f" else weak_result(factor, (x,))

    def _unsupported(self, ord):
        return NotImplementedError(
            f"norm: the second derivative of the matrix norm ord={ord!r} is not implemented "
            "(its gradient comes from an SVD held constant; first derivatives are exact)")

    def vjp(self, needs, grad, out, x, ord, axes):
        raise self._unsupported(ord)

    def jvp(self, tangents, out, x, ord, axes):
        raise self._unsupported(ord)


_SINGULAR_FACTOR = _SingularFactor()


class _SingularValueNorm(Primitive):
    """Matrix norms from singular values over ``axes`` = (row, col), as np.linalg.norm:
    'nuc' the sum, ord=2 the largest, ord=-2 the smallest.

    Gradients (first order, exact; PyTorch's subgradient at ties and rank deficiency):
    U V^T for 'nuc' (thin SVD), u_1 v_1^T for ord=2, u_k v_k^T for ord=-2. The gradient
    direction comes from a NumPy SVD, so second derivatives are not available: they raise
    NotImplementedError (see _SingularFactor)."""

    name = "norm"

    def forward(self, x, ord, axes, keepdims=False):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"norm: expected a real floating-point or integer array, got dtype "
                            f"{x.dtype}")
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        moved = np.moveaxis(work, axes, (-2, -1))
        if ord == -2 and 0 in moved.shape[-2:]:
            raise ValueError(f"norm: matrix ord=-2 (the smallest singular value) of zero-size "
                             f"matrices is undefined (input shape {x.shape}, axis {axes})")
        s = np.linalg.svd(moved, compute_uv=False)
        if ord == "nuc":
            out = np.sum(s, axis=-1)
        elif ord == 2:                      # (0 for zero-size matrices, as NumPy)
            out = np.max(s, axis=-1, initial=0)
        else:
            out = s[..., -1]
        if keepdims:
            out = out.reshape(_kept_shape(x.shape, tuple(sorted(axes))))
        out = weak_result(out, (x,))
        return out.astype(np.float16) if x.dtype == np.float16 else out

    def vjp(self, needs, grad, out, x, ord, axes, keepdims=False):
        factor = apply(_SINGULAR_FACTOR, x, ord=ord, axes=axes)
        return (_restore(grad, shape_of(x), axes, keepdims) * factor,)

    def jvp(self, tangents, out, x, ord, axes, keepdims=False):
        factor = apply(_SINGULAR_FACTOR, x, ord=ord, axes=axes)
        return sum(tangents[0] * factor, axis=axes, keepdims=keepdims)


_SV_NORM = _SingularValueNorm()
_vdot = np.vdot


def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (ord None/2, 1, inf, -inf, 0, p) and matrix norms ('fro',
    'nuc', 1, -1, 2, -2, inf, -inf) over a 2-tuple ``axis`` (stacks of matrices welcome).

    ``axis=None`` on a 2-D input is the matrix Frobenius norm (for ord None/'fro'),
    as NumPy. The 2-norm's gradient at 0 is 0. The singular-value norms ('nuc': their
    sum; 2: the largest; -2: the smallest) have exact first derivatives (U V^T, u_1 v_1^T,
    u_k v_k^T, as PyTorch); their second derivatives raise NotImplementedError.
    """
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
        elif isinstance(ord, str) and ord == "nuc" or ord in (2, -2):
            key = ord if isinstance(ord, str) else int(ord)
            return apply(_SV_NORM, x, ord=key, axes=(row, col), keepdims=keepdims)
        else:
            raise ValueError(f"norm: matrix ord={ord!r} is not supported (supported: None, 'fro', "
                             "'nuc', 1, -1, 2, -2, inf, -inf)")
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
        # The number of non-zero elements: piecewise constant, so its gradient is zero. The
        # count is selected by where() from a branch that depends on x, so the result stays
        # in the graph (backward works and gives exact zeros, never 0 * inf).
        xd = np.asarray(data_of(x))
        nonzero = (xd != 0).astype(xd.dtype if xd.dtype.kind == "f" else np.float64)
        counted = where(np.zeros(xd.shape, dtype=bool), x, nonzero)
        return sum(counted, axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(abs_(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    # (sum |x|^p)^(1/p). Where a slice is all zeros the gradient is 0 (as PyTorch), not the
    # NaN of inf * 0: the root is taken of a safe value and the result selected by where().
    magnitude = abs_(x)
    at_zero = np.asarray(data_of(x)) == 0
    if ord < 1 and at_zero.any():
        # |x|^p has an infinite slope at 0 for p < 1: use the subgradient 0 there.
        powered = where(at_zero, 0 if ord > 0 else np.inf,
                        power(where(at_zero, 1, magnitude), ord))
    else:
        powered = power(magnitude, ord)
    total = sum(powered, axis=axis, keepdims=keepdims)
    empty = data_of(total) == 0
    if not np.any(empty):
        return power(total, 1.0 / ord)
    root = power(where(empty, 1, total), 1.0 / ord)
    return where(empty, 0 if ord > 0 else np.inf, root)


__all__ = ["norm"]
