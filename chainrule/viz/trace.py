"""Recording a computation: every primitive call with its values, every backward step with its gradients.

A :class:`Trace` is an observer of ``apply`` (each primitive call) and of the
backward engine (each node it visits, with the upstream gradient and the gradient
it sends to each input). ``with cr.viz.record() as rec:`` records any code;
``cr.viz.trace(f, *args)`` runs ``f`` on fresh leaves, backpropagates from its
scalar output and records both passes -- the raw material of ``cr.explain``.
"""
import weakref

import numpy as np

from ..core.backward import sum_to_shape
from ..core.modes import add_observer, remove_observer
from .arguments import bind_arguments, call_recording_locals, make_leaves, parameter_names, rebind
from .graph import ComputationGraph, Op, Value, constant_value, leaf_kind, snapshot

__all__ = ["Trace", "record", "trace", "BackwardStep", "Contribution"]


class Contribution:
    """What one backward step sends to one input: ``gradient`` (fitted to the input's shape).

    raw          the rule's result before it was summed over broadcast axes
    accumulated  the input's gradient so far, this contribution included
    count        1 for the first contribution to that input, 2 for the second, ...
    """

    __slots__ = ("index", "value", "raw", "gradient", "accumulated", "previous", "count")

    def __init__(self, index, value, raw, gradient, accumulated, previous, count):
        self.index = index
        self.value = value
        self.raw = raw
        self.gradient = gradient
        self.accumulated = accumulated
        self.previous = previous
        self.count = count


class BackwardStep:
    """The engine's visit of one op: the upstream gradient of its output and what each input got."""

    __slots__ = ("op", "upstream", "contributions")

    def __init__(self, op, upstream, contributions):
        self.op = op
        self.upstream = upstream
        self.contributions = contributions


def _as_array(x):
    data = getattr(x, "data", x)
    return np.asarray(data)


def sum_to(grad, shape):
    """Sum ``grad`` over the axes broadcasting added to an array of ``shape`` (as the engine does)."""
    return sum_to_shape(grad, tuple(shape))


def _between(old, new, limit=64):
    """The values an in-place chain passed through from ``old`` to ``new`` (both excluded).

    Every in-place op takes the tensor's current value as its first input, so the
    chain is followed through first inputs; [] when it does not lead back to ``old``.
    """
    chain = []
    v = new
    for _ in range(limit):
        op = v.producer
        if op is None or not op.inputs:
            return []
        v = op.inputs[0]
        if v is old:
            return chain[::-1]
        chain.append(v)
    return []


