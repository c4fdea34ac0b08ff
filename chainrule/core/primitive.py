"""The Primitive contract (forward / vjp / jvp) and the one family of rule constructors.

A primitive's ``forward`` is pure NumPy. Its ``vjp`` and ``jvp`` are written with
chainrule ops, so they are differentiable themselves (higher order for free); when the
engine records nothing they run directly on ndarrays.

The constructors name the shape of a derivative and derive both rules from it::

    exp = unary("exp", np.exp, lambda x, out: out, uses=("out",), formula="exp({x})")
    multiply = binary("multiply", np.multiply, d_dx=lambda x, y, out: y,
                      d_dy=lambda x, y, out: x, uses=("x", "y"), formula=("{y}", "{x}"))
    negative = linear("negative", np.negative, transpose=lambda grad, x: negative(grad))
    floor = unary("floor", np.floor, step=True)        # zero gradient almost everywhere
    argmax = nondifferentiable("argmax", np.argmax)    # integer output: no gradient

Options, not separate families: ``singular=True`` (the derivative may be infinite: a zero
upstream gradient stays zero there instead of 0 * inf = NaN, and NumPy's warnings at the
singular points are quiet), ``step=True`` (derivative 0), ``reads=`` (which inputs each
gradient reads), ``formula=`` (the derivative as text, for ``cr.explain``). Every one types
Python numbers weakly and raises errors that name the op (``numeric.py``). The public
function's fast path is chosen from what the primitive declares (``arity``, ``direct``), so
every op of the same shape gets the same speed.
"""
import numpy as np

from .fastpath import binary_fast, general_op, unary_fast
from .installed import OPS
from .numeric import F64, axis_error, operand_error, quietly, weak_float, weak_result

__all__ = ["Primitive", "unary", "binary", "linear", "nondifferentiable", "make_op",
           "times_finite"]


class Primitive:
    """One differentiable function with its derivative rules side by side.

    forward(*arrays, **params) -> ndarray
    vjp(needs, grad, out, *inputs, **params) -> one gradient (or None) per input;
        ``needs[i]`` says whether input i wants a gradient
    jvp(tangents, out, *inputs, **params) -> output tangent (or None for zero);
        ``tangents[i]`` is None where input i has no tangent

    What a primitive declares (class attributes, overridable per instance):
    needs_inputs / needs_output  which values the rules read: only those are kept alive and
        version-checked against in-place modification; ``reads`` (optional) narrows the
        check: per input, the inputs that input's gradient reads
    differentiable  False: the output carries no gradient (no node is recorded)
    keeps_state     params hold values for backward, freed in ``release``
    arity / direct  the fast path: ``arity`` (1 or 2) positional array inputs and no params;
        ``direct`` a NumPy function with ``forward(*a) == weak_float(direct(*a))``
    elementwise     one local derivative per element (``cr.explain`` shows its value)
    formula         per input, the derivative as text for ``cr.explain`` ('{y}' for x * y);
        ``{x}``, ``{y}``, ``{out}`` stand for the names of the inputs and the output
    """

    name = "primitive"
    reads = None
    needs_inputs = True
    needs_output = False
    differentiable = True
    keeps_state = False
    arity = None
    direct = None
    elementwise = False
    formula = None

    def release(self, params):
        """Free what ``params`` keep for backward (called once backward no longer needs it)."""

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def vjp(self, needs, grad, out, *inputs, **params):
        raise NotImplementedError(f"{self.name}: no reverse-mode rule")

    def jvp(self, tangents, out, *inputs, **params):
        raise NotImplementedError(f"{self.name}: no forward-mode rule")

    def local_gradient(self, index, arrays, out, **params):
        """The derivative of the output w.r.t. input ``index`` per element, or None."""
        return None

    def formula_text(self, index):
        """The derivative w.r.t. input ``index`` as a template for ``cr.explain``, or None."""
        formula = self.formula
        if formula is None:
            return None
        if isinstance(formula, str):
            return formula
        return formula[min(index, len(formula) - 1)]

    def __repr__(self):
        return f"<primitive {self.name}>"


def make_op(prim, doc=None):
    """The public function of a primitive: positional inputs, keyword params."""
    if prim.arity == 1:
        op = unary_fast(prim)
    elif prim.arity == 2:
        op = binary_fast(prim)
    else:
        op = general_op(prim)
    op.__name__ = op.__qualname__ = prim.name
    op.primitive = prim
    op.__doc__ = doc or _default_doc(prim)
    return op


