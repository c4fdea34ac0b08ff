"""apply(): the single door every primitive call goes through.

Unwrap the inputs, run the primitive's NumPy forward, carry forward-mode tangents,
record a Node when grad mode is on and an input requires grad, tell the observers.
The one- and two-input calls with no params take the fast paths in ``fastpath.py``
(the same steps, inlined); everything else comes here.
"""
import os
import sys

import numpy as np

from ..dtypes import NUMERIC_DTYPES, non_numeric_error
from .installed import OPS
from .modes import RAW, SLOW, STATE
from .node import Node
from .numeric import foreign_error

Tensor = None  # the Tensor class, handed in by chainrule.core.install


def apply(prim, *args, **params):
    """Run ``prim`` on ``args`` and return a Tensor (an ndarray inside a no-record backward)."""
    return apply_packed(prim, args, params)


def apply_packed(prim, args, params):
    """``apply`` with the arguments as a tuple and the params as a dict (no re-packing)."""
    mode = STATE.mode
    if mode == RAW:                    # inside a no-record backward: ndarrays in, ndarrays out
        arrays, _ = unwrap(args)
        return prim.forward(*arrays, **params)
    if mode == SLOW and STATE.levels and has_tangents(args):
        return apply_with_tangents(prim, args, params)
    arrays, wants_grad = unwrap(args)
    try:
        out = wrap(prim.forward(*arrays, **params))
    except (AttributeError, OverflowError, ZeroDivisionError, TypeError, ValueError,
            IndexError) as error:
        named = foreign_error(prim.name, arrays, params, error)   # one that names the op
        if named is error:
            raise
        raise named from error
    if type(out.data.dtype) not in NUMERIC_DTYPES:   # object, str, complex: not a Tensor's
        raise non_numeric_error(prim.name, out.data.dtype)
    if wants_grad and STATE.grad_enabled and prim.differentiable:
        record(prim, args, params, out, arrays)
    if mode == SLOW and STATE.watch:   # detect_anomaly or observers (explain, viz)
        notify(prim, args, params, out)
    return out


def unwrap(args):
    """(the arguments' arrays, whether any argument is a Tensor that requires grad)."""
    if len(args) == 1:
        a = args[0]
        if isinstance(a, Tensor):
            return (a.data,), a._requires_grad
        return args, False
    if len(args) == 2:
        a, b = args
        a_tensor, b_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
        return ((a.data if a_tensor else a, b.data if b_tensor else b),
                a_tensor and a._requires_grad or b_tensor and b._requires_grad)
    wants_grad = False
    arrays = []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.data)
            wants_grad = wants_grad or a._requires_grad
        else:
            arrays.append(a)
    return arrays, wants_grad


def wrap(data):
    """A new Tensor around a forward's result (NumPy scalars become 0-d arrays)."""
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    return out


def record(prim, args, params, out, arrays):
    """Attach a Node for this call to ``out`` (called only when some input requires grad).

    parents: per input, its Node, the leaf Tensor itself, or None (no gradient wanted);
    versions: per input the rules read, the Tensor's version now (checked at backward).
    """
    if len(args) == 1:                 # the common cases, without the loops
        x = args[0]
        parents, needs = (x.node or x,), _ONE_NEEDS
        versions = (x._version,) if prim.needs_inputs else None
    elif len(args) == 2:
        x, y = args
        x_grad = isinstance(x, Tensor) and x._requires_grad
        y_grad = isinstance(y, Tensor) and y._requires_grad
        parents = ((x.node or x) if x_grad else None, (y.node or y) if y_grad else None)
        needs = (x_grad, y_grad)
        versions = None
        if prim.needs_inputs:
            read_x, read_y = reads(prim, needs)
            versions = (x._version if read_x and isinstance(x, Tensor) else None,
                        y._version if read_y and isinstance(y, Tensor) else None)
    else:
        parents = tuple([_parent(a) for a in args])
        needs = tuple([p is not None for p in parents])  # (never `None in parents`: Tensor ==)
        versions = None
        if prim.needs_inputs:
            read = reads(prim, needs)
            versions = tuple([a._version if r and isinstance(a, Tensor) else None
                              for a, r in zip(args, read)])
    node = Node(prim, params, args, parents, versions, arrays, needs)
    if prim.needs_output:
        node.out_data = out.data
    out.node = node
    out._requires_grad = True


