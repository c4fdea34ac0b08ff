"""The fast paths: ``apply``'s steps inlined for one or two inputs and no params.

That call (``cr.sin(x)``, ``x * y``) is the overwhelmingly common one, and per-op overhead
is a feature we measure (``benchmarks/overhead.py``). A primitive that declares ``arity``
1 or 2 gets one of these as its public function; ``direct`` (a NumPy function equal to
``forward`` up to weak typing) is called without the Python-level ``forward``; when it
raises, ``forward`` runs and raises the error that names the op. Anything
unusual -- params, Tensor subclasses, tangents, anomaly checks, observers -- goes to
``apply_packed``. ``tests/core/test_fastpath.py`` checks both paths agree over the op table.
"""
import numpy as np

from .apply import apply_packed, record
from .modes import PLAIN, RAW, RECORD, STATE
from .numeric import F64, weak_float

Tensor = None  # the Tensor class, handed in by chainrule.core.install
ndarray = np.ndarray


def general_op(prim):
    """The public function of a primitive with no fast path."""
    def op(*args, **params):
        return apply_packed(prim, args, params)
    return op


def unary_fast(prim):
    """The public function of a one-input primitive, with ``apply`` inlined."""
    forward, differentiable = prim.forward, prim.differentiable
    direct = prim.direct or forward

    def op(x, **params):
        if not params:
            if type(x) is Tensor:
                mode = STATE.mode
                if mode >= PLAIN:
                    xd = x.data
                    try:
                        data = direct(xd)
                    except Exception:
                        data = forward(xd)   # raises the error that names the op
                    if type(data) is not ndarray:
                        data = np.asarray(data)
                    if data.dtype is not xd.dtype:
                        data = weak_float(data, (xd,))
                    out = Tensor.__new__(Tensor)
                    out.data = data
                    if mode == RECORD and x.requires_grad and differentiable:
                        record(prim, (x,), params, out, (xd,))
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

    def op(x, y, **params):
        if not params:
            tx, ty = type(x) is Tensor, type(y) is Tensor
            if (tx or ty) and STATE.mode >= PLAIN and (tx or not isinstance(x, Tensor)) \
                    and (ty or not isinstance(y, Tensor)):
                xd, rx = (x.data, x.requires_grad) if tx else (x, False)
                yd, ry = (y.data, y.requires_grad) if ty else (y, False)
                try:
                    data = direct(xd, yd)
                except Exception:
                    data = forward(xd, yd)   # raises the error that names the op
                if type(data) is not ndarray:
                    data = np.asarray(data)
                if data.dtype is F64:
                    data = weak_float(data, (xd, yd))
                out = Tensor.__new__(Tensor)
                out.data = data
                if (rx or ry) and STATE.mode == RECORD and differentiable:
                    record(prim, (x, y), params, out, (xd, yd))
                return out
            if type(x) is ndarray and not ty and STATE.mode == RAW:
                try:
                    data = direct(x, y)
                except Exception:
                    return forward(x, y)
                return data if data.dtype is not F64 else weak_float(data, (x, y))
        return apply_packed(prim, (x, y), params)
    return op
