"""backward(): reverse topological order, gradient accumulation at branches, and every shared chore.

The engine knows nothing of ops. It walks Nodes iteratively (a 100,000-op chain
works), calls each primitive's vjp, fits every gradient to its input (sums the
broadcast axes, casts the dtype) and adds gradients that meet at a branch. With
``create_graph=False`` the rules run directly on ndarrays (nothing is recorded);
with ``create_graph=True`` they run on Tensors with recording on, so the backward
pass is itself a graph -- that is all higher order needs.
"""
import numpy as np

from .modes import STATE
from .node import Node

_Tensor = None  # set by chainrule.tensor
# Differentiable helpers the ops package registers (the engine never imports an op):
# sum_to(grad, shape), broadcast_to(grad, shape), astype(grad, dtype), add(a, b)
OPS = {}


def _np_fit(grad, shape, dtype):
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != shape:
        grad = _np_sum_to(grad, shape)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _np_sum_to(grad, shape):
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


def _graph_fit(grad, shape, dtype):
    Tensor = _Tensor
    if not isinstance(grad, Tensor):
        grad = Tensor(np.asarray(grad))
    if grad.shape != shape:
        grad = OPS["sum_to"](grad, shape)
    if grad.dtype != dtype:
        grad = OPS["astype"](grad, dtype)
    return grad


def _meta(x):
    """(shape, dtype) of an input the gradient must match."""
    if isinstance(x, (_Tensor, np.ndarray)):
        return x.shape, x.dtype
    return (), np.result_type(x)


def _freed_error(node, grad):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time (or directly access "
        f"saved values after they have already been freed): the {node.name} node with an output "
        f"of shape {tuple(np.shape(grad))} was already used by a backward pass. Saved "
        f"intermediate values of the graph are freed when you call .backward() or "
        f"autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
        f"a second time.")


def _check_versions(node):
    prim = node.primitive
    if prim.needs_inputs:
        Tensor = _Tensor
        for i, (x, version) in enumerate(zip(node.inputs, node.versions)):
            if version is not None and isinstance(x, Tensor) and x._version != version:
                raise RuntimeError(
                    f"{prim.name}: one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: input {i}, a tensor of shape "
                    f"{tuple(x.shape)} and dtype {x.dtype}, is at version {x._version}; expected "
                    f"version {version} instead.")
    if node.out_modified is not None:
        out = node.out_data
        raise RuntimeError(
            f"{prim.name}: one of the variables needed for gradient computation has been "
            f"modified by an inplace operation: its output, a tensor of shape "
            f"{tuple(out.shape)} and dtype {out.dtype}, is at version {node.out_modified}; "
            f"expected version {node.out_version} instead.")


def _check_grad(node, grad):
    data = grad.data if isinstance(grad, _Tensor) else np.asarray(grad)
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        what = "NaN" if np.isnan(data).any() else "Inf"
        site = node.site or "<unknown> (enable detect_anomaly before the forward pass to record it)"
        raise FloatingPointError(
            f"detect_anomaly: the backward of {node.name} returned {what} in a gradient; "
            f"the {node.name} was created at {site}")


def backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
             allow_unused=False):
    """Backpropagate ``root_grads`` from ``roots``.

    inputs=None: accumulate into the ``.grad`` of every leaf reached (Tensor.backward).
    inputs=[tensors]: return their gradients (None where unreached), touching no ``.grad``.
    """
    Tensor = _Tensor
    raw = not create_graph
    buffers = {}        # Node -> accumulated gradient of its output
    owned = set()       # ids of arrays this pass allocated and still holds (safe to add into)
    leaf_grads = {}     # id(leaf) -> [leaf, gradient]

    def accumulate_leaf(leaf, grad):
        key = id(leaf)
        entry = leaf_grads.get(key)
        if entry is None:
            leaf_grads[key] = [leaf, grad]
        else:
            entry[1] = add_into(entry[1], grad)

    def add_into(old, grad):
        if not raw:
            return OPS["add"](old, grad)
        if id(old) in owned:
            old += grad
            return old
        new = old + grad
        owned.add(id(new))
        return new

    # Targets of autograd.grad: leaves by identity, non-leaves by their node.
    capture_nodes = {}
    target_leaves = None
    if inputs is not None:
        target_leaves = set()
        for t in inputs:
            if t.node is None:
                target_leaves.add(id(t))
            else:
                capture_nodes[t.node] = None

    # Seed.
    start = []
    for root, grad in zip(roots, root_grads):
        if raw:
            grad = np.array(_np_fit(grad, root.shape, root.dtype))  # a copy: never alias the caller's array
        else:
            grad = _graph_fit(grad, root.shape, root.dtype)
        if root.node is None:
            if root.requires_grad:
                accumulate_leaf(root, grad)
        elif root.node in buffers:
            buffers[root.node] = add_into(buffers[root.node], grad)
        else:
            buffers[root.node] = grad
            start.append(root.node)

    # Discover the graph (iteratively) and count, for each node, the edges from consumers
    # that feed it: a node runs once all of them have delivered.
    if inputs is None:
        deps = _count_consumers(start)
        below = None    # every parent node takes part: walk node.parents directly
    else:
        order = _prune(_discover(start), capture_nodes, target_leaves)
        deps = {}
        below = {}      # node -> its parent nodes inside ``order`` (one entry per edge)
        for node in order:
            parent_nodes = tuple([p for p in node.parents if type(p) is Node and p in order])
            below[node] = parent_nodes
            for p in parent_nodes:
                deps[p] = deps.get(p, 0) + 1
        for node in start:
            deps.setdefault(node, 0)
    ready = [n for n in start if deps.get(n) == 0 and (below is None or n in below)]

    observers = STATE.observers
    anomaly = STATE.anomaly
    prev_raw, prev_enabled = STATE.raw, STATE.grad_enabled
    STATE.raw, STATE.grad_enabled = raw, create_graph
    try:
        while ready:
            node = ready.pop()
            grad = buffers.pop(node, None)
            if grad is not None:
                if owned:
                    owned.discard(id(grad))  # (its id may be reused once it is gone)
                if node.freed:
                    raise _freed_error(node, grad)
                if node.hooks:
                    grad = _run_hooks(node.hooks, grad, raw)
                if node.retained is not None:
                    kept = node.retained()
                    if kept is not None:
                        value = Tensor(np.array(grad)) if raw else grad
                        kept.grad = value if kept.grad is None else kept.grad + value
                if capture_nodes and node in capture_nodes:
                    capture_nodes[node] = grad
                prim = node.primitive
                versions = node.versions
                if versions is not None:
                    if len(versions) == 1:   # (a single recorded input is a Tensor)
                        if node.inputs[0]._version != versions[0]:
                            _check_versions(node)
                    else:
                        for x, version in zip(node.inputs, versions):
                            if version is not None and x._version != version:
                                _check_versions(node)
                if node.out_modified is not None:
                    _check_versions(node)
                parents = node.parents
                if target_leaves is None:
                    needs = node.needs
                else:
                    needs = tuple([p is not None and (p in order if type(p) is Node
                                                      else id(p) in target_leaves)
                                   for p in parents])
                if raw:
                    out = node.out_data
                    args = node.arrays
                else:
                    out = None
                    if prim.needs_output:
                        out = Tensor._wrap(node.out_data)
                        out.node, out.requires_grad = node, True
                        out._tangents = node.out_tangents
                    args = node.inputs
                if anomaly:
                    STATE.backward_node = node  # names the node if a rule's own op yields NaN
                if True in needs:
                    params = node.params
                    grads = (prim.vjp(needs, grad, out, *args, **params) if params
                             else prim.vjp(needs, grad, out, *args))
                else:
                    grads = ()
                if observers:
                    for observer in observers:
                        observer.on_backward(node, grad, grads)
                for x, p, g in zip(args, parents, grads):
                    if g is None or p is None:
                        continue
                    if isinstance(x, np.ndarray):
                        shape, dtype = x.shape, x.dtype
                    else:
                        shape, dtype = _meta(x)
                    if raw:
                        if type(g) is not np.ndarray or g.shape != shape or \
                                (g.dtype is not dtype and g.dtype != dtype):
                            g = _np_fit(g, shape, dtype)
                    else:
                        g = _graph_fit(g, shape, dtype)
                    if anomaly:
                        _check_grad(node, g)
                    if type(p) is Node:
                        old = buffers.get(p)
                        buffers[p] = g if old is None else add_into(old, g)
                    else:
                        accumulate_leaf(p, g)
                if not retain_graph:       # node.release(), inlined (hot loop)
                    node.inputs = node.arrays = None
                    if prim.needs_output or node.out_tangents is not None:
                        node.out_data = node.out_tangents = None
                    node.freed = True
                    if prim.keeps_state:
                        prim.release(node.params)
            # (grad is None: nothing flowed here, e.g. only through integer paths)
            for p in (node.parents if below is None else below[node]):
                if type(p) is Node:
                    left = deps[p] - 1
                    deps[p] = left
                    if left == 0:
                        ready.append(p)
    finally:
        STATE.raw, STATE.grad_enabled = prev_raw, prev_enabled
        STATE.backward_node = None

    handed = set()

    def as_tensor(g):
        if raw:
            if type(g) is not np.ndarray or g.base is not None or not g.flags.writeable \
                    or id(g) in handed:
                g = np.array(g)
            handed.add(id(g))
            return Tensor._wrap(g)  # already a fresh array this pass owns
        return g

    if inputs is None:
        for leaf, g in leaf_grads.values():
            g = as_tensor(g)
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g, False)
            if leaf.grad is None:
                leaf.grad = g
            elif create_graph or leaf.grad.requires_grad or leaf.grad.shape != g.shape:
                leaf.grad = leaf.grad + g
            else:
                leaf.grad.data += g.data
                leaf.grad._version += 1
        return None

    results = []
    for index, t in enumerate(inputs):
        if t.node is None:
            entry = leaf_grads.get(id(t))
            g = None if entry is None else entry[1]
        else:
            g = capture_nodes.get(t.node)
        if g is not None:
            g = as_tensor(g)
            if t.node is None and t._hooks:
                g = _run_hooks(t._hooks, g, False)
        elif not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {index} (a tensor of shape {tuple(t.shape)}) appears to "
                "not have been used in the graph of the outputs. Set allow_unused=True if this "
                "is the desired behavior (its gradient is then None).")
        results.append(g)
    return tuple(results)


def _run_hooks(hooks, grad, raw):
    """Call the user's hooks on a gradient; a hook's return value (not None) replaces it.

    Hooks are user code: they always see Tensors and run with ``STATE.raw`` off (in raw
    mode chainrule ops would hand them ndarrays).
    """
    Tensor = _Tensor
    value = Tensor._wrap(np.asarray(grad)) if raw else grad
    prev_raw = STATE.raw
    STATE.raw = False
    try:
        for hook in hooks:
            result = hook(value)
            if result is not None:
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


def _count_consumers(start):
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


def _discover(start):
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


def _prune(order, capture_nodes, target_leaves):
    """Keep only the nodes from which some target is reachable (autograd.grad does no more work)."""
    # Visit in an order where parents come after children: reverse creation order.
    nodes = sorted(order, key=lambda n: n.seq)
    useful = {}
    for node in nodes:  # parents have smaller seq than their consumers
        reaches = node in capture_nodes
        if not reaches:
            for p in node.parents:
                if p is None:
                    continue
                if type(p) is Node:
                    if p in useful:
                        reaches = True
                        break
                elif id(p) in target_leaves:
                    reaches = True
                    break
        if reaches:
            useful[node] = None
    # Captured nodes need not propagate further unless something below them is wanted.
    return useful
