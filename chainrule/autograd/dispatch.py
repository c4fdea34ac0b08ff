"""apply(): the single door every primitive call goes through.

Unwrap the inputs, run the primitive's NumPy forward, carry forward-mode tangents,
record a Node when grad mode is on and an input requires grad, tell the observers.
The common case -- nothing to record, no tangents, no observers -- stays short:
per-op overhead is a feature we measure.
"""
import numpy as np

from .modes import PLAIN, RAW, RECORD, STATE
from .node import Node

_Tensor = None  # set by chainrule.tensor at import (the Tensor class)


def apply(prim, *args, **params):
    """Run ``prim`` on ``args`` and return a Tensor (an ndarray inside a no-record backward)."""
    return apply_packed(prim, args, params)


def apply_packed(prim, args, params):
    """``apply`` with the arguments as a tuple and the params as a dict (no re-packing)."""
    state = STATE
    mode = state.mode
    Tensor = _Tensor
    if mode < PLAIN:
        if mode == RAW:  # inside a no-record backward: ndarrays in, ndarrays out
            for a in args:
                if isinstance(a, Tensor):
                    args = [a.data if isinstance(a, Tensor) else a for a in args]
                    break
            return prim.forward(*args, **params) if params else prim.forward(*args)
        return _apply_general(state, prim, args, params)
    n = len(args)
    if n == 1:                          # the common unary case, without a loop
        a = args[0]
        if type(a) is Tensor:
            arrays = (a.data,)
            record = a.requires_grad
        elif isinstance(a, Tensor):
            arrays = (a.data,)
            record = a.requires_grad
        else:
            arrays = args
            record = False
    elif n == 2:
        a, b = args
        record = False
        if isinstance(a, Tensor):
            record = a.requires_grad
            a = a.data
        if isinstance(b, Tensor):
            record = record or b.requires_grad
            b = b.data
        arrays = (a, b)
    else:
        arrays, record = _unwrap(args, Tensor)
    data = prim.forward(*arrays, **params) if params else prim.forward(*arrays)
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    if record and mode == RECORD and prim.differentiable:
        _record(prim, args, params, out, arrays)
    return out


def _unwrap(args, Tensor):
    """(the arguments' arrays, whether any argument is a Tensor that requires grad)."""
    record = False
    arrays = []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.data)
            if a.requires_grad:
                record = True
        else:
            arrays.append(a)
    return arrays, record


def _apply_general(state, prim, args, params):
    """The path with forward-mode tangents, anomaly checks or observers active."""
    if state.levels and _has_tangents(args):
        return _apply_with_tangents(prim, args, params)
    Tensor = _Tensor
    arrays, record = _unwrap(args, Tensor)
    data = prim.forward(*arrays, **params)
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    if record and state.grad_enabled and prim.differentiable:
        _record(prim, args, params, out, arrays)
    if state.watch:                     # detect_anomaly or observers (explain, viz)
        _watch(state, prim, args, params, out)
    return out


def _watch(state, prim, args, params, out):
    if state.anomaly:
        if out.node is not None and out.node.primitive is prim:
            out.node.site = user_site()
        _check_forward(prim, out)
    for observer in state.observers:
        observer.on_apply(prim, args, params, out)


_ALL_NEED = [(True,) * n for n in range(8)]


def _parent(a, Tensor):
    """The graph edge for one argument: its Node, the leaf Tensor itself, or None."""
    if isinstance(a, Tensor) and a.requires_grad:
        node = a.node
        return a if node is None else node
    return None


def _version(a, Tensor):
    return a._version if isinstance(a, Tensor) else None


def _record(prim, args, params, out, arrays=None):
    """Attach a Node for this call to ``out`` (called only when some input requires grad)."""
    Tensor = _Tensor
    n = len(args)
    # One and two inputs are the common cases: build the tuples directly (hot path).
    if n == 1:
        a = args[0]                     # necessarily a Tensor that requires grad
        parents = (a.node or a,)
        needs = _ALL_NEED[1]
        versions = (a._version,) if prim.needs_inputs else None
    elif n == 2:
        a, b = args
        a_is_tensor = isinstance(a, Tensor)
        b_is_tensor = isinstance(b, Tensor)
        pa = (a.node or a) if a_is_tensor and a.requires_grad else None
        pb = (b.node or b) if b_is_tensor and b.requires_grad else None
        parents = (pa, pb)
        needs = (pa is not None, pb is not None)
        if not prim.needs_inputs:
            versions = None
        else:
            read_a, read_b = _reads(prim, needs)
            versions = (a._version if a_is_tensor and read_a else None,
                        b._version if b_is_tensor and read_b else None)
    else:
        parents = tuple([_parent(a, Tensor) for a in args])
        needs = tuple([p is not None for p in parents])  # (never `None in parents`: Tensor ==)
        if not prim.needs_inputs:
            versions = None
        else:
            read = _reads(prim, needs)
            versions = tuple([_version(a, Tensor) if r else None for a, r in zip(args, read)])
    node = Node(prim, params, args, parents, versions, arrays, needs)
    if prim.needs_output:
        node.out_data = out.data
    out.node = node
    out.requires_grad = True


