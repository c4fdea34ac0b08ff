"""Numerically careful primitives: sigmoid, logaddexp, softplus, relu, erf, softmax, log_softmax."""
import math

import numpy as np

from ..core.apply import apply
from ..core.primitive import Primitive, binary, unary
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ._util import data_of, normalize_axes
from .reductions import sum as sum_
from .shape import astype
from .elementwise import exp, negative, where

_LN2 = math.log(2.0)


def _sigmoid(x):
    # Never exponentiate a large positive number: e = exp(-|x|) <= 1.
    x = np.asarray(x)
    if x.dtype.kind != "f":
        if x.dtype.kind not in "biu":     # never drop an imaginary part silently
            raise TypeError(f"expected real input, got dtype {x.dtype}")
        x = x.astype(get_default_dtype())
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = unary("sigmoid", _sigmoid, lambda x, out: out * (1 - out), uses=("out",),
                formula="σ({x})·(1-σ({x}))",
                doc="1 / (1 + exp(-x)), stable for large |x|")
logistic = sigmoid


def _relu(x):
    return np.maximum(x, 0)


relu = unary("relu", _relu, lambda x, out: data_of(out) > 0, uses=("out",),
             formula="1 if {x} > 0 else 0",
             doc="max(x, 0); relu'(0) = 0 (API.md §2; as PyTorch)")


def _softplus(x):
    return np.logaddexp(0, x).astype(np.asarray(x).dtype, copy=False) \
        if np.asarray(x).dtype.kind == "f" else np.logaddexp(0, x)


softplus = unary("softplus", _softplus, lambda x, out: sigmoid(x), uses=("x",), formula="σ({x})",
                 doc="log(1 + exp(x)), stable for large |x|")

def _share(x, y, scale=None):
    """exp(x - logaddexp(x, y)) = sigmoid(x - y), the share of x in the sum (2**x for
    logaddexp2: sigmoid((x - y)·ln 2)).

    Not ``exp(x - out)``: for large nearly equal inputs ``out`` rounds (float32 1e7 + ln 2
    is 1e7), so that gave exp(-ln 2)... wrong. ``x - y`` is exact there; equal infinite
    inputs (where x - y is NaN) share 0.5, as every tie does.
    """
    diff = x - y
    share = sigmoid(diff if scale is None else diff * scale)
    xd, yd = data_of(x), data_of(y)
    ties = np.isinf(xd) & (xd == yd)
    if np.any(ties):
        share = where(ties, 0.5, share)
    return share


logaddexp = binary("logaddexp", np.logaddexp,
                   d_dx=lambda x, y, out: _share(x, y), d_dy=lambda x, y, out: _share(y, x),
                   uses=("x", "y"),
                   formula=("σ({x} - {y})", "σ({y} - {x})"),
                   doc="log(exp(x) + exp(y)) without overflow")
logaddexp2 = binary("logaddexp2", np.logaddexp2,
                    d_dx=lambda x, y, out: _share(x, y, _LN2),
                    d_dy=lambda x, y, out: _share(y, x, _LN2), uses=("x", "y"),
                    formula=("σ(({x} - {y})·ln2)", "σ(({y} - {x})·ln2)"),
                    doc="log2(2**x + 2**y) without overflow")


# --------------------------------------------------------------------------- erf
# W. J. Cody's rational Chebyshev approximations (Math. Comp. 1969), accurate to
# float64 precision on the whole line.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)