def _default_doc(prim):
    """A docstring for an op defined without one: what it computes and how it differentiates."""
    numpy_name = getattr(getattr(prim, "fn", None), "__name__", None)
    if prim.elementwise and prim.arity == 1:
        what = f"Elementwise {prim.name}(x)"
    elif prim.elementwise and prim.arity == 2:
        what = f"Elementwise {prim.name}(x, y), broadcasting"
    else:
        what = f"{prim.name}(...)"
    same = f", as ``numpy.{numpy_name}``" if numpy_name and hasattr(np, numpy_name) else ""
    if not prim.differentiable:
        return f"{what}{same}. Not differentiable: the result carries no gradient."
    if getattr(prim, "step", False):
        return f"{what}{same}. A step function: its gradient is zero."
    return f"{what}{same}; differentiable in reverse and forward mode, to any order."


def times_finite(grad, derivative):
    """grad * derivative, but 0 where grad == 0 even where the derivative is inf or NaN.

    This is what makes ``where(x > 0, sqrt(x), 0)`` differentiable at x = 0 (the where trap).
    On ndarrays (a no-record backward) one ``vdot`` tells whether anything is not finite,
    so the common case costs one multiply and one BLAS call.
    """
    if type(grad) is not np.ndarray and not isinstance(grad, np.generic):
        return OPS.where(grad == 0, 0, grad * derivative)      # Tensors: differentiable
    try:
        product = grad * derivative
    except RuntimeWarning:                                     # the user's warnings are errors
        product = quietly(np.multiply, grad, derivative)
    check = _vdot(product, product)
    if check - check != 0:           # inf or NaN somewhere
        product = np.where(grad == 0, 0, product).astype(product.dtype, copy=False)
    return product


_vdot = np.vdot


# ----------------------------------------------------------------------------- elementwise
class _Unary(Primitive):
    """y = fn(x) with dy/dx = derivative(x, out, **params)."""

    arity = 1
    elementwise = True

    def __init__(self, name, fn, derivative, uses, singular, step, formula):
        self.name, self.fn, self.derivative = name, fn, derivative
        self.direct = fn
        self.needs_inputs = "x" in uses and not step
        self.needs_output = "out" in uses and not step
        self.singular, self.step = singular, step
        self.formula = "0" if step and formula is None else formula

    def forward(self, x, **params):
        try:
            out = quietly(self.fn, x, **params) if self.singular else self.fn(x, **params)
        except (TypeError, ValueError, OverflowError) as error:
            raise operand_error(self.name, (x,), error) from None
        if not isinstance(x, np.ndarray) or out.dtype is not x.dtype:
            out = weak_float(np.asarray(out), (x,))
        return out

    def vjp(self, needs, grad, out, x, **params):
        if params:
            return (grad * self.derivative(x, out, **params),)
        return (grad * self.derivative(x, out),)

    def jvp(self, tangents, out, x, **params):
        return tangents[0] * self.derivative(x, out, **params)

    def local_gradient(self, index, arrays, out, **params):
        return self.derivative(arrays[0], out, **params)


class _SingularUnary(_Unary):
    """``unary(..., singular=True)``: a zero upstream gradient stays zero where the
    derivative is infinite (``times_finite``); NumPy's warnings there are quiet."""

    def vjp(self, needs, grad, out, x, **params):
        try:
            derivative = self.derivative(x, out, **params) if params else self.derivative(x, out)
        except RuntimeWarning:          # the user's warnings are errors: compute quietly
            derivative = quietly(self.derivative, x, out, **params)
        return (times_finite(grad, derivative),)

    def jvp(self, tangents, out, x, **params):
        return times_finite(tangents[0], quietly(self.derivative, x, out, **params))


class _StepUnary(_Unary):
    """``unary(..., step=True)``: derivative 0 almost everywhere; backpropagates zeros."""

    def vjp(self, needs, grad, out, x, **params):
        return (np.zeros(grad.shape, dtype=grad.dtype),)

    def jvp(self, tangents, out, x, **params):
        return None

    def local_gradient(self, index, arrays, out, **params):
        return np.zeros(np.shape(out))