def _reads(prim, needs):
    """Per input: will the rules of the needed gradients read it (so its version is checked)?

    ``prim.reads`` (optional) lists, per input, the inputs that input's gradient reads: e.g.
    multiply's ((1,), (0,)) -- so ``b * 2`` does not pin ``b`` against later in-place writes
    when only ``b`` wants a gradient (as in PyTorch). Without it, every input is read.
    """
    reads = prim.reads
    if reads is None:
        return (True,) * len(needs)
    wanted = set()
    for i, need in enumerate(needs):
        if need:
            wanted.update(reads[i])
    return tuple(i in wanted for i in range(len(needs)))


def _has_tangents(args):
    Tensor = _Tensor
    for a in args:
        if isinstance(a, Tensor) and a._tangents:
            return True
    return False


def _apply_with_tangents(prim, args, params):
    """Forward mode: handle the highest tangent level here, the lower ones by recursion.

    The primal is computed with that level's tangents hidden (so lower levels and
    reverse mode see it as usual); the output tangent is then computed by the
    primitive's jvp rule on values that carry only lower levels -- which is what
    keeps nested levels from ever mixing (no perturbation confusion).
    """
    Tensor = _Tensor
    level = max(lv for a in args if isinstance(a, Tensor) and a._tangents for lv in a._tangents)
    tangents = [a._tangents.get(level) if isinstance(a, Tensor) and a._tangents else None
                for a in args]
    hidden = {}
    for a in args:
        if isinstance(a, Tensor) and a._tangents and level in a._tangents and id(a) not in hidden:
            hidden[id(a)] = (a, a._tangents)
            rest = {lv: t for lv, t in a._tangents.items() if lv != level}
            a._tangents = rest or None
    try:
        out = apply(prim, *args, **params)
        if not prim.differentiable or all(t is None for t in tangents):
            tangent_out = None
        else:
            tangent_out = prim.jvp(tuple(tangents), out, *args, **params)
    finally:
        for a, saved in hidden.values():
            a._tangents = saved
    if tangent_out is not None:
        tangent_out = _fit_tangent(tangent_out, out)
        out._tangents = dict(out._tangents or {})
        out._tangents[level] = tangent_out
        if out.node is not None and out.node.primitive is prim:
            out.node.out_tangents = out._tangents
    return out


def _fit_tangent(tangent, out):
    Tensor = _Tensor
    if not isinstance(tangent, Tensor):
        tangent = Tensor(np.asarray(tangent))
    if tangent.dtype != out.dtype:
        tangent = tangent.astype(out.dtype)
    if tangent.shape != out.shape:
        from ..ops.shape import broadcast_to
        tangent = broadcast_to(tangent, out.shape)
    return tangent


def user_site():
    """'file:line in function' of the innermost frame outside the chainrule package."""
    import os
    import sys
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(package_dir + os.sep):
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def _check_forward(prim, out):
    data = out.data
    if data.dtype.kind == "f" and np.isnan(data).any():
        node = STATE.backward_node
        if node is not None:  # an op inside a derivative rule (create_graph, cr.Function)
            site = node.site or "<unknown> (enable detect_anomaly before the forward pass)"
            raise FloatingPointError(
                f"detect_anomaly: the backward of {node.name} produced NaN ({prim.name} "
                f"returned NaN in its output of shape {data.shape}, at {user_site()}); the "
                f"{node.name} was created at {site}")
        raise FloatingPointError(
            f"detect_anomaly: {prim.name} returned NaN in its output (shape {data.shape}), "
            f"created at {user_site()}")


# ---------------------------------------------------------------------------------------
# Fast paths for elementwise primitives. ``apply_packed`` is general; these are the same
# steps inlined for one and two positional inputs and no params, the overwhelmingly common
# call (``cr.sin(x)``, ``x * y``). Anything else -- params, Tensor subclasses, tangents,
# anomaly checks, observers -- takes ``apply_packed``. Per-op overhead is measured in
# benchmarks/overhead.py.

