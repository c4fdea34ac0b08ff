"""Elementwise functions (NumPy names) with their derivative rules, one place each.

Subgradients at kinks (API.md §2): abs'(0) = 0, sqrt'(0) = inf as NumPy gives,
maximum/minimum split the gradient evenly between tied inputs. Where a rule's
local derivative can be infinite (sqrt, log, reciprocal, ... at a singular point)
a *zero* upstream gradient gives a zero result instead of 0 * inf = NaN: this is
what makes ``where(x > 0, sqrt(x), 0)`` differentiable at x = 0 (the where trap).
"""
import math
import numbers
import operator

import numpy as np

from ..core.apply import apply
from ..core.numeric import F64 as _F64
from ..core.numeric import operand_error, weak_result
from ..core.primitive import Primitive, binary, linear, make_op, nondifferentiable, unary
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ._util import data_of, is_tensor, numeric_input, shape_of
from .nondifferentiable import nonzero

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _finite_or_none(*grads):
    """The gradients if all are finite ndarrays (one vdot each), else None."""
    for grad in grads:
        if grad is not None:
            check = np.vdot(grad, grad)
            if check - check != 0:
                return None
    return grads


# ----------------------------------------------------------------------------- arithmetic
add = linear("add", np.add, transpose=lambda grad, x, y: (grad, grad), nargs=2,
             elementwise=True, formula=("1", "1"), doc="x + y, broadcasting.")
subtract = linear("subtract", np.subtract, nargs=2, elementwise=True, formula=("1", "-1"),
                  transpose=lambda grad, x, y: (grad, negative(grad)),
                  doc="x - y, broadcasting.")
negative = linear("negative", np.negative, transpose=lambda grad, x: negative(grad),
                  elementwise=True, formula="-1", doc="-x")
multiply = binary("multiply", np.multiply,
                  d_dx=lambda x, y, out: y, d_dy=lambda x, y, out: x, uses=("x", "y"),
                  reads=((1,), (0,)),   # d/dx reads y, d/dy reads x
                  formula=("{y}", "{x}"), doc="x * y, broadcasting.")
def _divide_vjp(derived, needs, grad, out, x, y):
    """On ndarrays: grad_x = grad / y and grad_y = -grad_x * out, with one finiteness check;
    where it fails (a zero upstream gradient over y == 0) the rule derived from the partials."""
    if type(grad) is np.ndarray:
        grad_x = grad / y
        if _finite_or_none(grad_x):
            return (grad_x if needs[0] else None,
                    np.negative(grad_x * out) if needs[1] else None)
    return derived(needs, grad, out, x, y)


divide = binary("divide", np.true_divide,
                d_dx=lambda x, y, out: 1 / y, d_dy=lambda x, y, out: negative(out / y),
                uses=("y", "out"), reads=((1,), (1,)),   # both gradients read y, never x
                singular=True, formula=("1/{y}", "-{x}/{y}²"), vjp=_divide_vjp,
                doc="x / y, broadcasting (true division).")
true_divide = divide


def _power(x, y):
    """np.power, except that an integer base to a negative integer power is a float."""
    if type(y) is float or type(y) is int and y >= 0:    # the common case, checked cheaply
        return np.power(x, y)
    if isinstance(y, numbers.Integral) and not isinstance(y, bool) and y < 0 \
            and np.asarray(x).dtype.kind in "iu":
        return np.power(np.asarray(x, dtype=float), y)
    return np.power(x, y)


def _power_d_dx(x, y, out):
    """d(x^y)/dx = y x^(y-1), and 0 where y == 0."""
    if isinstance(y, numbers.Number):
        if y == 0:
            return 0.0 * x
        if y == 1:
            return 1.0 + 0.0 * x
        if y == 2:
            return x + x
        return y * x ** (y - 1)
    return where(data_of(y) == 0, 0.0, y * x ** (y - 1))


def _power_d_dy(x, y, out):
    """d(x^y)/dy = x^y log x, and 0 where x == 0 and y >= 0."""
    special = (data_of(x) == 0) & (data_of(y) >= 0)
    return where(special, 0.0, out * log(where(special, 1.0, x)))


