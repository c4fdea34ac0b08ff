"""Elementwise functions (NumPy names) with their derivative rules, one place each.

Subgradients at kinks (API.md §2): abs'(0) = 0, sqrt'(0) = inf as NumPy gives,
maximum/minimum split the gradient evenly between tied inputs. Where a rule's
local derivative can be infinite (sqrt, log, reciprocal, ... at a singular point)
a *zero* upstream gradient gives a zero result instead of 0 * inf = NaN: this is
what makes ``where(x > 0, sqrt(x), 0)`` differentiable at x = 0 (the where trap).
"""
import math
import numbers

import numpy as np

from ..autograd.dispatch import apply
from ..autograd.primitive import Primitive, make_op
from ._named import (_NamedNonDifferentiable, binary, linear, nondifferentiable, operand_error,
                     unary, weak_result)
from ._util import data_of, shape_of

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _finite_times(grad, derivative):
    """grad * derivative, but 0 where grad == 0 (even where derivative is inf or NaN)."""
    return where(grad == 0, 0, derivative)


class _SingularUnary(Primitive):
    """A unary primitive whose derivative is infinite at some points (see module doc)."""

    def __init__(self, name, fn, derivative, uses=("x", "out")):
        self.name, self.fn, self.derivative = name, fn, derivative
        self.needs_inputs = "x" in uses
        self.needs_output = "out" in uses

    def forward(self, x, **params):
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = self.fn(x, **params)
        except (TypeError, ValueError) as error:
            raise operand_error(self.name, (x,), error) from None
        if not isinstance(x, np.ndarray) or out.dtype is not x.dtype:
            from ..autograd.primitive import _weak_float
            out = _weak_float(np.asarray(out), (x,))
        return out

    def vjp(self, needs, grad, out, x, **params):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * _finite_times(grad, self.derivative(x, out, **params)),)

    def jvp(self, tangents, out, x, **params):
        (tangent_x,) = tangents
        with np.errstate(divide="ignore", invalid="ignore"):
            return tangent_x * _finite_times(tangent_x, self.derivative(x, out, **params))


def singular_unary(name, fn, derivative, uses=("x", "out"), doc=None):
    return make_op(_SingularUnary(name, fn, derivative, uses), doc)


