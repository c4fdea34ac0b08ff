"""backward(): reverse topological order, gradient accumulation at branches, and every shared chore.

The engine knows nothing of ops. One pass is four named steps:

    seed      the output gradients, fitted to the roots, start the pass
    schedule  nodes in reverse topological order: a node runs once every consumer that
              feeds it has delivered its gradient (iterative: a 100,000-op chain works)
    step      one node: hooks see its gradient, its vjp runs, each input's gradient is
              fitted to the input (broadcast axes summed, dtype cast) and added where it
              goes -- "gradients add at branches"
    deliver   leaf gradients go to ``.grad`` through the leaves' hooks (or are returned)

With ``create_graph=False`` the rules run directly on ndarrays (nothing is recorded); with
``create_graph=True`` they run on Tensors with recording on, so the backward pass is itself
a graph -- that is all higher order needs.
"""
import numpy as np

from .installed import OPS
from .modes import STATE
from .node import Node
from .numeric import ensure_quiet

Tensor = None  # the Tensor class, handed in by chainrule.core.install
ndarray = np.ndarray


def backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
             allow_unused=False):
    """Backpropagate ``root_grads`` from ``roots``.

    inputs=None: accumulate into the ``.grad`` of every leaf reached (Tensor.backward).
    inputs=[tensors]: return their gradients (None where unreached), touching no ``.grad``.
    """
    ensure_quiet()
    walk = Pass(create_graph, inputs)
    start = walk.seed(roots, root_grads)
    prev_raw, prev_enabled = STATE.raw, STATE.grad_enabled
    STATE.raw, STATE.grad_enabled = not create_graph, create_graph   # how the rules run
    try:
        ready, waiting, parents_of = walk.schedule(start)
        pending, step = walk.pending, walk.step
        while ready:
            node = ready.pop()
            grad = pending.pop(node, None)
            if grad is not None:        # (None: nothing flowed here, e.g. integer paths only)
                step(node, grad, retain_graph)
            for p in (node.parents if parents_of is None else parents_of[node]):
                if type(p) is Node:     # one consumer fewer to wait for; ready at zero
                    waiting[p] -= 1
                    if not waiting[p]:
                        ready.append(p)
    finally:
        STATE.raw, STATE.grad_enabled = prev_raw, prev_enabled
        STATE.backward_node = None
    return walk.deliver(inputs, allow_unused)


