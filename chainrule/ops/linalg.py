"""cr.linalg: inverse, determinants, linear solves and the Cholesky factor, differentiable.

Every function takes a matrix (n, n) or a stack of them (..., n, n), as ``np.linalg`` does,
as a Tensor, an ndarray or (nested) lists. float32 stays float32 and float64 float64;
integer inputs compute in the default float dtype. Each is one primitive with its
reverse (VJP) and forward (JVP) rules beside the forward, written in differentiable
chainrule ops (matmul, solve, inv themselves, tril, ...), so derivatives of every order
are exact (double backward, forward-over-reverse, Hessians) -- the one exception is det at
an exactly singular matrix, where only the first derivative is (see ``det``).

Failures name the op: a non-square input raises ``ValueError``; a singular matrix (inv,
solve) or one that is not positive definite (cholesky) raises ``LinAlgError`` (NumPy's
class, itself a ``ValueError``), saying which matrix of the stack failed.

Rules follow PyTorch's derivatives.yaml (Giles 2008; Murray 2016 for the Cholesky factor).
"""
from collections import namedtuple

import numpy as np

from ..core.apply import apply
from ..core.numeric import weak_result
from ..core.primitive import Primitive, nondifferentiable
from ._util import data_of, shape_of
from .elementwise import where
from .indexing import getitem
from .norms import norm
from .products import matmul
from .reductions import sum as sum_
from .shape import array, expand_dims, reshape, stack, swapaxes, tril

__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "norm", "LinAlgError", "SlogdetResult"]

LinAlgError = np.linalg.LinAlgError  # a ValueError subclass, as NumPy raises

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SlogdetResult.__doc__ = """slogdet's result: ``sign`` (no gradient) and ``logabsdet``, shape (...)."""


# --------------------------------------------------------------------------- helpers
def _mT(x):
    """Swap the last two axes (the matrix transpose of each matrix in a stack)."""
    return swapaxes(x, -1, -2)


def _as_input(x):
    """Nested lists become a Tensor (differentiable in any Tensors they hold)."""
    if isinstance(x, (list, tuple)):
        return array(x)
    return x


def _check_square(a, op, name=None):
    """The size n of a (..., n, n) input; ValueError naming ``op`` otherwise."""
    shape = tuple(shape_of(a))
    what = f"{name} " if name else ""
    if len(shape) < 2:
        plural = "s" if len(shape) != 1 else ""
        raise ValueError(f"{op}: expected {what}a square matrix or a stack of them (..., n, n), "
                         f"got shape {shape} ({len(shape)} dimension{plural}; at least 2 are "
                         "needed)")
    if shape[-1] != shape[-2]:
        raise ValueError(f"{op}: expected {what}a square matrix or a stack of them (..., n, n), "
                         f"got shape {shape}")
    return shape[-1]


def _lapack_arrays(op, arrays):
    """The inputs as ndarrays LAPACK accepts, and the dtype to cast the result back to:
    float16 computes in float32 (NumPy has no half-precision linalg) and returns float16."""
    arrays = [np.asarray(x) for x in arrays]
    for x in arrays:
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{op}: expected a real floating-point or integer array, got dtype "
                            f"{x.dtype} (complex dtypes are out of scope)")
    if not any(x.dtype == np.float16 for x in arrays):
        return arrays, None
    back = np.float16 if np.result_type(*arrays) == np.float16 else None
    return [x.astype(np.float32) if x.dtype == np.float16 else x for x in arrays], back


def _failing_index(fn, a):
    """The batch index of the first matrix of ``a`` on which ``fn`` fails (for error messages)."""
    batch = a.shape[:-2]
    if not batch:
        return None
    for index in np.ndindex(*batch):
        try:
            fn(a[index])
        except LinAlgError:
            return index
    return None


def _where(index, shape):
    if index is None:
        return f"the input of shape {shape}"
    return f"matrix {index} of the stack of shape {shape}"


def _run(op, fn, arrays, inputs):
    """Call the NumPy routine with float16 handled and the result weakly typed."""
    arrays, back = _lapack_arrays(op, arrays)
    out = fn(*arrays)
    out = weak_result(out, inputs)
    return out.astype(back) if back is not None else out