def _power_vjp(derived, needs, grad, out, x, y):
    """The partials above in few NumPy calls on ndarrays: y x^(y-1) as y * out / x and
    out * log x directly. Where that is not finite (x == 0, where the partials' special cases
    apply) the derived rule decides."""
    if type(grad) is not np.ndarray or type(x) is not np.ndarray \
            or type(y) not in (np.ndarray, int, float):
        return derived(needs, grad, out, x, y)
    grad_x = grad_y = None
    if needs[0]:
        if type(y) is not np.ndarray:
            grad_x = grad * (x + x) if y == 2 else grad * (y * x ** (y - 1)) if y else grad * 0.0
            if y >= 1 and not needs[1]:
                return grad_x, None          # (no infinite partial possible)
        else:
            grad_x = grad * y * out / x
    if needs[1]:
        grad_y = grad * out * np.log(x)
    found = _finite_or_none(grad_x, grad_y)
    return found if found is not None else derived(needs, grad, out, x, y)


def _power_singular(x, y):
    """Can a partial of x ** y be infinite? Not for a number exponent >= 1 (d/dy is wanted
    only of a Tensor exponent, and then it may: log 0)."""
    return not (type(y) in (int, float) and y >= 1)


power = binary("power", _power, d_dx=_power_d_dx, d_dy=_power_d_dy, singular=_power_singular,
               direct=operator.pow,   # ndarray ** 2 is NumPy's fast square
               vjp=_power_vjp,
               formula=("{y}·{x}^({y}-1)", "{x}^{y}·ln({x})"), doc="x ** y, broadcasting.")
pow = power

# ----------------------------------------------------------------------------- exp / log
exp = unary("exp", np.exp, lambda x, out: out, uses=("out",), formula="exp({x})", doc="e ** x")
expm1 = unary("expm1", np.expm1, lambda x, out: out + 1, uses=("out",), formula="exp({x})",
              doc="exp(x) - 1, accurate near 0")
exp2 = unary("exp2", np.exp2, lambda x, out: out * _LN2, uses=("out",), formula="ln(2)·2^{x}",
             doc="2 ** x")
def _log_vjp(derived, needs, grad, out, x):
    """On ndarrays grad / x, one NumPy call (the derived rule where that is not finite)."""
    if type(grad) is np.ndarray and type(x) is np.ndarray:
        return _finite_or_none(grad / x) or derived(needs, grad, out, x)
    return derived(needs, grad, out, x)


log = unary("log", np.log, lambda x, out: 1 / x, uses=("x",), singular=True, formula="1/{x}",
            vjp=_log_vjp, doc="natural logarithm")
log1p = unary("log1p", np.log1p, lambda x, out: 1 / (1 + x), uses=("x",), singular=True,
              formula="1/(1+{x})", doc="log(1 + x), accurate near 0")
log2 = unary("log2", np.log2, lambda x, out: 1 / (x * _LN2), uses=("x",), singular=True,
             formula="1/({x}·ln 2)")
log10 = unary("log10", np.log10, lambda x, out: 1 / (x * _LN10), uses=("x",), singular=True,
              formula="1/({x}·ln 10)")
sqrt = unary("sqrt", np.sqrt, lambda x, out: 0.5 / out, uses=("out",), singular=True,
             formula="1/(2·sqrt({x}))", doc="square root; sqrt'(0) = inf as NumPy gives")
square = unary("square", np.square, lambda x, out: 2 * x, uses=("x",), formula="2·{x}")
cbrt = unary("cbrt", np.cbrt, lambda x, out: 1 / (3 * out * out), uses=("out",), singular=True,
             formula="1/(3·cbrt({x})²)", doc="cube root; cbrt'(0) = inf as 1/(3·0²)")


def _reciprocal(x):
    """np.reciprocal, in floating point for integer inputs (NumPy's would truncate)."""
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        x = x.astype(np.float64)
    return np.reciprocal(x)


reciprocal = unary("reciprocal", _reciprocal, lambda x, out: negative(out * out), uses=("out",),
                   singular=True, formula="-1/{x}²")

