"""The Primitive contract (forward / vjp / jvp) and the helpers that derive rules from one formula.

A primitive's ``forward`` is pure NumPy. Its ``vjp`` and ``jvp`` are written with
chainrule ops, so they are differentiable themselves (higher order for free); when
the engine records nothing they run directly on ndarrays.
"""
import numpy as np

from . import dispatch as _dispatch
from .dispatch import apply_packed, binary_op, unary_op
from .modes import STATE

__all__ = ["Primitive", "unary", "binary", "linear", "nondifferentiable", "make_op"]


class Primitive:
    """One differentiable function with its derivative rules side by side.

    forward(*arrays, **params) -> ndarray
    vjp(needs, grad, out, *inputs, **params) -> one gradient (or None) per input;
        ``needs[i]`` says whether input i wants a gradient
    jvp(tangents, out, *inputs, **params) -> output tangent (or None for zero);
        ``tangents[i]`` is None where input i has no tangent

    needs_inputs / needs_output say which values the rules read: only those are
    kept alive and version-checked against in-place modification. ``reads`` (optional)
    narrows the check: per input, the inputs that input's gradient reads. A primitive whose
    params hold values for backward sets ``keeps_state`` and frees them in ``release``.
    """

    name = "primitive"
    reads = None          # optional: per input, the inputs its gradient's rule reads
    needs_inputs = True
    needs_output = False
    differentiable = True
    keeps_state = False

    def release(self, params):
        """Free what ``params`` keep for backward (called once backward no longer needs it)."""

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def vjp(self, needs, grad, out, *inputs, **params):
        raise NotImplementedError(f"{self.name}: no reverse-mode rule")

    def jvp(self, tangents, out, *inputs, **params):
        raise NotImplementedError(f"{self.name}: no forward-mode rule")

    def __repr__(self):
        return f"<primitive {self.name}>"


def make_op(prim, doc=None, arity=None):
    """The public function for a primitive: positional inputs, keyword params.

    ``arity`` 1 or 2 builds the dispatcher's inlined fast path for that many inputs.
    """
    if arity == 1:
        op = unary_op(prim)
    elif arity == 2:
        op = binary_op(prim)
    else:
        def op(*args, **params):
            return apply_packed(prim, args, params)
    op.__name__ = op.__qualname__ = prim.name
    op.primitive = prim
    op.__doc__ = doc or _default_doc(prim)
    return op


def _default_doc(prim):
    """A docstring for an op defined without one: what it computes and how it differentiates."""
    fn = getattr(prim, "fn", None)
    numpy_name = getattr(fn, "__name__", None)
    if isinstance(prim, _Unary):
        what = f"Elementwise {prim.name}(x)"
    elif isinstance(prim, _Binary):
        what = f"Elementwise {prim.name}(x, y), broadcasting"
    else:
        what = f"{prim.name}(...)"
    same = f", as ``numpy.{numpy_name}``" if numpy_name and hasattr(np, numpy_name) else ""
    if not prim.differentiable:
        return f"{what}{same}. Not differentiable: the result carries no gradient."
    return f"{what}{same}; differentiable in reverse and forward mode, to any order."


_F64 = np.dtype(np.float64)


def _weak_float(out, arrays):
    """Python scalars and integer arrays promote to the default float dtype, not float64.

    Inside a no-record backward (``STATE.raw``) a ``np.float64`` scalar is float64 *data*:
    NumPy returns scalars from arithmetic on 0-d arrays, so the rules of a 0-d float64
    computation see them, and demoting those would silently lose precision.
    """
    if isinstance(out, np.ndarray) and out.dtype is _F64:
        raw = STATE.raw
        for a in arrays:
            if isinstance(a, np.ndarray) and a.dtype is _F64 or raw and type(a) is np.float64:
                return out
        from ..dtypes import get_default_dtype
        return out.astype(get_default_dtype())
    return out


_dispatch._weak_float = _weak_float


class _Unary(Primitive):
    def __init__(self, name, fn, derivative, uses):
        self.name = name
        self.fn = fn
        self.derivative = derivative
        self.needs_inputs = "x" in uses
        self.needs_output = "out" in uses

    def forward(self, x, **params):
        out = self.fn(x, **params)
        if not isinstance(x, np.ndarray) or out.dtype is not x.dtype:
            out = _weak_float(np.asarray(out), (x,))
        return out

    def vjp(self, needs, grad, out, x, **params):
        if params:
            return (grad * self.derivative(x, out, **params),)
        return (grad * self.derivative(x, out),)

    def jvp(self, tangents, out, x, **params):
        return tangents[0] * self.derivative(x, out, **params)