class Trace:
    """A recording of ops and backward steps; use as ``with cr.viz.record() as rec: ...``.

    ops     every primitive call, in the order it ran (an :class:`~chainrule.viz.graph.Op`)
    steps   every node the backward engine visited, in its order (a :class:`BackwardStep`)

    Values are copied when small (so later in-place writes don't change the record)
    and held by reference when big. ``to_dot()`` / ``draw()`` picture the recorded
    graph with every value and every gradient.
    """

    def __init__(self):
        self.ops = []
        self.steps = []
        self.names = {}          # id(obj) -> display name given by the caller (trace(f) names)
        self.output_name = None
        self.numbered = False    # name every unnamed value v1, v2, ... (trace(f) does)
        self.output = None       # trace(f): the Tensor f returned
        self.inputs = {}         # trace(f): name -> leaf Tensor made from each floating argument
        self._values = {}        # id(Tensor or ndarray) -> (weakref to it, its Value)
        self._by_node = {}       # autograd Node -> Op
        self._versions = {}      # id(Tensor updated in place) -> (weakref, [Values it held])
        self._frozen_names = {}  # id(Value) -> name, fixed when the recording ends
        self._active = False

    # ------------------------------------------------------------------ observer protocol
    def on_apply(self, prim, args, params, out):
        inputs = [self._value_of(a) for a in args]
        value = Value("op", out, snapshot(out.data))
        op = Op(len(self.ops), prim.name, params, inputs, value, out.node, prim)
        value.producer = op
        self._put(out, value)
        if out.node is not None:
            self._by_node[out.node] = op
        self.ops.append(op)

    def on_backward(self, node, grad, grads):
        op = self._by_node.get(node)
        if op is None:
            return
        upstream = np.array(_as_array(grad))
        out = op.output
        out.grad = upstream if out.grad is None else out.grad + upstream
        contributions = []
        for i, (value, parent) in enumerate(zip(op.inputs, node.parents)):
            g = grads[i] if i < len(grads) else None
            if parent is None or g is None or value.shape is None:
                continue
            raw = np.array(_as_array(g))
            fitted = sum_to(raw, value.shape)
            if value.dtype is not None and fitted.dtype != value.dtype:
                fitted = fitted.astype(value.dtype)
            previous = value.running
            value.running = np.array(fitted) if previous is None else previous + fitted
            value.contributions += 1
            if value.producer is None or value.producer.node is None:
                value.grad = value.running
            contributions.append(Contribution(i, value, raw, np.array(fitted),
                                              value.running, previous, value.contributions))
        self.steps.append(BackwardStep(op, upstream, contributions))

    # ------------------------------------------------------------------ values
    def _value_of(self, a):
        from ..tensor import Tensor
        if isinstance(a, Tensor):
            v = self._current(a)
            if v is None:
                v = Value(leaf_kind(a), a, snapshot(a.data))
                self._put(a, v)
            return v
        if isinstance(a, np.ndarray):
            v = self._get(a)
            if v is None:
                v = constant_value(a)
                self._put(a, v)
            return v
        return constant_value(a)

    # Tensors are looked up by id, checked by a weak reference: once the recording ends it
    # holds them weakly (``release``), and a freed tensor's id may be reused by another.
    def _put(self, a, v):
        self._values[id(a)] = (weakref.ref(a), v)

    def _get(self, a):
        entry = self._values.get(id(a))
        return entry[1] if entry is not None and entry[0]() is a else None

    def _all_values(self):
        seen = {}
        for op in self.ops:
            for v in op.inputs:
                seen.setdefault(id(v), v)
            seen.setdefault(id(op.output), op.output)
        for _, v in self._values.values():
            seen.setdefault(id(v), v)
        return list(seen.values())

    def _current(self, a):
        """The recorded Value the Tensor ``a`` holds now, or None when it holds none.

        An in-place update while recording (``y += 1``, ``y[0] = 2``, ``y.clamp_()``)
        rebinds the tensor to the output of the op that computed the new value: the
        tensor is followed by its current node, not by the value it first held. The
        values it held one after another are kept (``versions``) to name them.
        """
        v = self._get(a)
        node = a.node
        if v is not None:
            made_by = v.producer.node if v.producer is not None else None
            if made_by is node:
                return v
        if node is None or node not in self._by_node:
            return None
        new = self._by_node[node].output
        entry = self._versions.get(id(a))
        if entry is not None and entry[0]() is not a:
            entry = None
        if v is not None and new is not v and (v.obj is a or entry is not None):
            # a was updated in place
            if entry is None:
                entry = self._versions[id(a)] = (weakref.ref(a), [v])
            entry[1].extend(_between(entry[1][-1], new))
            entry[1].append(new)
        elif v is None and entry is None and new.obj is not a:
            # first seen after an in-place update (e.g. a constant that y += x made a graph
            # value): it holds that value, and gives it its name
            self._versions[id(a)] = (weakref.ref(a), [new])
        self._put(a, new)
        return new

    def versions(self, x):
        """The Values a Tensor held one after another (more than one when updated in place)."""
        v = self._current(x)
        entry = self._versions.get(id(x))
        if entry is not None and entry[0]() is x:
            return list(entry[1])
        return [] if v is None else [v]

    def value_of(self, x):
        """The recorded Value a Tensor holds now (or a Value itself)."""
        if isinstance(x, Value):
            return x
        from ..tensor import Tensor
        v = self._current(x) if isinstance(x, Tensor) else self._get(x)
        if v is None:
            raise ValueError("cr.viz: this tensor was not computed while the trace was recording")
        return v

    def display_names(self):
        """id(Value) -> name: the caller's names (``names``, by tensor), the ``.name`` of a
        tensor, and for a tensor updated in place: the value it holds now keeps its name
        ('y'), the ones it held before are 'y_1', 'y_2', ... (in that order of priority)."""
        from ..tensor import Tensor
        values = self._all_values()
        for v in values:   # catch up with in-place updates not seen since
            obj = v.obj
            if isinstance(obj, Tensor):
                self._current(obj)
        result = dict(self._frozen_names)
        for v in values:
            obj = v.obj
            name = v.user_name or (self.names.get(id(obj)) if obj is not None else None)
            if name:
                result[id(v)] = name
        for ref, versions in self._versions.values():
            a = ref()
            if a is None:
                continue
            base = getattr(a, "name", None) or self.names.get(id(a))
            if not base:
                continue
            for i, v in enumerate(versions[:-1], 1):
                result[id(v)] = f"{base}_{i}"
            result[id(versions[-1])] = base
        return result

    def release(self):
        """Hold every recorded Tensor weakly (done when the recording ends): the values and
        gradients are kept as arrays, the names are fixed, and the tensors can be freed."""
        self._frozen_names = self.display_names()
        for v in self._all_values():
            v.release()

    def outputs(self):
        """The ends of the computation: recorded values no later recorded op consumed.

        When some of them belong to the autograd graph (their op recorded a node), only
        those: values computed aside, such as the ops inside a custom Function's forward
        or backward, are not ends of the graph.
        """
        if self.output is not None:
            return [self.value_of(self.output)]
        used = {id(v) for op in self.ops for v in op.inputs}
        ends = [op.output for op in self.ops if id(op.output) not in used]
        recorded = [v for v in ends if v.producer.node is not None]
        return recorded or ends

    # ------------------------------------------------------------------ recording
    def __enter__(self):
        if self._active:
            raise RuntimeError("cr.viz.record: this trace is already recording")
        self._active = True
        add_observer(self)
        return self

    def __exit__(self, *exc):
        remove_observer(self)
        self._active = False
        self.release()
        return False

    # ------------------------------------------------------------------ views
    def graph(self, roots=None, model=None):
        """The recorded graph (a ComputationGraph) that ``roots`` depend on, named and grouped."""
        g = ComputationGraph.from_trace(self, roots)
        if model is not None:
            g.assign_modules(model)
        return g.assign_names({}, self.output_name, number=self.numbered,
                              value_names=self.display_names())

    computation_graph = graph   # what cr.viz's pictures ask of a Trace or an Explanation

    def to_dot(self, roots=None, show_values=True, show_grads=True, model=None, **options):
        """DOT text of the recorded graph, every value and gradient shown (see ``cr.viz.to_dot``)."""
        from .dot import to_dot
        return to_dot(self, show_values=show_values, show_grads=show_grads, model=model,
                      roots=roots, **options)

    def draw(self, **options):
        """A :class:`~chainrule.viz.dot.Graph` of the recorded graph (shows as SVG in Jupyter)."""
        from .dot import draw
        return draw(self, **options)

    def render(self, path, **options):
        """Write the picture to ``path`` (.svg, .png, .pdf, .dot)."""
        from .dot import render
        return render(self, path, **options)

    @property
    def grads(self):
        """trace(f): name -> gradient (ndarray) of the output with respect to each input leaf."""
        result = {}
        for name, leaf in self.inputs.items():
            v = self._get(leaf)
            grad = None if v is None else v.grad
            result[name] = np.zeros(leaf.shape, leaf.dtype) if grad is None else grad
        return result

    def __repr__(self):
        return f"<cr.viz.Trace: {len(self.ops)} ops, {len(self.steps)} backward steps>"