# ----------------------------------------------------------------------------- trigonometric
sin = unary("sin", np.sin, lambda x, out: cos(x), uses=("x",), formula="cos({x})")
cos = unary("cos", np.cos, lambda x, out: negative(sin(x)), uses=("x",), formula="-sin({x})")
tan = unary("tan", np.tan, lambda x, out: 1 + out * out, uses=("out",), formula="1 + tan²({x})")
arcsin = unary("arcsin", np.arcsin, lambda x, out: 1 / sqrt(1 - x * x), uses=("x",),
               singular=True, formula="1/sqrt(1-{x}²)")
arccos = unary("arccos", np.arccos, lambda x, out: -1 / sqrt(1 - x * x), uses=("x",),
               singular=True, formula="-1/sqrt(1-{x}²)")
arctan = unary("arctan", np.arctan, lambda x, out: 1 / (1 + x * x), uses=("x",),
               formula="1/(1+{x}²)")
sinh = unary("sinh", np.sinh, lambda x, out: cosh(x), uses=("x",), formula="cosh({x})")
cosh = unary("cosh", np.cosh, lambda x, out: sinh(x), uses=("x",), formula="sinh({x})")
tanh = unary("tanh", np.tanh, lambda x, out: 1 - out * out, uses=("out",),
             formula="1 - tanh²({x})")
arcsinh = unary("arcsinh", np.arcsinh, lambda x, out: 1 / sqrt(x * x + 1), uses=("x",),
                formula="1/sqrt({x}²+1)")
arccosh = unary("arccosh", np.arccosh, lambda x, out: 1 / sqrt(x * x - 1), uses=("x",),
                singular=True, formula="1/sqrt({x}²-1)")
arctanh = unary("arctanh", np.arctanh, lambda x, out: 1 / (1 - x * x), uses=("x",),
                singular=True, formula="1/(1-{x}²)")
arctan2 = binary("arctan2", np.arctan2,
                 d_dx=lambda x, y, out: y / (x * x + y * y),
                 d_dy=lambda x, y, out: negative(x) / (x * x + y * y), uses=("x", "y"),
                 formula=("{y}/({x}²+{y}²)", "-{x}/({x}²+{y}²)"),
                 doc="arctan(x / y) in the right quadrant (NumPy's arctan2(x1, x2))")
_DEG = math.pi / 180.0
deg2rad = linear("deg2rad", np.deg2rad, transpose=lambda grad, x: grad * _DEG,
                 elementwise=True, formula="π/180")
rad2deg = linear("rad2deg", np.rad2deg, transpose=lambda grad, x: grad * (1 / _DEG),
                 elementwise=True, formula="180/π")
radians, degrees = deg2rad, rad2deg

# ----------------------------------------------------------------------------- piecewise
abs = unary("abs", np.abs, lambda x, out: sign(x), uses=("x",), formula="sign({x})",
            doc="|x|; abs'(0) = 0 (API.md §2; as PyTorch)")
absolute = fabs = abs
# Step functions: their derivative is 0 almost everywhere (API.md §2: "zero gradient"). As in
# PyTorch, their output requires grad when the input does and backpropagates zeros, so
# ``floor(x).sum().backward()`` gives ``x.grad == 0``; a forward-mode tangent through them is 0.
sign = unary("sign", np.sign, step=True, doc="-1, 0 or 1 by the sign of x (zero gradient).")
floor = unary("floor", np.floor, step=True, doc="Largest integer <= x (zero gradient).")
ceil = unary("ceil", np.ceil, step=True, doc="Smallest integer >= x (zero gradient).")
trunc = unary("trunc", np.trunc, step=True, doc="x rounded towards zero (zero gradient).")
rint = unary("rint", np.rint, step=True, doc="x rounded to the nearest integer (zero gradient).")
floor_divide = nondifferentiable("floor_divide", np.floor_divide,
                                 "floor(x / y), broadcasting (zero gradient).")
_ROUND = unary("round", lambda x, decimals=0: np.round(x, decimals), step=True).primitive


def round(x, decimals=0):
    """Round to ``decimals`` places (zero gradient: a step function)."""
    return apply(_ROUND, x, decimals=decimals)


round.primitive = _ROUND
around = round


def _tie_weights(x, y, dtype):
    """1 where x wins, 0.5 on a tie, 0 where y wins (the gradient split of maximum/minimum)."""
    xd, yd = data_of(x), data_of(y)
    return np.where(xd == yd, 0.5, xd > yd).astype(dtype)