# --------------------------------------------------------------------------- inv
class _Inv(Primitive):
    """Y = A^-1 for each matrix of a stack. VJP: -Y^T G Y^T; JVP: -Y dA Y."""

    name = "inv"
    needs_inputs = False   # the rules read only the output Y
    needs_output = True

    def forward(self, a):
        try:
            return _run("inv", np.linalg.inv, (a,), (a,))
        except LinAlgError:
            a = np.asarray(a)
            index = _failing_index(np.linalg.inv, a)
            raise LinAlgError(f"inv: singular matrix: {_where(index, a.shape)} is not "
                              "invertible") from None

    def vjp(self, needs, grad, out, a):
        out_t = _mT(out)
        return (-matmul(matmul(out_t, grad), out_t),)

    def jvp(self, tangents, out, a):
        return -matmul(matmul(out, tangents[0]), out)


_INV = _Inv()


def inv(a):
    """The inverse of each matrix: (..., n, n) -> (..., n, n), as ``np.linalg.inv``.

    Raises LinAlgError (a ValueError) naming the matrix of the stack that is singular."""
    a = _as_input(a)
    _check_square(a, "inv")
    return apply(_INV, a)


inv.primitive = _INV


# --------------------------------------------------------------------------- det
def _singular_cofactor(a):
    """adj(A)^T (the derivative of det at A) for each matrix, from an SVD: exact when A is
    singular, where det(A) * A^-T cannot be formed. Plain NumPy (a constant of the rule)."""
    a = np.asarray(a)
    u, s, vh = np.linalg.svd(a.astype(np.float64))
    n = s.shape[-1]
    # c_i = prod_{j != i} s_j, without dividing by a zero s_i.
    others = np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :])
    c = np.prod(others, axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    # A = U diag(s) Vh, so adj(A)^T = det(U) det(Vh) U diag(c) Vh.
    return (sign[..., None, None] * ((u * c[..., None, :]) @ vh)).astype(a.dtype)


def _cofactor(a, out):
    """det(A) * A^-T, the gradient of det at A, shape (..., n, n); adj(A)^T where A is singular.

    Differentiable (through inv and det itself) wherever det(A) != 0; at exactly singular
    matrices it is the SVD cofactor, held constant (first derivatives exact there)."""
    shape = tuple(shape_of(a))
    det_b = reshape(out, shape[:-2] + (1, 1))
    singular = np.asarray(data_of(out)) == 0
    if not singular.any():
        return det_b * _mT(inv(a))
    a_data = np.asarray(data_of(a))
    mask = singular[..., None, None]
    # Invert an identity in place of each singular matrix (so inv succeeds); where() then
    # selects the SVD cofactor there, and no gradient reaches those matrices through inv.
    safe = where(mask, np.eye(shape[-1], dtype=a_data.dtype), a)
    return where(mask, _singular_cofactor(a_data), det_b * _mT(inv(safe)))


class _Det(Primitive):
    """det(A) for each matrix. VJP: g det(A) A^-T; JVP: det(A) trace(A^-1 dA)."""

    name = "det"
    needs_output = True

    def forward(self, a):
        return _run("det", np.linalg.det, (a,), (a,))

    def vjp(self, needs, grad, out, a):
        shape = tuple(shape_of(a))
        return (reshape(grad, shape[:-2] + (1, 1)) * _cofactor(a, out),)

    def jvp(self, tangents, out, a):
        # det(A) trace(A^-1 dA) = sum(det(A) A^-T * dA): one formula, exact at singular A too.
        return sum_(_cofactor(a, out) * tangents[0], axis=(-2, -1))


_DET = _Det()


def det(a):
    """The determinant of each matrix: (..., n, n) -> (...), as ``np.linalg.det``.

    The gradient is det(A) A^-T, and at an exactly singular A the cofactor matrix adj(A)^T,
    the true derivative (PyTorch 2.13 returns 0 there); at such matrices second and higher
    derivatives are not exact (the cofactor comes from an SVD held constant)."""
    a = _as_input(a)
    _check_square(a, "det")
    return apply(_DET, a)


det.primitive = _DET


# --------------------------------------------------------------------------- slogdet
def _inverse_for(a, op):
    """A^-1 for the rule of ``op``; at a singular matrix the derivative does not exist."""
    try:
        return inv(a)
    except LinAlgError:
        raise LinAlgError(f"{op}: the derivative is undefined at a singular matrix (input of "
                          f"shape {tuple(shape_of(a))}: log|det| = -inf)") from None


class _Slogdet(Primitive):
    """sign and log|det| of each matrix, packed as (..., 2): [..., 0] the sign, [..., 1] the
    log-magnitude. One LU for both; only log|det| has a derivative.
    VJP: g A^-T; JVP: trace(A^-1 dA)."""

    name = "slogdet"

    def forward(self, a):
        def packed(x):
            sign, logabsdet = np.linalg.slogdet(x)
            return np.stack([sign, logabsdet], axis=-1)
        return _run("slogdet", packed, (a,), (a,))

    def vjp(self, needs, grad, out, a):
        shape = tuple(shape_of(a))
        grad_logabsdet = reshape(getitem(grad, (Ellipsis, 1)), shape[:-2] + (1, 1))
        return (grad_logabsdet * _mT(_inverse_for(a, "slogdet")),)

    def jvp(self, tangents, out, a):
        # trace(A^-1 dA) = sum(A^-T * dA); the sign's tangent is 0.
        tangent = sum_(_mT(_inverse_for(a, "slogdet")) * tangents[0], axis=(-2, -1))
        return stack([tangent * 0, tangent], axis=-1)


_SLOGDET = _Slogdet()
_SLOGDET_SIGN = nondifferentiable("slogdet_sign", lambda packed: packed[..., 0].copy(),
                                  doc="The sign half of slogdet's packed result (no gradient).")


def slogdet(a):
    """Sign and natural log of |det| of each matrix, as ``np.linalg.slogdet``.

    Shapes: (..., n, n) -> SlogdetResult(sign (...), logabsdet (...)). ``sign`` is -1, 0 or 1
    and carries no gradient; ``logabsdet`` is differentiable with gradient A^-T (undefined
    at a singular matrix, where logabsdet is -inf: backward raises LinAlgError there)."""
    a = _as_input(a)
    _check_square(a, "slogdet")
    packed = apply(_SLOGDET, a)
    return SlogdetResult(_SLOGDET_SIGN(packed), getitem(packed, (Ellipsis, 1)))


slogdet.primitive = _SLOGDET


# --------------------------------------------------------------------------- solve
class _Solve(Primitive):
    """X = A^-1 B. VJP: grad_B = A^-T G, grad_A = -grad_B X^T; JVP: A^-1 (dB - dA X).

    A 1-D B is one vector (n,) (NumPy 2): X then has shape (..., n)."""

    name = "solve"
    needs_output = True

    def forward(self, a, b):
        try:
            return _run("solve", np.linalg.solve, (a, b), (a, b))
        except LinAlgError:
            a = np.asarray(a)
            index = _failing_index(np.linalg.inv, a)
            raise LinAlgError(f"solve: singular matrix: {_where(index, a.shape)} (the "
                              "coefficient matrix a) is not invertible") from None

    def vjp(self, needs, grad, out, a, b):
        if len(shape_of(b)) == 1:
            # Vectors: work with columns (..., n, 1) so batched a never meets a 1-D operand.
            grad_b = getitem(solve(_mT(a), expand_dims(grad, -1)), (Ellipsis, 0))
            grad_a = None
            if needs[0]:
                grad_a = -(expand_dims(grad_b, -1) * expand_dims(out, -2))
            return grad_a, grad_b if needs[1] else None
        grad_b = solve(_mT(a), grad)
        grad_a = -matmul(grad_b, _mT(out)) if needs[0] else None
        return grad_a, grad_b if needs[1] else None

    def jvp(self, tangents, out, a, b):
        tangent_a, tangent_b = tangents
        vector = len(shape_of(b)) == 1
        x = expand_dims(out, -1) if vector else out
        rhs = None
        if tangent_b is not None:
            rhs = expand_dims(tangent_b, -1) if vector else tangent_b
        if tangent_a is not None:
            term = matmul(tangent_a, x)
            rhs = -term if rhs is None else rhs - term
        result = solve(a, rhs)
        return getitem(result, (Ellipsis, 0)) if vector else result


_SOLVE = _Solve()


def solve(a, b):
    """Solve A X = B for X, as ``np.linalg.solve`` (NumPy 2 rules).

    Shapes: a (..., n, n); b (n,) -> X (..., n) when b is 1-D, else b (..., n, k) ->
    X (..., n, k); the batch dimensions of a and b broadcast. Raises LinAlgError (a
    ValueError) when a matrix of a is singular."""
    a, b = _as_input(a), _as_input(b)
    n = _check_square(a, "solve", "a to be")
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    if len(sb) == 0:
        raise ValueError(f"solve: b must be a vector (n,) or a stack of matrices (..., n, k), "
                         f"got a 0-d b (a has shape {sa})")
    if len(sb) == 1:
        if sb[0] != n:
            raise ValueError(f"solve: a of shape {sa} and b of shape {sb} are incompatible: "
                             f"expected b of shape ({n},) (a vector) or (..., {n}, k)")
    else:
        if sb[-2] != n:
            raise ValueError(f"solve: a of shape {sa} and b of shape {sb} are incompatible: "
                             f"expected b of shape ({n},) (a vector) or (..., {n}, k); b's "
                             f"dimension -2 is {sb[-2]}")
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(f"solve: the batch dimensions of a (shape {sa}) and b (shape "
                             f"{sb}) do not broadcast: {sa[:-2]} vs {sb[:-2]}") from None
    return apply(_SOLVE, a, b)


solve.primitive = _SOLVE


# --------------------------------------------------------------------------- cholesky
def _phi(x):
    """The lower triangle of x with its diagonal halved (Murray 2016's Phi)."""
    eye = np.eye(shape_of(x)[-1], dtype=np.asarray(data_of(x)).dtype)
    return tril(x) - 0.5 * (x * eye)


class _Cholesky(Primitive):
    """L with A = L L^T (lower), or U = L^T with ``upper``.

    VJP (Murray 2016, symmetrized as PyTorch): grad_A = sym(L^-T Phi(L^T G) L^-1);
    JVP: dL = L Phi(L^-1 sym(dA) L^-T), the adjoint of the VJP, where sym(X) = (X + X^T) / 2
    and Phi takes the lower triangle with the diagonal halved."""

    name = "cholesky"
    needs_inputs = False   # the rules read only the factor
    needs_output = True

    def forward(self, a, upper=False):
        try:
            return _run("cholesky", lambda x: np.linalg.cholesky(x, upper=upper), (a,), (a,))
        except LinAlgError:
            a = np.asarray(a)
            index = _failing_index(np.linalg.cholesky, a)
            raise LinAlgError(f"cholesky: {_where(index, a.shape)} is not positive definite "
                              "(expected a symmetric positive-definite matrix)") from None

    def vjp(self, needs, grad, out, a, upper=False):
        lower = _mT(out) if upper else out
        grad_lower = _mT(grad) if upper else grad
        middle = _phi(matmul(_mT(lower), grad_lower))
        # L^-T middle L^-1 = L^-T (L^-T middle^T)^T, with two solves against L^T.
        left = solve(_mT(lower), middle)
        grad_a = _mT(solve(_mT(lower), _mT(left)))
        return (0.5 * (grad_a + _mT(grad_a)),)

    def jvp(self, tangents, out, a, upper=False):
        lower = _mT(out) if upper else out
        tangent = tangents[0]
        tangent = 0.5 * (tangent + _mT(tangent))
        # L^-1 dA L^-T = L^-1 (L^-1 dA^T)^T (dA symmetric), with two solves against L.
        left = solve(lower, tangent)
        inner = _mT(solve(lower, _mT(left)))
        tangent_lower = matmul(lower, _phi(inner))
        return _mT(tangent_lower) if upper else tangent_lower


_CHOLESKY = _Cholesky()


def cholesky(a, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix: (..., n, n) -> (..., n, n).

    Lower L with A = L L^T (``np.linalg.cholesky``); ``upper=True`` gives U = L^T with
    A = U^T U. Only one triangle of A is read (the lower, or the upper with ``upper``), so
    the gradient is the symmetrized one PyTorch returns: differentiate functions of
    symmetric A (e.g. of 0.5 * (a + a^T)). Raises LinAlgError (a ValueError) naming the
    matrix of the stack that is not positive definite."""
    a = _as_input(a)
    _check_square(a, "cholesky")
    return apply(_CHOLESKY, a, upper=bool(upper))


cholesky.primitive = _CHOLESKY


