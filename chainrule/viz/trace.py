"""Recording a computation: every primitive call with its values, every backward step with its gradients.

A :class:`Trace` is an observer of ``apply`` (each primitive call) and of the
backward engine (each node it visits, with the upstream gradient and the gradient
it sends to each input). ``with cr.viz.record() as rec:`` records any code;
``cr.viz.trace(f, *args)`` runs ``f`` on fresh leaves, backpropagates from its
scalar output and records both passes -- the raw material of ``cr.explain``.
"""
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
        self._values = {}        # id(Tensor or ndarray) -> Value (the Value holds the object)
        self._by_node = {}       # autograd Node -> Op
        self._active = False

    # ------------------------------------------------------------------ observer protocol
    def on_apply(self, prim, args, params, out):
        inputs = [self._value_of(a) for a in args]
        value = Value("op", out, snapshot(out.data))
        op = Op(len(self.ops), prim.name, params, inputs, value, out.node, prim)
        value.producer = op
        self._values[id(out)] = value
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
            v = self._values.get(id(a))
            node = a.node
            if v is not None:
                made_by = v.producer.node if v.producer is not None else None
                if made_by is node or (v.producer is None and node is None):
                    return v
            if node is not None and node in self._by_node:  # e.g. a tensor updated in place
                v = self._by_node[node].output
            else:
                v = Value(leaf_kind(a), a, snapshot(a.data))
            self._values[id(a)] = v
            return v
        if isinstance(a, np.ndarray):
            v = self._values.get(id(a))
            if v is None:
                v = self._values[id(a)] = constant_value(a)
            return v
        return constant_value(a)

    def value_of(self, x):
        """The recorded Value of a Tensor (or a Value itself)."""
        if isinstance(x, Value):
            return x
        v = self._values.get(id(x))
        if v is None:
            raise ValueError("cr.viz: this tensor was not computed while the trace was recording")
        return v

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
        return False

    # ------------------------------------------------------------------ views
    def graph(self, roots=None, model=None):
        """The recorded graph (a ComputationGraph) that ``roots`` depend on, named and grouped."""
        g = ComputationGraph.from_trace(self, roots)
        if model is not None:
            g.assign_modules(model)
        return g.assign_names(self.names, self.output_name, number=self.numbered)

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
            v = self._values.get(id(leaf))
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
        if id(out) not in rec._values:  # f returned an input unchanged
            rec._value_of(out)
        for var, obj in local_vars.items():
            if isinstance(obj, Tensor) and id(obj) not in rec.names and not var.startswith("_"):
                rec.names[id(obj)] = var
        if out.requires_grad:
            targets = [v.obj for v in rec._values.values()
                       if v.kind in ("input", "param") and v.obj.requires_grad]
            grads = autograd_grad(out, targets, allow_unused=True)
            if out.node is None:  # the output is itself a leaf: d out / d out = 1
                rec.value_of(out).grad = np.ones(out.shape, out.dtype)
            else:
                root = rec.value_of(out)
                if root.grad is None:
                    root.grad = np.ones(out.shape, out.dtype)
            for t, g in zip(targets, grads):
                v = rec._values[id(t)]
                if v.grad is None and g is not None:
                    v.grad = np.array(g.data)
    rec.output_name = "out" if id(out) not in rec.names else None
    rec.numbered = True
    return rec