class Pass:
    """The state of one backward pass.

    pending      Node -> the gradient of its output accumulated so far
    leaf_grads   id(leaf) -> [leaf, its gradient so far]
    owned        ids of arrays this pass allocated and still holds (safe to add into)
    handed       ids of arrays already handed to the user as gradients
    captured     autograd.grad's non-leaf inputs: Node -> its gradient
    target_ids   autograd.grad's leaf inputs by id (None for Tensor.backward)
    useful       autograd.grad: the nodes from which some input is reachable
    observers, anomaly  explain/viz observers and detect_anomaly, read once per pass
    """

    __slots__ = ("raw", "pending", "leaf_grads", "owned", "handed", "captured", "target_ids",
                 "useful", "observers", "anomaly")

    def __init__(self, create_graph, inputs):
        self.raw = not create_graph
        self.pending, self.leaf_grads, self.owned, self.handed = {}, {}, set(), set()
        self.captured, self.target_ids, self.useful = {}, None, None
        self.observers, self.anomaly = STATE.observers, STATE.anomaly
        if inputs is not None:
            self.target_ids = {id(t) for t in inputs if t.node is None}
            self.captured = {t.node: None for t in inputs if t.node is not None}

    # ------------------------------------------------------------------------- seed
    def seed(self, roots, root_grads):
        """Fit each root's gradient to the root and file it; return the nodes to start from."""
        start = []
        for root, grad in zip(roots, root_grads):
            if self.raw:   # a copy: never alias (and later add into) the caller's array
                grad = np.array(fit_array(grad, root.shape, root.dtype))
            else:
                grad = fit_graph(grad, root.shape, root.dtype)
            if root.node is None:
                if root._requires_grad:
                    self.add_to_leaf(root, grad)
            elif root.node in self.pending:
                self.pending[root.node] = self.add(self.pending[root.node], grad)
            else:
                self.pending[root.node] = grad
                start.append(root.node)
        return start

    # ------------------------------------------------------------------------- schedule
    def schedule(self, start):
        """(ready, waiting, parents_of): what reverse topological order needs.

        waiting[node] counts the graph edges from the node's consumers; a node is ready once
        all of them have delivered (``backward`` counts down). For autograd.grad only the
        nodes that reach an input take part: parents_of[node] lists those among its parents
        (None for Tensor.backward: every parent takes part).
        """
        if self.target_ids is None:
            waiting, parents_of = count_consumers(start), None
        else:
            self.useful = prune(discover(start), self.captured, self.target_ids)
            parents_of = {node: tuple([p for p in node.parents
                                       if type(p) is Node and p in self.useful])
                          for node in self.useful}
            waiting = dict.fromkeys(start, 0)
            for parents in parents_of.values():
                for p in parents:
                    waiting[p] = waiting.get(p, 0) + 1
        ready = [n for n in start
                 if waiting.get(n) == 0 and (parents_of is None or n in parents_of)]
        return ready, waiting, parents_of

    # ------------------------------------------------------------------------- step
    def step(self, node, grad, retain_graph=False):
        """Run one node's vjp on its output's gradient and send each input its share; then
        free what the node kept for backward, unless ``retain_graph``."""
        if self.owned:
            self.owned.discard(id(grad))   # (its id may be reused once it is gone)
        if node.freed or node.hooks or node.retained is not None or self.captured:
            grad = self.before_step(node, grad)
        versions = node.versions
        if versions is not None:
            if len(versions) == 1:      # (a single recorded input is a Tensor)
                if node.inputs[0]._version != versions[0]:
                    raise version_error(node)
            else:
                for x, version in zip(node.inputs, versions):
                    if version is not None and x._version != version:
                        raise version_error(node)
        if node.out_modified is not None:
            raise version_error(node)
        needs = node.needs if self.useful is None else self.wanted(node)
        grads = ()
        if True in needs:
            if self.raw and not self.anomaly:      # rules on the recorded arrays
                params = node.params
                grads = node.primitive.vjp(needs, grad, node.out_data, *node.arrays, **params) \
                    if params else node.primitive.vjp(needs, grad, node.out_data, *node.arrays)
            else:
                grads = self.vjp(node, needs, grad)
        if self.observers:
            for observer in self.observers:
                observer.on_backward(node, grad, grads)
        for x, parent, grad_x in zip(node.arrays, node.parents, grads):
            if grad_x is None or parent is None:
                continue
            if type(grad_x) is not ndarray or type(x) is not ndarray or not self.raw \
                    or grad_x.shape != x.shape or grad_x.dtype is not x.dtype:
                grad_x = self.fit(grad_x, x)
            if self.anomaly:
                check_grad(node, grad_x)
            if type(parent) is Node:
                old = self.pending.get(parent)
                self.pending[parent] = grad_x if old is None else self.add(old, grad_x)
            else:
                self.add_to_leaf(parent, grad_x)
        if not retain_graph:
            node.release()

    def before_step(self, node, grad):
        """The rare cases: a freed graph, tensor hooks, retain_grad, autograd.grad targets."""
        if node.freed:
            raise freed_error(node, grad)
        if node.hooks:
            grad = run_hooks(node.hooks, grad, self.raw)
        if node.retained is not None:
            self.retain(node, grad)
        if node in self.captured:
            self.captured[node] = grad
        return grad

    def vjp(self, node, needs, grad):
        """The primitive's rule on Tensors that record (create_graph) or under detect_anomaly
        (the plain raw call is inlined in ``step``)."""
        prim = node.primitive
        if self.raw:
            out, args = node.out_data, node.arrays
        else:
            out, args = None, node.inputs
            if prim.needs_output:
                out = Tensor._wrap(node.out_data)
                out.node, out._requires_grad = node, True
                out._tangents = node.out_tangents
        if self.anomaly:
            STATE.backward_node = node   # names the node if a rule's own op yields NaN
        if node.params:
            return prim.vjp(needs, grad, out, *args, **node.params)
        return prim.vjp(needs, grad, out, *args)

    def wanted(self, node):
        """autograd.grad: per input, does its gradient lead to a requested input?"""
        return tuple([p is not None and (p in self.useful if type(p) is Node
                                         else id(p) in self.target_ids) for p in node.parents])

    def fit(self, grad, x):
        """``grad`` with the shape and dtype of input ``x`` (broadcast axes summed)."""
        if isinstance(x, np.ndarray):
            shape, dtype = x.shape, x.dtype
        else:
            shape, dtype = (), np.result_type(x)
        if not self.raw:
            return fit_graph(grad, shape, dtype)
        if type(grad) is not np.ndarray or grad.shape != shape or grad.dtype != dtype:
            return fit_array(grad, shape, dtype)
        return grad

    def add(self, old, grad):
        """old + grad, in place when this pass owns ``old`` (no copy per branch)."""
        if not self.raw:
            return OPS.add(old, grad)
        if id(old) in self.owned:
            old += grad
            return old
        new = old + grad
        self.owned.add(id(new))
        return new

    def add_to_leaf(self, leaf, grad):
        entry = self.leaf_grads.get(id(leaf))
        if entry is None:
            if leaf.data.dtype.kind != "f":   # e.g. ``t.data = ints`` after requires_grad_()
                raise TypeError(
                    f"only Tensors of floating point dtype can require gradients, but a leaf of "
                    f"dtype {leaf.data.dtype} (shape {tuple(leaf.data.shape)}) has "
                    "requires_grad=True (was its .data replaced by a non-float array?); cast it "
                    "first: t = t.double().requires_grad_()")
            self.leaf_grads[id(leaf)] = [leaf, grad]
        else:
            entry[1] = self.add(entry[1], grad)

    def retain(self, node, grad):
        """``retain_grad()``: the non-leaf tensor of ``node`` keeps its gradient in ``.grad``."""
        kept = node.retained()
        if kept is not None:
            value = Tensor(np.array(grad)) if self.raw else grad
            kept.grad = value if kept.grad is None else kept.grad + value

    # ------------------------------------------------------------------------- deliver
    def deliver(self, inputs, allow_unused):
        """Tensor.backward: add into each leaf's ``.grad``. autograd.grad: return the tuple."""
        if inputs is None:
            for leaf, grad in self.leaf_grads.values():
                accumulate_grad(leaf, self.as_tensor(grad), not self.raw)
            return None
        results = []
        for index, t in enumerate(inputs):
            if t.node is None:
                entry = self.leaf_grads.get(id(t))
                grad = None if entry is None else entry[1]
            else:
                grad = self.captured.get(t.node)
            if grad is not None:
                grad = self.as_tensor(grad)
                if t.node is None and t._hooks:
                    grad = run_hooks(t._hooks, grad, False)
            elif not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: input {index} (a tensor of shape {tuple(t.shape)}) appears "
                    "to not have been used in the graph of the outputs. Set allow_unused=True "
                    "if this is the desired behavior (its gradient is then None).")
            results.append(grad)
        return tuple(results)

    def as_tensor(self, grad):
        """A gradient as the Tensor handed to the user: a fresh array nobody else holds."""
        if not self.raw:
            return grad
        if type(grad) is not np.ndarray or grad.base is not None or not grad.flags.writeable \
                or id(grad) in self.handed:
            grad = np.array(grad)
        self.handed.add(id(grad))
        return Tensor._wrap(grad)