_ONE_NEED = (True,)
_F64 = np.dtype(np.float64)
_weak_float = None  # set by primitive.py: float64 results of weak (Python-number) inputs -> default dtype

# Forward methods that are exactly "the NumPy function, then weak-float typing": for
# primitives with one of these, the fast path calls the NumPy function itself.
DIRECT_FORWARDS = set()


def _direct_fn(prim):
    return prim.fn if type(prim).forward in DIRECT_FORWARDS else None


def unary_op(prim):
    """The public function of a one-input primitive, with the fast path inlined."""
    forward = prim.forward
    fn = _direct_fn(prim)
    keep_input = prim.needs_inputs
    keep_output = prim.needs_output
    differentiable = prim.differentiable
    ndarray = np.ndarray

    def op(x, **params):
        mode = STATE.mode
        if not params:
            if type(x) is _Tensor:
                if mode >= PLAIN:
                    xd = x.data
                    if fn is None:
                        data = forward(xd)
                        if type(data) is not ndarray:
                            data = np.asarray(data)
                    else:
                        try:
                            data = fn(xd)
                        except Exception:
                            data = forward(xd)   # raises the error that names the op
                        if type(data) is not ndarray:
                            data = np.asarray(data)
                        if data.dtype is not xd.dtype:
                            data = _weak_float(data, (xd,))
                    Tensor = _Tensor
                    out = Tensor.__new__(Tensor)
                    out.data = data
                    if mode == RECORD and x.requires_grad and differentiable:
                        node = Node(prim, params, (x,), (x.node or x,),
                                    (x._version,) if keep_input else None, (xd,), _ONE_NEED)
                        if keep_output:
                            node.out_data = out.data
                        out.node = node
                        out.requires_grad = True
                    return out
            elif mode == RAW and type(x) is ndarray:
                if fn is not None:
                    try:
                        data = fn(x)
                    except Exception:
                        return forward(x)
                    if data.dtype is x.dtype:
                        return data
                return forward(x)
        return apply_packed(prim, (x,), params)
    return op


def binary_op(prim):
    """The public function of a two-input primitive, with the fast path inlined."""
    forward = prim.forward
    fn = _direct_fn(prim)
    keep_inputs = prim.needs_inputs
    keep_output = prim.needs_output
    differentiable = prim.differentiable
    ndarray = np.ndarray
    # which inputs the rules read, by (x needs a gradient) + 2 * (y needs one)
    reads = [None] + [_reads(prim, (bool(k & 1), bool(k & 2))) for k in (1, 2, 3)]

    def op(x, y, **params):
        mode = STATE.mode
        if not params:
            if mode >= PLAIN:
                Tensor = _Tensor
                tx = type(x) is Tensor
                ty = type(y) is Tensor
                if tx or ty:
                    if tx:
                        xd = x.data
                        rx = x.requires_grad
                    elif isinstance(x, Tensor):
                        return apply_packed(prim, (x, y), params)
                    else:
                        xd = x
                        rx = False
                    if ty:
                        yd = y.data
                        ry = y.requires_grad
                    elif isinstance(y, Tensor):
                        return apply_packed(prim, (x, y), params)
                    else:
                        yd = y
                        ry = False
                    if fn is None:
                        data = forward(xd, yd)
                        if type(data) is not ndarray:
                            data = np.asarray(data)
                    else:
                        try:
                            data = fn(xd, yd)
                        except Exception:
                            data = forward(xd, yd)   # raises the error that names the op
                        if type(data) is not ndarray:
                            data = np.asarray(data)
                        if data.dtype is _F64:
                            data = _weak_float(data, (xd, yd))
                    out = Tensor.__new__(Tensor)
                    out.data = data
                    if (rx or ry) and mode == RECORD and differentiable:
                        px = (x.node or x) if rx else None
                        py = (y.node or y) if ry else None
                        if keep_inputs:
                            read_x, read_y = reads[rx + 2 * ry]
                            versions = (x._version if tx and read_x else None,
                                        y._version if ty and read_y else None)
                        else:
                            versions = None
                        node = Node(prim, params, (x, y), (px, py), versions, (xd, yd), (rx, ry))
                        if keep_output:
                            node.out_data = out.data
                        out.node = node
                        out.requires_grad = True
                    return out
            elif mode == RAW and type(x) is ndarray:
                if type(y) is not _Tensor:
                    if fn is not None:
                        try:
                            data = fn(x, y)
                        except Exception:
                            return forward(x, y)
                        if data.dtype is not _F64:
                            return data
                    return forward(x, y)
        return apply_packed(prim, (x, y), params)
    return op