def unary(name, fn, derivative=None, uses=("x", "out"), singular=False, step=False,
          formula=None, vjp=None, doc=None):
    """An elementwise function y = fn(x) with dy/dx = derivative(x, out, **params).

    Both rules come from the one formula: vjp = grad * derivative, jvp = tangent * derivative.
    ``uses`` names what the derivative reads ("x", "out"), so only that is kept.
    ``singular=True``: the derivative may be infinite (see ``times_finite``);
    ``step=True``: a step function (derivative 0; no ``derivative`` needed).
    ``vjp(derived, needs, grad, out, x)``: the same reverse rule in fewer NumPy calls, as for
    ``binary``.
    """
    if derivative is None and not step:
        raise TypeError(f"unary {name!r}: give derivative=, or step=True for a step function")
    kind = _StepUnary if step else _SingularUnary if singular else _Unary
    return make_op(_shortcut(kind(name, fn, derivative, uses, singular, step, formula), vjp), doc)


def _shortcut(prim, vjp):
    """``prim`` with its derived vjp replaced by ``vjp(derived, ...)`` when one is given."""
    if vjp is not None:
        derived = prim.vjp
        prim.vjp = lambda needs, grad, out, *inputs, **params: vjp(derived, needs, grad, out,
                                                                   *inputs, **params)
    return prim


class _Binary(Primitive):
    """y = fn(x, y), broadcasting, with partials d_dx(x, y, out) and d_dy(x, y, out)."""

    arity = 2
    elementwise = True

    def __init__(self, name, fn, d_dx, d_dy, uses, reads, singular, formula):
        self.name, self.fn, self.d_dx, self.d_dy = name, fn, d_dx, d_dy
        self.direct = fn
        self.needs_inputs = "x" in uses or "y" in uses
        self.needs_output = "out" in uses
        self.reads, self.singular, self.formula = reads, singular, formula

    def forward(self, x, y, **params):
        try:
            out = quietly(self.fn, x, y, **params) if self.singular is not False \
                else self.fn(x, y, **params)
        except (TypeError, ValueError, OverflowError) as error:
            raise operand_error(self.name, (x, y), error) from None
        if out.dtype is F64:
            out = weak_result(out, (x, y))
        return out

    def vjp(self, needs, grad, out, x, y, **params):
        if params:
            return (grad * self.d_dx(x, y, out, **params) if needs[0] else None,
                    grad * self.d_dy(x, y, out, **params) if needs[1] else None)
        return (grad * self.d_dx(x, y, out) if needs[0] else None,
                grad * self.d_dy(x, y, out) if needs[1] else None)

    def jvp(self, tangents, out, x, y, **params):
        tangent_x, tangent_y = tangents
        result = None
        if tangent_x is not None:
            result = self._times(tangent_x, self.d_dx, x, y, out, params)
        if tangent_y is not None:
            term = self._times(tangent_y, self.d_dy, x, y, out, params)
            result = term if result is None else result + term
        return result

    def _times(self, grad, partial, x, y, out, params):
        """grad times one partial derivative."""
        return grad * partial(x, y, out, **params)

    def local_gradient(self, index, arrays, out, **params):
        partial = self.d_dx if index == 0 else self.d_dy
        return partial(arrays[0], arrays[1], out, **params)


class _SingularBinary(_Binary):
    """``binary(..., singular=True)``: as ``_SingularUnary``, for each partial. ``singular``
    may instead be a predicate ``singular(x, y)``: are infinite partials possible for these
    inputs? (``x ** 2`` cannot have one; ``x ** 0.5`` can.)"""

    def vjp(self, needs, grad, out, x, y, **params):
        return (self._times(grad, self.d_dx, x, y, out, params) if needs[0] else None,
                self._times(grad, self.d_dy, x, y, out, params) if needs[1] else None)

    def _times(self, grad, partial, x, y, out, params):
        if self.singular is not True and not self.singular(x, y):
            return grad * partial(x, y, out, **params)
        return times_finite(grad, quietly(partial, x, y, out, **params))