_dispatch.DIRECT_FORWARDS.add(_Unary.forward)


def unary(name, fn, derivative, uses=("x", "out"), doc=None):
    """An elementwise function y = fn(x) with dy/dx = derivative(x, out, **params).

    Both rules come from the one formula: vjp = grad * derivative, jvp = tangent * derivative.
    ``uses`` names what the derivative reads ("x", "out"), so only that is kept.
    """
    return make_op(_Unary(name, fn, derivative, uses), doc, arity=1)


class _Binary(Primitive):
    def __init__(self, name, fn, d_dx, d_dy, uses):
        self.name = name
        self.fn = fn
        self.d_dx = d_dx
        self.d_dy = d_dy
        self.needs_inputs = "x" in uses or "y" in uses
        self.needs_output = "out" in uses

    def forward(self, x, y, **params):
        out = self.fn(x, y, **params)
        if out.dtype is _F64:
            out = _weak_float(out, (x, y))
        return out

    def vjp(self, needs, grad, out, x, y, **params):
        if params:
            grad_x = grad * self.d_dx(x, y, out, **params) if needs[0] else None
            grad_y = grad * self.d_dy(x, y, out, **params) if needs[1] else None
        else:
            grad_x = grad * self.d_dx(x, y, out) if needs[0] else None
            grad_y = grad * self.d_dy(x, y, out) if needs[1] else None
        return grad_x, grad_y

    def jvp(self, tangents, out, x, y, **params):
        tangent_x, tangent_y = tangents
        result = None
        if tangent_x is not None:
            result = tangent_x * self.d_dx(x, y, out, **params)
        if tangent_y is not None:
            term = tangent_y * self.d_dy(x, y, out, **params)
            result = term if result is None else result + term
        return result


_dispatch.DIRECT_FORWARDS.add(_Binary.forward)


def binary(name, fn, d_dx, d_dy, uses=("x", "y", "out"), doc=None, reads=None):
    """An elementwise, broadcasting function of two inputs with partials d_dx, d_dy(x, y, out).

    The engine sums each gradient back to its input's shape (unbroadcast).
    ``reads`` (optional): per input, the inputs its partial reads, e.g. ((1,), (0,)) for
    x * y -- only those are checked against later in-place writes.
    """
    prim = _Binary(name, fn, d_dx, d_dy, uses)
    prim.reads = reads
    return make_op(prim, doc, arity=2)


class _Linear(Primitive):
    needs_inputs = False  # a linear map's rules read only shapes (kept as Tensors' metadata)

    def __init__(self, name, fn, transpose, nargs):
        self.name = name
        self.fn = fn
        self.transpose = transpose
        self.nargs = nargs
        self.op = None

    def forward(self, *arrays, **params):
        return self.fn(*arrays, **params)

    def vjp(self, needs, grad, out, *inputs, **params):
        grads = self.transpose(grad, *inputs, **params)
        return grads if isinstance(grads, tuple) else (grads,)

    def jvp(self, tangents, out, *inputs, **params):
        if all(t is None for t in tangents):
            return None
        from ..ops.elementwise import zeros_like_any
        filled = [zeros_like_any(x) if t is None else t for t, x in zip(tangents, inputs)]
        return self.op(*filled, **params)


def linear(name, fn, transpose, nargs=1, doc=None):
    """A function linear in its inputs: its JVP is itself, its VJP is ``transpose(grad, *inputs, **params)``.

    ``transpose`` returns one gradient per input (a tuple when there are several).
    """
    prim = _Linear(name, fn, transpose, nargs)
    op = make_op(prim, doc)
    prim.op = op
    return op


class _NonDifferentiable(Primitive):
    differentiable = False
    needs_inputs = False

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def forward(self, *arrays, **params):
        return self.fn(*arrays, **params)

    def vjp(self, needs, grad, out, *inputs, **params):
        return (None,) * len(inputs)

    def jvp(self, tangents, out, *inputs, **params):
        return None


def nondifferentiable(name, fn, doc=None):
    """A function whose output carries no gradient (integer or boolean results, step functions)."""
    return make_op(_NonDifferentiable(name, fn), doc)