def accumulate_grad(leaf, grad, create_graph):
    """Run the leaf's hooks on ``grad`` and add it into ``leaf.grad`` (PyTorch's AccumulateGrad)."""
    if leaf._hooks:
        grad = run_hooks(leaf._hooks, grad, False)
    if leaf.grad is None:
        leaf.grad = grad
    elif create_graph or leaf.grad._requires_grad or leaf.grad.shape != grad.shape:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad.data += grad.data
        leaf.grad._version += 1


# ----------------------------------------------------------------------------- fitting
def fit_array(grad, shape, dtype):
    """An ndarray gradient summed over broadcast axes to ``shape`` and cast to ``dtype``."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != shape:
        grad = sum_to_shape(grad, shape)
    if grad.dtype != dtype:
        if grad.dtype.kind == "c" and dtype.kind != "c":
            raise RuntimeError(f"backward: a complex gradient (dtype {grad.dtype}) for a real "
                               f"tensor of dtype {dtype}: the imaginary part would be lost")
        grad = grad.astype(dtype)
    return grad


def sum_to_shape(grad, shape):
    lead = grad.ndim - len(shape)
    if lead >= 0:
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
            if lead:
                grad = grad.reshape(grad.shape[lead:])
    if grad.shape != shape:
        grad = np.broadcast_to(grad, shape)
    return grad


def fit_graph(grad, shape, dtype):
    """``fit_array`` with differentiable ops (create_graph=True)."""
    if not isinstance(grad, Tensor):
        grad = Tensor(np.asarray(grad))
    if grad.shape != shape:
        grad = OPS.sum_to(grad, shape)
    if grad.dtype != dtype:
        grad = OPS.astype(grad, dtype)
    return grad


# ----------------------------------------------------------------------------- checks
def version_error(node):
    """The error for an input or output the rules read that was modified in place."""
    for i, (x, version) in enumerate(zip(node.inputs, node.versions or ())):
        if version is not None and x._version != version:
            return RuntimeError(
                f"{node.name}: one of the variables needed for gradient computation has "
                f"been modified by an inplace operation: input {i}, a tensor of shape "
                f"{tuple(x.shape)} and dtype {x.dtype}, is at version {x._version}; "
                f"expected version {version} instead." + describe_write(x._last_write, version))
    out = node.out_data
    return RuntimeError(
        f"{node.name}: one of the variables needed for gradient computation has been "
        f"modified by an inplace operation: its output, a tensor of shape "
        f"{tuple(out.shape)} and dtype {out.dtype}, is at version {node.out_modified}; "
        f"expected version {node.out_version} instead."
        + describe_write(getattr(node, "out_write", None), node.out_version))


def describe_write(write, expected):
    """The in-place write noted by the Tensor (its name; its line under detect_anomaly)."""
    if write is None or write[2] <= expected:
        return (" Enable cr.detect_anomaly() before the forward pass to find the in-place "
                "write.")
    what, site, _ = write
    if site is None:
        return (f" The last in-place write into it was {what}; enable cr.detect_anomaly() "
                "before it to record its line.")
    return f" The last in-place write into it was {what}, at {site}."


def freed_error(node, grad):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time (or directly access "
        f"saved values after they have already been freed): the {node.name} node with an output "
        f"of shape {tuple(np.shape(grad))} was already used by a backward pass. Saved "
        f"intermediate values of the graph are freed when you call .backward() or "
        f"autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
        f"a second time.")


def check_grad(node, grad):
    data = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        what = "NaN" if np.isnan(data).any() else "Inf"
        site = node.site or "<unknown> (enable detect_anomaly before the forward pass to record it)"
        raise FloatingPointError(
            f"detect_anomaly: the backward of {node.name} returned {what} in a gradient; "
            f"the {node.name} was created at {site}")


def run_hooks(hooks, grad, raw):
    """Call the user's hooks on a gradient; a hook's return value (not None) replaces it.

    Hooks are user code: they always see Tensors and run with ``STATE.raw`` off (in raw
    mode chainrule ops would hand them ndarrays).
    """
    value = Tensor._wrap(np.asarray(grad)) if raw else grad
    prev_raw = STATE.raw
    STATE.raw = False
    try:
        for hook in hooks:
            result = hook(value)
            if result is not None:
                if np.iscomplexobj(result.data if isinstance(result, Tensor) else result):
                    raise RuntimeError(
                        f"hook {getattr(hook, '__name__', hook)!r} returned a complex gradient "
                        f"for a real tensor of dtype {value.dtype}: the imaginary part would be "
                        "lost; return a real gradient")
                if not isinstance(result, Tensor):
                    result = Tensor._wrap(np.asarray(result, dtype=value.dtype))
                if result.shape != value.shape:
                    raise RuntimeError(
                        f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                        f"{tuple(result.shape)} for a tensor of shape {tuple(value.shape)}")
                value = result
    finally:
        STATE.raw = prev_raw
    return value.data if raw else value


# ----------------------------------------------------------------------------- graph walks
def count_consumers(start):
    """{node: number of graph edges from its consumers} for every node reachable from ``start``."""
    deps = dict.fromkeys(start, 0)
    stack = list(deps)
    while stack:
        node = stack.pop()
        for p in node.parents:
            if type(p) is Node:
                count = deps.get(p)
                if count is None:
                    deps[p] = 1
                    stack.append(p)
                else:
                    deps[p] = count + 1
    return deps


def discover(start):
    """Every node reachable from ``start`` (an insertion-ordered dict used as a set)."""
    seen = dict.fromkeys(start)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for p in node.parents:
            if type(p) is Node and p not in seen:
                seen[p] = None
                stack.append(p)
    return seen


def prune(nodes, captured, target_ids):
    """The nodes from which some target is reachable (autograd.grad does no more work)."""
    useful = {}
    for node in sorted(nodes, key=lambda n: n.seq):  # parents come before their consumers
        if node in captured or any(
                (p in useful) if type(p) is Node else (p is not None and id(p) in target_ids)
                for p in node.parents):
            useful[node] = None
    return useful
