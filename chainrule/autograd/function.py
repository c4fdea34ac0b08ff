"""cr.Function: PyTorch-style custom operators, as an adapter onto the Primitive contract.

``forward(ctx, *inputs)`` runs with no graph recorded; ``backward(ctx, *grads)``
returns one gradient (or None) per input; an optional ``jvp(ctx, *tangents)``
gives forward mode.

Without ``jvp``, forward mode is derived by transposing the VJP: ``u -> J^T u`` is
linear in the cotangent ``u``, so differentiating ``<J^T u, t>`` with respect to ``u``
gives ``J t``. Each forward-mode call then costs one recorded call of ``backward``
(on a symbolic cotangent) plus one reverse pass through that recording -- roughly
two to three times a plain backward, instead of the single cheap pass an explicit
``jvp`` costs -- and it needs ``backward`` written with differentiable chainrule ops
(a backward computed with NumPy on ``.data`` raises here rather than giving a wrong
tangent). Define ``jvp`` when forward mode matters.
"""
import sys
import warnings

import numpy as np

from .. import creation
from ..core.apply import apply
from ..core.backward import backward
from ..core.modes import STATE, enable_grad
from ..core.primitive import Primitive
from ..ops.indexing import getitem
from ..ops.reductions import sum as sum_
from ..ops.shape import astype, concatenate, reshape
from ..tensor import Tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` of a custom Function: attributes set in forward are visible in backward and jvp."""

    def __init__(self):
        self._saved = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True
        self._deriving_jvp = False

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs, outputs or intermediates) for backward."""
        self._saved = tensors

    @property
    def saved_tensors(self):
        """What ``save_for_backward`` stored (inputs and outputs stay connected for double backward)."""
        if self._saved is None:
            raise RuntimeError("Trying to backward through the graph a second time: the saved "
                               "tensors of this Function were freed; use retain_graph=True")
        mapping = getattr(self, "_graph_values", None)
        if mapping:
            return tuple(mapping.get(id(t), t) for t in self._saved)
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors):
        """Declare outputs (as returned by forward) that carry no gradient (indices, masks)."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _FunctionPrimitive(Primitive):
    """Adapts a Function subclass to forward / vjp / jvp."""

    needs_inputs = True
    needs_output = True
    keeps_state = True

    def __init__(self, cls):
        self.cls = cls
        self.name = cls.__name__

    def forward(self, *arrays, ctx, n_outputs_box):
        wrapped = [Tensor._wrap(a) if isinstance(a, np.ndarray) else a for a in arrays]
        prev = STATE.grad_enabled
        STATE.grad_enabled = False
        try:
            result = self.cls.forward(ctx, *wrapped)
        finally:
            STATE.grad_enabled = prev
        ctx._input_wrappers = wrapped
        if isinstance(result, tuple):
            outs = [r if isinstance(r, Tensor) else Tensor(r) for r in result]
            n_outputs_box.append([(o.shape, o.dtype) for o in outs])
            ctx._outputs = outs
            dtype = np.result_type(*[o.dtype for o in outs])
            return np.concatenate([o.data.astype(dtype).ravel() for o in outs])
        out = result if isinstance(result, Tensor) else Tensor(np.asarray(result))
        n_outputs_box.append(None)
        ctx._outputs = [out]
        return out.data

    def release(self, params):
        ctx = params["ctx"]
        ctx._saved = None
        ctx._input_wrappers = ctx._outputs = ctx._graph_values = None

    def _graph_values(self, ctx, inputs, out):
        """Map the tensors forward saw to the graph's own values (for differentiable backward)."""
        mapping = {}
        for wrapper, x in zip(ctx._input_wrappers, inputs):
            if isinstance(x, Tensor):
                mapping[id(wrapper)] = x
        if out is not None and len(ctx._outputs) == 1:
            mapping[id(ctx._outputs[0])] = out
        return mapping

    warned_detached = False   # (per Function class: its primitive is one per class)

    def _warn_detached_saved(self, ctx, inputs):
        """Double backward (create_graph=True): a saved tensor that is neither an input nor the
        output was computed in forward, where nothing is recorded, so it carries no graph and
        backward's result does not differentiate through it (a silently wrong higher-order
        derivative). Say so, once per Function class."""
        if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            return
        mapping = ctx._graph_values or {}
        for t in ctx._saved or ():
            if isinstance(t, Tensor) and t.dtype.kind == "f" and id(t) not in mapping:
                self.warned_detached = True
                warnings.warn(
                    f"{self.name}: double backward (create_graph=True) through a Function that "
                    f"saved a tensor computed inside forward (shape {tuple(t.shape)}): forward "
                    "records no graph, so that tensor carries none and higher-order derivatives "
                    f"through {self.name}.backward treat it as a constant (they are wrong if it "
                    "depends on the inputs). Save the inputs or outputs with "
                    "ctx.save_for_backward and recompute the rest in backward with chainrule "
                    "ops (as PyTorch recommends).", UserWarning, stacklevel=_user_stacklevel())
                return

    def _split(self, value, layout):
        parts, start = [], 0
        for shape, dtype in layout:
            n = int(np.prod(shape))
            part = reshape(getitem(value, (slice(start, start + n),)), shape)
            if part.dtype != dtype:
                part = astype(part, dtype)  # outputs were concatenated in a common dtype
            parts.append(part)
            start += n
        return parts

    def vjp(self, needs, grad, out, *inputs, ctx, n_outputs_box):
        raw = STATE.raw
        layout = n_outputs_box[0]
        if raw:
            grad = Tensor._wrap(np.asarray(grad))
            inputs = [Tensor._wrap(x) if isinstance(x, np.ndarray) else x for x in inputs]
        ctx.needs_input_grad = tuple(needs)
        ctx._graph_values = None if raw else self._graph_values(ctx, inputs, out)
        if not raw and not self.warned_detached and not ctx._deriving_jvp:
            self._warn_detached_saved(ctx, inputs)
        prev_raw = STATE.raw
        STATE.raw = False
        try:
            if layout is None:
                grads = self.cls.backward(ctx, grad)
            else:
                grads = self.cls.backward(ctx, *self._split(grad, layout))
        finally:
            STATE.raw = prev_raw
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(inputs):
            raise RuntimeError(f"{self.name}.backward returned {len(grads)} gradients but "
                               f"forward took {len(inputs)} inputs (return None for inputs "
                               "that need no gradient)")
        for i, (g, x) in enumerate(zip(grads, inputs)):
            if g is not None:
                self._check_grad(i, g, x)
        if raw:
            grads = tuple(None if g is None else np.asarray(g.data if isinstance(g, Tensor) else g)
                          for g in grads)
        return grads

    def _check_grad(self, i, g, x):
        """As PyTorch: a gradient of input i has its shape (or one it broadcasts to: summed) and is
        real for a real input."""
        g_shape, g_dtype = (g.shape, g.dtype) if isinstance(g, (Tensor, np.ndarray)) else \
            (np.shape(g), np.result_type(g))
        x_shape = x.shape if isinstance(x, (Tensor, np.ndarray)) else ()
        if g_shape != x_shape:
            try:
                fits = np.broadcast_shapes(x_shape, g_shape) == tuple(g_shape)
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(f"Function {self.name}Backward returned an invalid gradient at "
                                   f"index {i} - got {list(g_shape)} but expected shape "
                                   f"compatible with {list(x_shape)}")
        if np.dtype(g_dtype).kind == "c":
            raise RuntimeError(f"Function {self.name}Backward returned a complex gradient (dtype "
                               f"{np.dtype(g_dtype)}) at index {i} for a real input: the "
                               "imaginary part would be lost; return a real gradient")

    def jvp(self, tangents, out, *inputs, ctx, n_outputs_box):
        layout = n_outputs_box[0]
        if hasattr(self.cls, "jvp") and self.cls.jvp is not Function.jvp:
            filled = [t if t is not None else _zeros_like(x) for t, x in zip(tangents, inputs)]
            result = self.cls.jvp(ctx, *filled)
            if layout is not None:
                result = concatenate([reshape(r, (-1,)) for r in result])
            return result
        # Derive J t from the VJP: u -> J^T u is linear, so its VJP applied to t is J t.
        with enable_grad():
            u = creation.zeros(out.shape, dtype=out.dtype, requires_grad=True)
            ctx._deriving_jvp = True   # (first order in the inputs: saved constants are right)
            try:
                grads = self.vjp(tuple(t is not None for t in tangents), u, out, *inputs,
                                 ctx=ctx, n_outputs_box=n_outputs_box)
            finally:
                ctx._deriving_jvp = False
            pairs = [(g, t) for g, t in zip(grads, tangents) if g is not None and t is not None]
            if not pairs:
                return None
            total = None
            for g, t in pairs:
                term = sum_(g * t)
                total = term if total is None else total + term
            if not total.requires_grad:
                raise RuntimeError(
                    f"{self.name}: forward mode was derived from backward, but backward's result "
                    "does not depend on the incoming gradient through chainrule ops (was it "
                    "computed with NumPy on .data?). Write backward with chainrule ops, or "
                    f"define {self.name}.jvp(ctx, *tangents)")
            (result,) = backward([total], [np.ones((), dtype=total.dtype)], retain_graph=True,
                                 create_graph=True, inputs=[u], allow_unused=True)
        return result


def _user_stacklevel():
    """The ``stacklevel`` for ``warnings.warn`` that names the first frame outside chainrule."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("chainrule"):
        frame, level = frame.f_back, level + 1
    return level


def _zeros_like(x):
    return creation.zeros_like(x)


class Function:
    """Base class of custom differentiable operators (see the module docstring)."""

    _primitive = None

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @staticmethod
    def jvp(ctx, *tangents):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        """Run the operator: records one node whose backward is ``cls.backward``."""
        prim = cls.__dict__.get("_primitive")
        if prim is None:
            prim = _FunctionPrimitive(cls)
            cls._primitive = prim
        ctx = FunctionCtx()
        recording = STATE.grad_enabled
        ctx.needs_input_grad = tuple(recording and isinstance(a, Tensor) and a.requires_grad
                                     for a in args)  # (as PyTorch: already known in forward)
        box = []
        out = apply(prim, *args, ctx=ctx, n_outputs_box=box)
        layout = box[0] if box else None
        outs = [out] if layout is None else prim._split(out, layout)
        if ctx.non_differentiable:
            marked = {id(t) for t in ctx.non_differentiable}
            outs = [o.detach() if id(forward_out) in marked else o
                    for o, forward_out in zip(outs, ctx._outputs)]
        return outs[0] if layout is None else tuple(outs)