class _Extremum(Primitive):
    """maximum / minimum / fmax / fmin: the winner takes the gradient; ties split it evenly.

    A NaN wins in maximum/minimum (its NaN is the output) and loses in fmax/fmin."""

    arity = 2
    elementwise = True

    def __init__(self, name, fn, sign_):
        self.name, self.fn, self.sign = name, fn, sign_
        larger = "larger" if sign_ > 0 else "smaller"
        self.formula = (f"1 where {{x}} is the {larger}, ½ at ties",
                        f"1 where {{y}} is the {larger}, ½ at ties")

    def forward(self, x, y):
        try:
            out = self.fn(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error(self.name, (x, y), error) from None
        if out.dtype is _F64:
            out = weak_result(out, (x, y))
        return out

    def _weights(self, x, y, dtype):
        xd, yd = np.asarray(data_of(x)), np.asarray(data_of(y))
        if self.sign < 0:
            xd, yd = -xd, -yd
        if self.name in ("fmax", "fmin"):  # NaN loses
            xd = np.where(np.isnan(xd), -np.inf, xd)
            yd = np.where(np.isnan(yd), -np.inf, yd)
        elif xd.dtype.kind == "f" or yd.dtype.kind == "f":  # NaN propagates: the NaN wins
            xd = np.where(np.isnan(xd), np.inf, xd)
            yd = np.where(np.isnan(yd), np.inf, yd)
        return np.where(xd == yd, 0.5, xd > yd).astype(dtype)

    def vjp(self, needs, grad, out, x, y):
        weight_x = self._weights(x, y, data_of(grad).dtype)
        return (grad * weight_x if needs[0] else None,
                grad * (1 - weight_x) if needs[1] else None)

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        weight_x = self._weights(x, y, data_of(out).dtype)
        result = None if tangent_x is None else tangent_x * weight_x
        if tangent_y is not None:
            term = tangent_y * (1 - weight_x)
            result = term if result is None else result + term
        return result


maximum = make_op(_Extremum("maximum", np.maximum, 1), "Elementwise max; ties split the gradient evenly.")
minimum = make_op(_Extremum("minimum", np.minimum, -1), "Elementwise min; ties split the gradient evenly.")
fmax = make_op(_Extremum("fmax", np.fmax, 1), "Elementwise max ignoring NaN.")
fmin = make_op(_Extremum("fmin", np.fmin, -1), "Elementwise min ignoring NaN.")


class _Clip(Primitive):
    """clip(x, a_min, a_max) with constant bounds; the gradient passes where a_min <= x <= a_max."""

    name = "clip"
    elementwise = True
    formula = "1 inside the clip range, else 0"

    def forward(self, x, a_min=None, a_max=None):
        try:
            out = np.clip(x, a_min, a_max)
        except (TypeError, ValueError) as error:
            raise operand_error("clip", (x, a_min, a_max), error) from None
        if isinstance(x, np.ndarray):
            if out.dtype != x.dtype and x.dtype.kind == "f":
                out = out.astype(x.dtype)
            elif out.dtype != x.dtype:  # integer x, float bounds: weak Python numbers
                out = weak_result(out, (x, a_min, a_max))
        else:
            out = weak_result(out, (x,))
        return out

    def _mask(self, x, a_min, a_max, dtype):
        xd = data_of(x)
        mask = np.ones(np.shape(xd), dtype=bool)
        if a_min is not None:
            mask &= xd >= a_min
        if a_max is not None:
            mask &= xd <= a_max
        return mask.astype(dtype)

    def vjp(self, needs, grad, out, x, a_min=None, a_max=None):
        return (grad * self._mask(x, a_min, a_max, data_of(grad).dtype),)

    def jvp(self, tangents, out, x, a_min=None, a_max=None):
        return tangents[0] * self._mask(x, a_min, a_max, data_of(out).dtype)


_CLIP = _Clip()


def clip(x, a_min=None, a_max=None, *, min=None, max=None):
    """Limit x to [a_min, a_max]. Tensor bounds are differentiable (via maximum/minimum)."""
    a_min = a_min if a_min is not None else min
    a_max = a_max if a_max is not None else max
    if is_tensor(a_min) or is_tensor(a_max):
        if a_min is not None:
            numeric_input(a_min, "clip", "a_min")
        if a_max is not None:
            numeric_input(a_max, "clip", "a_max")
        out = numeric_input(x, "clip")
        if a_min is not None:
            out = maximum(out, a_min)
        if a_max is not None:
            out = minimum(out, a_max)
        return out
    if isinstance(a_min, np.ndarray) and a_min.ndim == 0:
        a_min = a_min.item()
    if isinstance(a_max, np.ndarray) and a_max.ndim == 0:
        a_max = a_max.item()
    return apply(_CLIP, x, a_min=a_min, a_max=a_max)


clip.primitive = _CLIP
clamp = clip


class _Where(Primitive):
    """where(condition, x, y): the gradient goes to the selected branch only (exact zeros elsewhere)."""

    name = "where"
    needs_inputs = True
    elementwise = True
    formula = ("0", "1 where the condition holds", "1 where the condition fails")

    def forward(self, condition, x, y):
        try:
            out = np.where(condition, x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("where", (condition, x, y), error) from None
        if out.dtype is _F64:
            out = weak_result(out, (x, y))
        return out

    def vjp(self, needs, grad, out, condition, x, y):
        cond = np.asarray(data_of(condition), dtype=bool)
        return (None,
                where(cond, grad, 0) if needs[1] else None,
                where(cond, 0, grad) if needs[2] else None)

    def jvp(self, tangents, out, condition, x, y):
        _, tangent_x, tangent_y = tangents
        if tangent_x is None and tangent_y is None:
            return None
        cond = np.asarray(data_of(condition), dtype=bool)
        return where(cond, 0 if tangent_x is None else tangent_x,
                     0 if tangent_y is None else tangent_y)


_WHERE = _Where()


def where(condition, x=None, y=None):
    """Elements of x where condition holds, else of y. ``where(condition)`` alone is ``nonzero``."""
    if x is None and y is None:
        return nonzero(condition)
    return apply(_WHERE, condition, x, y)


where.primitive = _WHERE


def mod(x, y):
    """x mod y with the sign of y (NumPy's mod); d/dx = 1, d/dy = -floor(x / y)."""
    return apply(_MOD, x, y)


_MOD = binary("mod", np.mod, d_dx=lambda x, y, out: 1.0 + 0 * data_of(out),
              d_dy=lambda x, y, out: -np.floor_divide(data_of(x), data_of(y)),
              uses=("x", "y", "out"), formula=("1", "-floor({x}/{y})")).primitive
mod.primitive = _MOD
remainder = mod


class _NanToNum(Primitive):
    name = "nan_to_num"
    elementwise = True
    formula = "1 where {x} is finite, else 0"

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
        return out if isinstance(x, np.ndarray) else weak_result(out, (x,))

    def vjp(self, needs, grad, out, x, **params):
        return (grad * np.isfinite(data_of(x)),)

    def jvp(self, tangents, out, x, **params):
        return tangents[0] * np.isfinite(data_of(x))


nan_to_num = make_op(_NanToNum(), "Replace NaN/inf by numbers; gradient 1 at finite elements, 0 elsewhere.")


def zeros_like_any(x):
    """A zero Tensor shaped like x (for filling a missing tangent)."""
    return Tensor._wrap(np.zeros(shape_of(x), dtype=getattr(x, "dtype", None)
                                 or get_default_dtype()))


positive = linear("positive", np.positive, transpose=lambda grad, x: grad, elementwise=True,
                  formula="1", doc="+x: a copy of x (as np.positive); the gradient passes through.")


__all__ = ["abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
           "arctanh", "around", "cbrt", "ceil", "clamp", "clip", "cos", "cosh", "deg2rad", "degrees",
           "divide", "exp", "exp2", "expm1", "fabs", "floor", "floor_divide", "fmax", "fmin",
           "log", "log10", "log1p", "log2", "maximum", "minimum", "mod", "multiply", "nan_to_num",
           "negative", "positive", "pow", "power", "rad2deg", "radians", "reciprocal", "remainder",
           "rint", "round", "sign", "sin", "sinh", "sqrt", "square", "subtract", "tan", "tanh",
           "true_divide", "trunc", "where"]