_ONE_NEEDS = (True,)


def _parent(a):
    """The graph edge for one argument: its Node, the leaf Tensor itself, or None."""
    if isinstance(a, Tensor) and a._requires_grad:
        return a.node or a
    return None


def reads(prim, needs):
    """Per input: will the rules of the needed gradients read it (so its version is checked)?

    ``prim.reads`` (optional) lists, per input, the inputs that input's gradient reads: e.g.
    multiply's ((1,), (0,)) -- so ``b * 2`` does not pin ``b`` against later in-place writes
    when only ``b`` wants a gradient (as in PyTorch). Without it, every input is read.
    """
    if prim.reads is None:
        return _ALL_READ[len(needs)] if len(needs) < 8 else (True,) * len(needs)
    table = _READ_TABLES.get(prim)
    if table is None:
        table = _READ_TABLES[prim] = {}
    read = table.get(needs)
    if read is None:
        wanted = {j for i, need in enumerate(needs) if need for j in prim.reads[i]}
        read = table[needs] = tuple(i in wanted for i in range(len(needs)))
    return read


_ALL_READ = [(True,) * n for n in range(8)]
_READ_TABLES = {}   # primitive -> {needs: reads}, filled on first use


# ----------------------------------------------------------------------------- forward mode
def has_tangents(args):
    return any(isinstance(a, Tensor) and a._tangents for a in args)


def apply_with_tangents(prim, args, params):
    """Forward mode: handle the highest tangent level here, the lower ones by recursion.

    The primal is computed with that level's tangents hidden (so lower levels and
    reverse mode see it as usual); the output tangent is then computed by the
    primitive's jvp rule on values that carry only lower levels -- which is what
    keeps nested levels from ever mixing (no perturbation confusion).
    """
    carriers = [a for a in args if isinstance(a, Tensor) and a._tangents]
    level = max(lv for a in carriers for lv in a._tangents)
    tangents = tuple([a._tangents.get(level) if isinstance(a, Tensor) and a._tangents else None
                      for a in args])
    hidden = {id(a): (a, a._tangents) for a in carriers if level in a._tangents}
    for a, saved in hidden.values():
        a._tangents = {lv: t for lv, t in saved.items() if lv != level} or None
    try:
        out = apply_packed(prim, args, params)
        tangent_out = None
        if prim.differentiable and any(t is not None for t in tangents):
            tangent_out = prim.jvp(tangents, out, *args, **params)
    finally:
        for a, saved in hidden.values():
            a._tangents = saved
    if tangent_out is not None:
        out._tangents = dict(out._tangents or {})
        out._tangents[level] = fit_tangent(tangent_out, out)
        if out.node is not None and out.node.primitive is prim:
            out.node.out_tangents = out._tangents
    return out


def fit_tangent(tangent, out):
    """A rule's tangent as a Tensor of the output's shape and dtype."""
    if not isinstance(tangent, Tensor):
        tangent = Tensor(np.asarray(tangent))
    if tangent.dtype != out.dtype:
        tangent = OPS.astype(tangent, out.dtype)
    if tangent.shape != out.shape:
        tangent = OPS.broadcast_to(tangent, out.shape)
    return tangent


# ----------------------------------------------------------------------------- observers
def notify(prim, args, params, out):
    """detect_anomaly's NaN check, then every observer's ``on_apply``."""
    if STATE.anomaly:
        if out.node is not None and out.node.primitive is prim:
            out.node.site = user_site()
        check_forward(prim, out)
    for observer in STATE.observers:
        observer.on_apply(prim, args, params, out)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_site():
    """'file:line in function' of the innermost frame outside the chainrule package."""
    frame = sys._getframe(1)
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def check_forward(prim, out):
    """Raise FloatingPointError if ``out`` holds NaN, naming the op and the user's line."""
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