def _erf(x):
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":        # never drop an imaginary part silently
        raise TypeError(f"expected real input, got dtype {x.dtype}")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    xd = x.astype(np.float64)
    y = np.abs(xd)
    result = np.empty_like(xd)
    small = y <= 0.46875
    mid = (y > 0.46875) & (y <= 4.0)
    large = y > 4.0
    if small.any():
        ys = y[small]
        z = ys * ys
        num = _A[4] * z
        den = z
        for i in range(3):
            num = (num + _A[i]) * z
            den = (den + _B[i]) * z
        result[small] = xd[small] * (num + _A[3]) / (den + _B[3])
    if mid.any():
        ym = y[mid]
        num = _C[8] * ym
        den = ym
        for i in range(7):
            num = (num + _C[i]) * ym
            den = (den + _D[i]) * ym
        erfc = (num + _C[7]) / (den + _D[7])
        erfc *= np.exp(-ym * ym)
        result[mid] = np.sign(xd[mid]) * (1.0 - erfc)
    if large.any():
        yl = y[large]
        z = 1.0 / (yl * yl)
        num = _P[5] * z
        den = z
        for i in range(4):
            num = (num + _P[i]) * z
            den = (den + _Q[i]) * z
        erfc = z * (num + _P[4]) / (den + _Q[4])
        erfc = (_SQRPI - erfc) / yl
        erfc *= np.exp(-yl * yl)
        result[large] = np.sign(xd[large]) * (1.0 - erfc)
    nan = np.isnan(xd)
    if nan.any():
        result[nan] = np.nan
    return result.astype(dtype, copy=False)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
erf = unary("erf", _erf, lambda x, out: _TWO_OVER_SQRT_PI * exp(negative(x * x)), uses=("x",),
            formula="2/√π·exp(-{x}²)",
            doc="the error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt")


# --------------------------------------------------------------------------- softmax family
def _axis(axis, ndim):
    return normalize_axes(axis, ndim, "softmax")


class _LogSoftmax(Primitive):
    """log_softmax(x, axis) = x - logsumexp(x, axis); vjp = grad - softmax * sum(grad)."""

    name = "log_softmax"
    formula = "upstream - softmax·sum(upstream)"
    needs_inputs = False
    needs_output = True

    def forward(self, x, axis=-1):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    def vjp(self, needs, grad, out, x, axis=-1):
        return (grad - exp(out) * sum_(grad, axis=axis, keepdims=True),)

    def jvp(self, tangents, out, x, axis=-1):
        tangent = tangents[0]
        return tangent - sum_(exp(out) * tangent, axis=axis, keepdims=True)


class _Softmax(Primitive):
    """softmax(x, axis) = exp(x - max) / sum; vjp = out * (grad - sum(grad * out))."""

    name = "softmax"
    formula = "softmax Jacobian: {out}·(upstream - sum(upstream·{out}))"
    needs_inputs = False
    needs_output = True

    def forward(self, x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        e /= np.sum(e, axis=axis, keepdims=True)
        return e

    def vjp(self, needs, grad, out, x, axis=-1):
        return (out * (grad - sum_(grad * out, axis=axis, keepdims=True)),)

    def jvp(self, tangents, out, x, axis=-1):
        tangent = tangents[0]
        return out * (tangent - sum_(tangent * out, axis=axis, keepdims=True))


_LOG_SOFTMAX, _SOFTMAX = _LogSoftmax(), _Softmax()


def log_softmax(x, axis=-1, *, dim=None):
    """log(softmax(x)) along ``axis``, computed stably. Shape: same as x."""
    if dim is not None:
        axis = dim
    x = _float_input(x)
    return apply(_LOG_SOFTMAX, x, axis=_check_axis(x, axis, "log_softmax"))


def softmax(x, axis=-1, *, dim=None):
    """exp(x) / sum(exp(x)) along ``axis``, computed stably. Shape: same as x."""
    if dim is not None:
        axis = dim
    x = _float_input(x)
    return apply(_SOFTMAX, x, axis=_check_axis(x, axis, "softmax"))


log_softmax.primitive, softmax.primitive = _LOG_SOFTMAX, _SOFTMAX


def _float_input(x):
    d = data_of(x)
    if not hasattr(d, "dtype"):
        return Tensor(d)
    if d.dtype.kind != "f":
        return astype(x, get_default_dtype())
    return x


def _check_axis(x, axis, op):
    ndim = np.ndim(data_of(x))
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of bounds for a tensor of dimension {ndim}")
    return axis


__all__ = ["erf", "log_softmax", "logaddexp", "logaddexp2", "logistic", "relu", "sigmoid",
           "softmax", "softplus"]
