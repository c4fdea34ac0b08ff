"""The fast paths: ``apply``'s steps inlined for one or two inputs and no params.

That call (``cr.sin(x)``, ``x * y``) is the overwhelmingly common one, and per-op overhead
is a feature we measure (``benchmarks/overhead.py``). A primitive that declares ``arity``
1 or 2 gets one of these as its public function; ``direct`` (a NumPy function equal to
``forward`` up to weak typing) is called without the Python-level ``forward``; when it
raises, the general path runs ``forward``, which raises the error that names the op. Anything
unusual -- params, Tensor subclasses, tangents, anomaly checks, observers -- goes to
``apply_packed``. ``tests/core/test_fastpath.py`` checks both paths agree over the op table.
"""
import numpy as np

from ..dtypes import NUMERIC_DTYPES, NUMERIC_KINDS
from .apply import apply_packed, reads
from .modes import PLAIN, RAW, RECORD, STATE
from .node import Node
from .numeric import F64, weak_float

Tensor = None  # the Tensor class, handed in by chainrule.core.install
ndarray = np.ndarray
_ONE_NEEDS = (True,)


def _odd(v):
    """Whether a non-Tensor operand is anything but a number or a numeric ndarray (complex,
    object, str, a list...): the general path takes it, which rejects a result of a dtype no
    Tensor holds. Tensors hold only numeric data, so Tensor operands never need this."""
    if type(v) is ndarray:
        return type(v.dtype) not in NUMERIC_DTYPES
    if type(v) is bool:
        return False
    dtype = getattr(v, "dtype", None)       # a NumPy scalar
    return not isinstance(dtype, np.dtype) or dtype.kind not in NUMERIC_KINDS


def general_op(prim):
    """The public function of a primitive with no fast path."""
    def op(*args, **params):
        return apply_packed(prim, args, params)
    return op


def unary_fast(prim):
    """The public function of a one-input primitive, with ``apply`` inlined."""
    forward, differentiable = prim.forward, prim.differentiable
    direct = prim.direct or forward
    keep_input, keep_output = prim.needs_inputs, prim.needs_output

    def op(x, **params):
        if not params:
            if type(x) is Tensor:
                mode = STATE.mode
                if mode >= PLAIN:
                    xd = x.data
                    try:
                        data = direct(xd)
                    except Exception:        # forward raises the error that names the op
                        return apply_packed(prim, (x,), params)
                    if type(data) is not ndarray:
                        data = np.asarray(data)
                    if data.dtype is not xd.dtype:
                        data = weak_float(data, (xd,))
                    out = Tensor.__new__(Tensor)
                    out.data = data
                    if mode == RECORD and x._requires_grad and differentiable:
                        # apply.record's one-input case, inlined (the hottest line of all)
                        node = Node(prim, params, (x,), (x.node or x,),
                                    (x._version,) if keep_input else None, (xd,), _ONE_NEEDS)
                        if keep_output:
                            node.out_data = data
                        out.node = node
                        out._requires_grad = True
                    return out
            elif type(x) is ndarray and STATE.mode == RAW:
                try:
                    data = direct(x)
                except Exception:
                    return forward(x)
                return data if data.dtype is x.dtype else weak_float(data, (x,))
        return apply_packed(prim, (x,), params)
    return op


def binary_fast(prim):
    """The public function of a two-input primitive, with ``apply`` inlined."""
    forward, differentiable = prim.forward, prim.differentiable
    direct = prim.direct or forward
    keep_inputs, keep_output = prim.needs_inputs, prim.needs_output
    # which inputs the rules read, by (x needs a gradient) + 2 * (y needs one)
    read_by_needs = [None] + [reads(prim, (bool(k & 1), bool(k & 2))) for k in (1, 2, 3)]

    def op(x, y, **params):
        if not params:
            mode = STATE.mode
            tx = type(x) is Tensor
            ty = type(y) is Tensor
            if mode >= PLAIN and (tx or ty):
                if tx:
                    xd = x.data
                    rx = x._requires_grad
                elif isinstance(x, Tensor):      # a subclass (Parameter): the general path
                    return apply_packed(prim, (x, y), params)
                else:
                    if type(x) is not float and type(x) is not int and _odd(x):
                        return apply_packed(prim, (x, y), params)   # (it rejects the dtype)
                    xd = x
                    rx = False
                if ty:
                    yd = y.data
                    ry = y._requires_grad
                elif isinstance(y, Tensor):
                    return apply_packed(prim, (x, y), params)
                else:
                    if type(y) is not float and type(y) is not int and _odd(y):
                        return apply_packed(prim, (x, y), params)   # (it rejects the dtype)
                    yd = y
                    ry = False
                try:
                    data = direct(xd, yd)
                except Exception:            # forward raises the error that names the op
                    return apply_packed(prim, (x, y), params)
                if type(data) is not ndarray:
                    data = np.asarray(data)
                if data.dtype is F64:
                    data = weak_float(data, (xd, yd))
                out = Tensor.__new__(Tensor)
                out.data = data
                if (rx or ry) and mode == RECORD and differentiable:
                    # apply.record's two-input case, inlined
                    versions = None
                    if keep_inputs:
                        read_x, read_y = read_by_needs[rx + 2 * ry]
                        versions = (x._version if tx and read_x else None,
                                    y._version if ty and read_y else None)
                    node = Node(prim, params, (x, y), ((x.node or x) if rx else None,
                                                       (y.node or y) if ry else None),
                                versions, (xd, yd), (rx, ry))
                    if keep_output:
                        node.out_data = data
                    out.node = node
                    out._requires_grad = True
                return out
            if mode == RAW and type(x) is ndarray and not ty:
                try:
                    data = direct(x, y)
                except Exception:
                    return forward(x, y)
                return data if data.dtype is not F64 else weak_float(data, (x, y))
        return apply_packed(prim, (x, y), params)
    return op