def record():
    """Record every op (and every backward step) run inside ``with cr.viz.record() as rec:``."""
    return Trace()


# ---------------------------------------------------------------------- trace(f, *args)
def trace(f, *args, **kwargs):
    """Run ``f(*args, **kwargs)`` and backpropagate from its scalar output, recording both passes.

    Every floating-point argument becomes a fresh leaf that requires grad, named
    after f's parameter (Python floats are traced in float64; ndarrays and Tensors
    keep their dtype; the caller's tensors are not touched). Intermediates are named
    after f's local variables where one holds them. The backward pass uses
    ``cr.autograd.grad``, so no ``.grad`` anywhere changes (not even closed-over
    parameters'). Returns the :class:`Trace`; ``trace.grads`` maps input names to
    gradients.
    """
    from ..autograd import grad as autograd_grad
    from ..tensor import Tensor
    if not callable(f):
        raise TypeError(f"cr.viz.trace: f must be callable, got {type(f).__name__}")
    named, bound = bind_arguments(f, args, kwargs)
    leaves = {}
    converted = {name: make_leaves(value, name, leaves) for name, value in named}
    if bound is not None:
        call_args, call_kwargs = rebind(bound, converted)
    else:
        values = list(converted.values())
        call_args, call_kwargs = values[:len(args)], dict(zip(list(kwargs), values[len(args):]))
    rec = Trace()
    rec.inputs = leaves
    rec.names = parameter_names(f)
    rec.names.update({id(t): name for name, t in leaves.items()})
    with rec:
        out, local_vars = call_recording_locals(f, call_args, call_kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"cr.viz.trace: f must return a Tensor computed from its inputs, got "
                            f"{type(out).__name__}")
        if out.size != 1:
            raise ValueError(f"cr.viz.trace: f must return a scalar (one element) to "
                             f"backpropagate from, got shape {tuple(out.shape)}; reduce it "
                             f"first, e.g. return out.sum()")
        rec.output = out
        rec._value_of(out)  # an input returned unchanged, or a tensor updated in place
        for var, obj in local_vars.items():
            if isinstance(obj, Tensor) and id(obj) not in rec.names and not var.startswith("_"):
                rec.names[id(obj)] = var
        if out.requires_grad:
            targets = list({id(v.obj): v.obj for _, v in rec._values.values()
                            if v.kind in ("input", "param") and v.obj is not None
                            and v.obj.requires_grad}.values())
            grads = autograd_grad(out, targets, allow_unused=True)
            if out.node is None:  # the output is itself a leaf: d out / d out = 1
                rec.value_of(out).grad = np.ones(out.shape, out.dtype)
            else:
                root = rec.value_of(out)
                if root.grad is None:
                    root.grad = np.ones(out.shape, out.dtype)
            for t, g in zip(targets, grads):
                v = rec._get(t)
                if v.grad is None and g is not None:
                    v.grad = np.array(g.data)
    rec.output_name = "out" if id(out) not in rec.names else None
    rec.numbered = True
    return rec
