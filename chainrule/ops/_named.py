"""The rule helpers (unary, binary, linear, nondifferentiable) with errors that name the op.

NumPy's own messages ("operands could not be broadcast together with shapes (2,3) (4,)",
"ufunc 'add' did not contain a loop ...") do not say which chainrule op failed. These
subclasses catch the error in ``forward`` and re-raise it with the op's name, the
operands' shapes and dtypes and what was expected. A ``try`` costs nothing on the
success path, so the common case stays as fast as the plain helpers.

They also apply weak typing to Python scalars consistently: an op whose inputs are only
Python numbers computes in the default float dtype (``cr.negative(1.5)`` is float32, as
``cr.tensor(1.5)`` is), never NumPy's float64.
"""
import numpy as np

from ..autograd.dispatch import DIRECT_FORWARDS
from ..autograd.primitive import _Binary, _Linear, _NonDifferentiable, _Unary, _weak_float, make_op

_F64 = np.dtype(np.float64)

__all__ = ["unary", "binary", "linear", "nondifferentiable", "operand_error", "describe",
           "weak_result"]


def weak_result(out, inputs):
    """``out`` as an ndarray, float64 demoted to the default dtype when only weak inputs
    (Python numbers, NumPy scalars) made it float64 -- no float64 ndarray among ``inputs``."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if out.dtype is _F64:
        out = _weak_float(out, inputs)
    return out


def describe(x):
    """How an operand shows in an error message: 'float32 of shape (2, 3)', 'str', ..."""
    if isinstance(x, np.ndarray):
        return f"{x.dtype} of shape {x.shape}"
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def operand_error(name, operands, error):
    """The error to raise when NumPy rejected ``operands`` of op ``name`` with ``error``."""
    if isinstance(error, TypeError):
        parts = ", ".join(f"argument {i + 1} is {describe(x)}" for i, x in enumerate(operands))
        return TypeError(f"{name}: unsupported operand type(s): {parts} (expected Tensors, "
                         f"ndarrays or Python numbers of numeric dtype)")
    if isinstance(error, ValueError):
        shapes = [np.shape(x) for x in operands if x is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            shown = " and ".join(str(tuple(s)) for s in shapes) if len(shapes) == 2 else \
                ", ".join(str(tuple(s)) for s in shapes)
            return ValueError(f"{name}: operands could not be broadcast together: shapes {shown}")
        return ValueError(f"{name}: {error}")
    return error


class _NamedUnary(_Unary):
    # The body of _Unary.forward, inlined (no extra call on the hot path).
    def forward(self, x, **params):
        try:
            out = self.fn(x, **params)
        except (TypeError, ValueError) as error:
            raise operand_error(self.name, (x,), error) from None
        if not isinstance(x, np.ndarray) or out.dtype is not x.dtype:
            out = _weak_float(np.asarray(out), (x,))
        return out


class _NamedBinary(_Binary):
    # The body of _Binary.forward, inlined (no extra call on the hot path).
    def forward(self, x, y, **params):
        try:
            out = self.fn(x, y, **params)
        except (TypeError, ValueError) as error:
            raise operand_error(self.name, (x, y), error) from None
        if out.dtype is _F64:
            out = weak_result(out, (x, y))
        return out


DIRECT_FORWARDS.add(_NamedUnary.forward)
DIRECT_FORWARDS.add(_NamedBinary.forward)


class _NamedNonDifferentiable(_NonDifferentiable):
    def forward(self, *arrays, **params):
        try:
            out = self.fn(*arrays, **params)
        except (TypeError, ValueError) as error:
            if isinstance(error, np.exceptions.AxisError) and arrays:
                from ._util import axis_error
                raise axis_error(self.name, params.get("axis"), np.ndim(arrays[0]), error) from None
            raise operand_error(self.name, arrays, error) from None
        if arrays and type(arrays[0]) is not np.ndarray:   # a Python number (or list) input
            out = weak_result(out, arrays)
        return out


class _NamedLinear(_Linear):
    def forward(self, *arrays, **params):
        out = self.fn(*arrays, **params)
        if arrays and type(arrays[0]) is not np.ndarray:   # a Python number (or list) input
            out = weak_result(out, arrays)
        return out


def linear(name, fn, transpose, nargs=1, doc=None):
    """``chainrule.autograd.primitive.linear`` with weak typing of Python-number inputs."""
    prim = _NamedLinear(name, fn, transpose, nargs)
    op = make_op(prim, doc)
    prim.op = op
    return op


def unary(name, fn, derivative, uses=("x", "out"), doc=None):
    """``chainrule.autograd.primitive.unary`` whose errors name the op."""
    return make_op(_NamedUnary(name, fn, derivative, uses), doc, arity=1)


def binary(name, fn, d_dx, d_dy, uses=("x", "y", "out"), doc=None, reads=None):
    """``chainrule.autograd.primitive.binary`` whose errors name the op."""
    prim = _NamedBinary(name, fn, d_dx, d_dy, uses)
    prim.reads = reads
    return make_op(prim, doc, arity=2)


def nondifferentiable(name, fn, doc=None):
    """``chainrule.autograd.primitive.nondifferentiable`` whose errors name the op."""
    return make_op(_NamedNonDifferentiable(name, fn), doc)