def binary(name, fn, d_dx, d_dy, uses=("x", "y", "out"), reads=None, singular=False,
           formula=None, direct=None, vjp=None, doc=None):
    """An elementwise, broadcasting function of two inputs with partials d_dx, d_dy(x, y, out).

    The engine sums each gradient back to its input's shape (unbroadcast). ``reads``
    (optional): per input, the inputs its partial reads, e.g. ((1,), (0,)) for x * y --
    only those are checked against later in-place writes. ``singular`` as for ``unary``
    (or a predicate of (x, y)); ``direct`` a faster NumPy call that equals ``fn`` wherever it
    does not raise (the fast path tries it first); ``vjp(derived, needs, grad, out, x, y)`` the
    same reverse rule written in fewer NumPy calls, ``derived`` the one from the partials
    (call it where the short form does not apply).
    """
    kind = _SingularBinary if singular else _Binary
    prim = kind(name, fn, d_dx, d_dy, uses, reads, singular, formula)
    if direct is not None:
        prim.direct = direct
    return make_op(_shortcut(prim, vjp), doc)


# ----------------------------------------------------------------------------- linear maps
class _Linear(Primitive):
    """A function linear in its inputs: its own JVP; its VJP is its transpose."""

    needs_inputs = False  # a linear map's rules read only shapes (kept as Tensors' metadata)

    def __init__(self, name, fn, transpose, nargs, elementwise, weak, formula):
        self.name, self.fn, self.transpose, self.nargs = name, fn, transpose, nargs
        self.weak = weak
        self.arity = nargs if nargs in (1, 2) else None
        self.direct = fn if self.arity else None
        self.elementwise, self.formula = elementwise, formula
        self.op = None

    def forward(self, *arrays, **params):
        try:
            out = self.fn(*arrays, **params)
        except (TypeError, ValueError) as error:
            if not self.elementwise:
                raise
            raise operand_error(self.name, arrays, error) from None
        if self.weak and (self.elementwise and out.dtype is F64    # as binary's typing
                          or arrays and type(arrays[0]) is not np.ndarray):  # a Python number
            out = weak_result(out, arrays)
        return out

    def vjp(self, needs, grad, out, *inputs, **params):
        grads = self.transpose(grad, *inputs, **params)
        return grads if isinstance(grads, tuple) else (grads,)

    def jvp(self, tangents, out, *inputs, **params):
        if all(t is None for t in tangents):
            return None
        filled = [_zeros_like(x, out) if t is None else t for t, x in zip(tangents, inputs)]
        return self.op(*filled, **params)

    def local_gradient(self, index, arrays, out, **params):
        if not self.elementwise:
            return None
        ones = np.ones(np.shape(out))
        return self.fn(*[ones if i == index else np.zeros(np.shape(a))
                         for i, a in enumerate(arrays)], **params)


def _zeros_like(x, out):
    """A zero tangent for input ``x`` (shape and dtype of x; the output's dtype for numbers)."""
    dtype = getattr(x, "dtype", None) or getattr(out, "dtype", None)
    return np.zeros(np.shape(x), dtype=dtype)


def linear(name, fn, transpose, nargs=1, elementwise=False, weak=True, formula=None, doc=None):
    """A function linear in its inputs: its JVP is itself, its VJP ``transpose(grad, *inputs, **params)``.

    ``transpose`` returns one gradient per input (a tuple when there are several).
    ``nargs``: the number of array inputs (None: any number, e.g. concatenate).
    ``weak=False``: Python-number inputs are not typed weakly (``astype`` names its dtype).
    """
    prim = _Linear(name, fn, transpose, nargs, elementwise, weak, formula)
    prim.op = make_op(prim, doc)
    return prim.op


# ----------------------------------------------------------------------------- no gradient
class _NonDifferentiable(Primitive):
    differentiable = False
    needs_inputs = False

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def forward(self, *arrays, **params):
        try:
            out = self.fn(*arrays, **params)
        except (TypeError, ValueError) as error:
            if isinstance(error, np.exceptions.AxisError) and arrays:
                raise axis_error(self.name, params.get("axis"), np.ndim(arrays[0]),
                                 error) from None
            raise operand_error(self.name, arrays, error) from None
        if arrays and type(arrays[0]) is not np.ndarray:   # a Python number (or list) input
            out = weak_result(out, arrays)
        return out

    def vjp(self, needs, grad, out, *inputs, **params):
        return (None,) * len(inputs)

    def jvp(self, tangents, out, *inputs, **params):
        return None


def nondifferentiable(name, fn, doc=None):
    """A function whose output carries no gradient (integer or boolean results, comparisons)."""
    return make_op(_NonDifferentiable(name, fn), doc)