# ----------------------------------------------------------------------------- arithmetic
class _Add(Primitive):
    name = "add"
    needs_inputs = False

    def forward(self, x, y):
        try:
            out = np.add(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("add", (x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
        return out

    def vjp(self, needs, grad, out, x, y):
        return grad, grad

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        if tangent_x is None:
            return tangent_y
        if tangent_y is None:
            return tangent_x
        return tangent_x + tangent_y


class _Subtract(Primitive):
    name = "subtract"
    needs_inputs = False

    def forward(self, x, y):
        try:
            out = np.subtract(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("subtract", (x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
        return out

    def vjp(self, needs, grad, out, x, y):
        return grad, (negative(grad) if needs[1] else None)

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        if tangent_y is None:
            return tangent_x
        if tangent_x is None:
            return negative(tangent_y)
        return tangent_x - tangent_y


_F64 = np.dtype(np.float64)


def _weak(out, x, y):
    return weak_result(out, (x, y))


_ADD, _SUBTRACT = _Add(), _Subtract()


def add(x, y):
    """x + y, broadcasting."""
    return apply(_ADD, x, y)


def subtract(x, y):
    """x - y, broadcasting."""
    return apply(_SUBTRACT, x, y)


add.primitive, subtract.primitive = _ADD, _SUBTRACT

negative = linear("negative", np.negative, transpose=lambda grad, x: negative(grad),
                  doc="-x")
multiply = binary("multiply", np.multiply,
                  d_dx=lambda x, y, out: y, d_dy=lambda x, y, out: x, uses=("x", "y"),
                  doc="x * y, broadcasting.", reads=((1,), (0,)))   # d/dx reads y, d/dy reads x


class _Divide(Primitive):
    name = "divide"
    needs_output = True
    reads = ((1,), (1,))   # both gradients read y (and the output), never x

    def forward(self, x, y):
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.true_divide(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("divide", (x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
        return out

    def vjp(self, needs, grad, out, x, y):
        if _has_zero(data_of(y)):
            # A division by zero happened: a zero upstream gradient must stay zero there
            # (not 0 * inf = NaN), so that where(x != 0, 1 / x, 0) is differentiable at 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_x = grad * _finite_times(grad, 1 / y) if needs[0] else None
                grad_y = grad * _finite_times(grad, negative(out / y)) if needs[1] else None
            return grad_x, grad_y
        grad_x = grad / y if needs[0] else None
        # d(x/y)/dy = -out / y
        grad_y = negative(grad * out / y) if needs[1] else None
        return grad_x, grad_y

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        result = None if tangent_x is None else tangent_x / y
        if tangent_y is not None:
            term = negative(tangent_y * out / y)
            result = term if result is None else result + term
        return result


def _has_zero(v):
    """Whether a divisor (ndarray or number) holds a zero; cheap (one C reduction)."""
    if isinstance(v, np.ndarray):
        return v.size > 0 and not v.all()
    return v == 0


divide = make_op(_Divide(), "x / y, broadcasting (true division).")
true_divide = divide


class _Power(Primitive):
    """x ** y. d/dx = y x^(y-1) (0 where y == 0); d/dy = out log x (0 where x == 0 and y >= 0)."""

    name = "power"
    needs_output = True

    def forward(self, x, y):
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                if isinstance(y, numbers.Integral) and not isinstance(y, bool) and y < 0 \
                        and np.asarray(x).dtype.kind in "iu":
                    out = np.power(np.asarray(x, dtype=float), y)
                else:
                    out = np.power(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("power", (x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
        return out

    @staticmethod
    def d_dx(x, y):
        if isinstance(y, numbers.Number):
            if y == 0:
                return 0.0 * x
            if y == 1:
                return 1.0 + 0.0 * x
            if y == 2:
                return 2.0 * x
            return y * x ** (y - 1)
        yd = data_of(y)
        return where(yd == 0, 0.0, y * x ** (y - 1))

    @staticmethod
    def d_dy(x, y, out):
        xd = data_of(x)
        yd = data_of(y)
        special = (xd == 0) & (yd >= 0)
        safe_x = where(special, 1.0, x)
        return where(special, 0.0, out * log(safe_x))

    def vjp(self, needs, grad, out, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_x = grad * _finite_times(grad, self.d_dx(x, y)) if needs[0] else None
            grad_y = grad * _finite_times(grad, self.d_dy(x, y, out)) if needs[1] else None
        return grad_x, grad_y

    def jvp(self, tangents, out, x, y):
        tangent_x, tangent_y = tangents
        result = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if tangent_x is not None:
                result = tangent_x * _finite_times(tangent_x, self.d_dx(x, y))
            if tangent_y is not None:
                term = tangent_y * _finite_times(tangent_y, self.d_dy(x, y, out))
                result = term if result is None else result + term
        return result


power = make_op(_Power(), "x ** y, broadcasting.")
pow = power

# ----------------------------------------------------------------------------- exp / log
exp = unary("exp", np.exp, lambda x, out: out, uses=("out",), doc="e ** x")
expm1 = unary("expm1", np.expm1, lambda x, out: out + 1, uses=("out",), doc="exp(x) - 1, accurate near 0")
exp2 = unary("exp2", np.exp2, lambda x, out: out * _LN2, uses=("out",), doc="2 ** x")
log = singular_unary("log", np.log, lambda x, out: 1 / x, uses=("x",), doc="natural logarithm")
log1p = singular_unary("log1p", np.log1p, lambda x, out: 1 / (1 + x), uses=("x",),
                       doc="log(1 + x), accurate near 0")
log2 = singular_unary("log2", np.log2, lambda x, out: 1 / (x * _LN2), uses=("x",))
log10 = singular_unary("log10", np.log10, lambda x, out: 1 / (x * _LN10), uses=("x",))
sqrt = singular_unary("sqrt", np.sqrt, lambda x, out: 0.5 / out, uses=("out",),
                      doc="square root; sqrt'(0) = inf as NumPy gives")
square = unary("square", np.square, lambda x, out: 2 * x, uses=("x",))
reciprocal = singular_unary("reciprocal", np.reciprocal,
                            lambda x, out: negative(out * out), uses=("out",))


def _reciprocal_forward(x):
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        x = x.astype(np.float64)
    return np.reciprocal(x)


reciprocal.primitive.fn = _reciprocal_forward

# ----------------------------------------------------------------------------- trigonometric
sin = unary("sin", np.sin, lambda x, out: cos(x), uses=("x",))
cos = unary("cos", np.cos, lambda x, out: negative(sin(x)), uses=("x",))
tan = unary("tan", np.tan, lambda x, out: 1 + out * out, uses=("out",))
arcsin = singular_unary("arcsin", np.arcsin, lambda x, out: 1 / sqrt(1 - x * x), uses=("x",))
arccos = singular_unary("arccos", np.arccos, lambda x, out: -1 / sqrt(1 - x * x), uses=("x",))
arctan = unary("arctan", np.arctan, lambda x, out: 1 / (1 + x * x), uses=("x",))
sinh = unary("sinh", np.sinh, lambda x, out: cosh(x), uses=("x",))
cosh = unary("cosh", np.cosh, lambda x, out: sinh(x), uses=("x",))
tanh = unary("tanh", np.tanh, lambda x, out: 1 - out * out, uses=("out",))
arcsinh = unary("arcsinh", np.arcsinh, lambda x, out: 1 / sqrt(x * x + 1), uses=("x",))
arccosh = singular_unary("arccosh", np.arccosh, lambda x, out: 1 / sqrt(x * x - 1), uses=("x",))
arctanh = singular_unary("arctanh", np.arctanh, lambda x, out: 1 / (1 - x * x), uses=("x",))
arctan2 = binary("arctan2", np.arctan2,
                 d_dx=lambda x, y, out: y / (x * x + y * y),
                 d_dy=lambda x, y, out: negative(x) / (x * x + y * y), uses=("x", "y"),
                 doc="arctan(x / y) in the right quadrant (NumPy's arctan2(x1, x2))")
_DEG = math.pi / 180.0
deg2rad = linear("deg2rad", np.deg2rad, transpose=lambda grad, x: grad * _DEG)
rad2deg = linear("rad2deg", np.rad2deg, transpose=lambda grad, x: grad * (1 / _DEG))
radians, degrees = deg2rad, rad2deg

# ----------------------------------------------------------------------------- piecewise
abs = unary("abs", np.abs, lambda x, out: sign(x), uses=("x",),
            doc="|x|; abs'(0) = 0 (API.md §2; as PyTorch)")
absolute = fabs = abs
# Step functions: their derivative is 0 almost everywhere (API.md §2: "zero gradient"). As in
# PyTorch, their output requires grad when the input does and backpropagates zeros, so
# ``floor(x).sum().backward()`` gives ``x.grad == 0``; a forward-mode tangent through them is 0.
class _StepFunction(_NamedNonDifferentiable):
    differentiable = True
    needs_inputs = False

    def vjp(self, needs, grad, out, x, **params):
        g = data_of(grad)
        return (np.zeros(np.shape(g), dtype=g.dtype),)

    def jvp(self, tangents, out, x, **params):
        return None


def _step(name, fn, doc):
    return make_op(_StepFunction(name, fn), doc)


sign = _step("sign", np.sign, "-1, 0 or 1 by the sign of x (zero gradient).")
floor = _step("floor", np.floor, "Largest integer <= x (zero gradient).")
ceil = _step("ceil", np.ceil, "Smallest integer >= x (zero gradient).")
trunc = _step("trunc", np.trunc, "x rounded towards zero (zero gradient).")
rint = _step("rint", np.rint, "x rounded to the nearest integer (zero gradient).")
floor_divide = nondifferentiable("floor_divide", np.floor_divide,
                                 "floor(x / y), broadcasting (zero gradient).")


def round(x, decimals=0):
    """Round to ``decimals`` places (zero gradient: a step function)."""
    return apply(_ROUND, x, decimals=decimals)


_ROUND = _StepFunction("round", lambda x, decimals=0: np.round(x, decimals))
round.primitive = _ROUND
around = round


def _tie_weights(x, y, dtype):
    """1 where x wins, 0.5 on a tie, 0 where y wins (the gradient split of maximum/minimum)."""
    xd, yd = data_of(x), data_of(y)
    return np.where(xd == yd, 0.5, xd > yd).astype(dtype)


class _Extremum(Primitive):
    """maximum / minimum / fmax / fmin: the winner takes the gradient; ties split it evenly.

    A NaN wins in maximum/minimum (its NaN is the output) and loses in fmax/fmin."""

    def __init__(self, name, fn, sign_):
        self.name, self.fn, self.sign = name, fn, sign_

    def forward(self, x, y):
        try:
            out = self.fn(x, y)
        except (TypeError, ValueError) as error:
            raise operand_error(self.name, (x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
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
    from ._util import is_tensor
    if is_tensor(a_min) or is_tensor(a_max):
        out = x
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

    def forward(self, condition, x, y):
        try:
            out = np.where(condition, x, y)
        except (TypeError, ValueError) as error:
            raise operand_error("where", (condition, x, y), error) from None
        if out.dtype is _F64:
            out = _weak(out, x, y)
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
        from .nondifferentiable import nonzero
        return nonzero(condition)
    return apply(_WHERE, condition, x, y)


where.primitive = _WHERE


def mod(x, y):
    """x mod y with the sign of y (NumPy's mod); d/dx = 1, d/dy = -floor(x / y)."""
    return apply(_MOD, x, y)


_MOD = binary("mod", np.mod, d_dx=lambda x, y, out: 1.0 + 0 * data_of(out),
              d_dy=lambda x, y, out: -np.floor_divide(data_of(x), data_of(y)),
              uses=("x", "y", "out")).primitive
mod.primitive = _MOD
remainder = mod


class _NanToNum(Primitive):
    name = "nan_to_num"

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
    from ..creation import zeros
    return zeros(shape_of(x), dtype=getattr(x, "dtype", None))


def positive(x):
    return x
