"""The computation graph as plain records: values (tensors, arrays, numbers) and the ops between them.

Two sources fill it:

* ``ComputationGraph.from_tensor(y)`` walks the autograd graph behind ``y``
  (``y.node``, ``node.parents``, ``node.inputs``). Leaves keep their value and
  ``.grad``; an intermediate keeps its value while the graph is alive (before
  ``backward`` frees it, or with ``retain_graph=True``) and its gradient when it
  called ``retain_grad()``.
* ``ComputationGraph.from_trace(trace)`` uses what a :class:`~chainrule.viz.trace.Trace`
  recorded while the code ran: every value and every gradient.

The pictures (``dot.py``) and the tables (``explain.py``) read only these records.
"""
import sys
import weakref

import numpy as np

from ..core.backward import discover
from ..core.node import Node
from ..tensor import Tensor

__all__ = ["Value", "Op", "ComputationGraph"]

SNAPSHOT_LIMIT = 1 << 16  # arrays up to this many elements are copied when recorded


def snapshot(array):
    """A copy of a small array (safe from later in-place writes); big ones are kept by reference."""
    array = np.asarray(array)
    return np.array(array, copy=True) if array.size <= SNAPSHOT_LIMIT else array


class Value:
    """One value of the computation.

    kind      'input' (a leaf Tensor that requires grad), 'param' (an ``nn.Parameter``),
              'const' (a Tensor or ndarray that requires no grad), 'scalar' (a Python
              number), 'op' (the output of a recorded op), 'external' (a non-leaf Tensor
              computed before the recording started)
    obj       the Tensor / ndarray / number itself (None once unknown)
    data      its value as an ndarray, or None when it is no longer known (freed)
    shape, dtype  None when unknown
    producer  the Op that computed it (kind 'op'), else None
    grad      the gradient of the output with respect to it (ndarray) or None
    """

    __slots__ = ("_obj", "_name", "data", "shape", "dtype", "kind", "_producer", "grad",
                 "running", "contributions", "__weakref__")

    def __init__(self, kind, obj=None, data=None, shape=None, dtype=None, producer=None):
        self.kind = kind
        self._obj = obj
        self._name = None
        self.data = data
        if data is not None:
            shape = data.shape if shape is None else shape
            dtype = data.dtype if dtype is None else dtype
        self.shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.producer = producer
        self.grad = None
        self.running = None      # gradient accumulated so far (a Trace fills it during backward)
        self.contributions = 0   # how many gradient contributions arrived

    # The Op that made a value holds the value (op.output); the value refers back to its Op
    # weakly, so a recording makes no reference cycle and is freed as soon as it is dropped.
    @property
    def producer(self):
        ref = self._producer
        return None if ref is None else ref()

    @producer.setter
    def producer(self, op):
        self._producer = None if op is None else weakref.ref(op)

    @property
    def obj(self):
        obj = self._obj
        return obj() if type(obj) is weakref.ref else obj

    @obj.setter
    def obj(self, obj):
        self._obj = obj

    def release(self):
        """Hold the Tensor weakly from now on (its ``.name`` is kept), so it can be freed."""
        obj = self._obj
        if _is_tensor(obj):
            self._name = getattr(obj, "name", None)
            self._obj = weakref.ref(obj)

    @property
    def is_leaf(self):
        return self.producer is None

    @property
    def user_name(self):
        """The ``.name`` the user gave the Tensor, if any."""
        obj = self.obj
        if _is_tensor(obj):
            return getattr(obj, "name", None)
        return self._name

    def __repr__(self):
        return f"<Value {self.kind} shape={self.shape}>"


class Op:
    """One primitive application: ``output = name(*inputs, **params)``.

    node is the autograd Node it recorded (None when nothing was recorded, e.g. under
    ``no_grad`` or when no input requires grad); primitive is the Primitive applied (its
    ``formula`` and ``local_gradient`` give ``cr.explain`` its local-gradient column).
    """

    __slots__ = ("index", "name", "params", "inputs", "output", "node", "primitive", "__weakref__")

    def __init__(self, index, name, params, inputs, output, node=None, primitive=None):
        self.index = index
        self.primitive = primitive if primitive is not None or node is None else node.primitive
        self.name = name
        self.params = dict(params) if params else {}
        self.inputs = list(inputs)
        self.output = output
        self.node = node

    def __repr__(self):
        return f"<Op {self.name} #{self.index}>"


def _is_tensor(obj):
    from ..tensor import Tensor
    return isinstance(obj, Tensor)


def _nn_class(name):
    """``chainrule.nn.module.<name>`` if nn is loaded (no Parameter or Module exists otherwise)."""
    module = sys.modules.get("chainrule.nn.module")
    return getattr(module, name, None)


def _is_parameter(obj):
    parameter = _nn_class("Parameter")
    return parameter is not None and isinstance(obj, parameter)


def leaf_kind(tensor):
    """'param', 'input', 'const' or 'external' for a Tensor that no recorded op produced."""
    if _is_parameter(tensor):
        return "param"
    if tensor.node is not None:
        return "external"
    return "input" if tensor.requires_grad else "const"


def constant_value(obj):
    """A Value for an op argument that is not a Tensor: an ndarray or a Python number."""
    if isinstance(obj, np.ndarray):
        return Value("const", obj, snapshot(obj))
    try:
        data = np.asarray(obj)
    except Exception:  # an argument NumPy cannot hold: keep it, show its repr
        data = None
    if data is not None and data.dtype.kind not in "biufc":
        data = None
    return Value("scalar", obj, data)


class ComputationGraph:
    """Values and ops in data-flow order, plus the display names and module groups of a picture.

    values   every Value, leaves first (in order of first use), then op outputs in op order
    ops      the ops in the order they ran (parents before consumers)
    outputs  the Values the graph was built for
    names    id(Value) -> display name (user names, variable names, v1, v2, ...)
    modules  id(Op) -> dotted module path (when a model was given), see ``assign_modules``
    notes    lines worth saying under the picture (e.g. values freed by backward)
    """

    def __init__(self, ops, outputs, extra_values=(), notes=()):
        self.ops = list(ops)
        self.outputs = list(outputs)
        seen = {}
        for op in self.ops:
            for v in op.inputs:
                if v.producer is None:
                    seen.setdefault(id(v), v)
        for v in extra_values:
            seen.setdefault(id(v), v)
        for op in self.ops:
            seen.setdefault(id(op.output), op.output)
        for v in self.outputs:
            seen.setdefault(id(v), v)
        self.values = list(seen.values())
        self.names = {}
        self.modules = {}
        self.module_types = {}
        self.notes = list(notes)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_tensor(cls, y):
        """The graph behind the Tensor ``y``, read from its autograd nodes."""
        if not isinstance(y, Tensor):
            raise TypeError(f"cr.viz: expected a Tensor (or a Trace / Explanation), "
                            f"got {type(y).__name__}")
        out = Value("op" if y.node is not None else leaf_kind(y), y, snapshot(y.data))
        out.grad = _grad_of(y)
        if y.node is None:
            return cls([], [out])
        nodes = sorted(discover([y.node]), key=lambda n: n.seq)
        tensors = {y.node: y}  # Node -> the Tensor it produced, where still reachable
        for node in nodes:
            if node.inputs is None:
                continue
            for x, p in zip(node.inputs, node.parents):
                if type(p) is Node and p not in tensors and isinstance(x, Tensor) and x.node is p:
                    tensors[p] = x
        for node in nodes:  # a tensor that called retain_grad() is reachable by its weakref
            if node not in tensors and node.retained is not None:
                t = node.retained()
                if t is not None:
                    tensors[node] = t
        produced = {}
        leaves = {}
        ops = []
        freed = False
        for node in nodes:
            inputs = []
            for i, p in enumerate(node.parents):
                if type(p) is Node:
                    inputs.append(produced[p])
                elif p is not None:
                    v = leaves.get(id(p))
                    if v is None:
                        v = leaves[id(p)] = Value(leaf_kind(p), p, snapshot(p.data))
                        v.grad = _grad_of(p)
                    inputs.append(v)
                elif node.inputs is not None:
                    x = node.inputs[i]
                    if isinstance(x, Tensor):
                        v = leaves.get(id(x))
                        if v is None:
                            v = leaves[id(x)] = Value(leaf_kind(x), x, snapshot(x.data))
                    else:
                        v = constant_value(x)
                    inputs.append(v)
                else:
                    inputs.append(Value("const"))  # freed by backward: value unknown
                    freed = True
            if node is y.node:
                value = out
            else:
                t = tensors.get(node)
                if t is not None:
                    value = Value("op", t, snapshot(t.data))
                    value.grad = _grad_of(t)
                elif node.out_data is not None:
                    value = Value("op", None, snapshot(node.out_data))
                else:
                    value = Value("op")
                    freed = True
            op = Op(len(ops), node.primitive.name, node.params, inputs, value, node)
            value.producer = op
            produced[node] = value
            ops.append(op)
        notes = []
        if freed:
            notes.append("some intermediate values were freed by backward(): pass "
                         "retain_graph=True, or record with cr.viz.trace / cr.viz.record to see "
                         "every value and gradient")
        return cls(ops, [out], notes=notes)

    @classmethod
    def from_trace(cls, trace, roots=None):
        """The recorded ops that ``roots`` (Values or Tensors; default: the trace's outputs) depend on."""
        if roots is None:
            roots = trace.outputs()
        roots = [trace.value_of(r) for r in roots]
        needed = set()
        stack = [v.producer for v in roots if v.producer is not None]
        while stack:
            op = stack.pop()
            if id(op) in needed:
                continue
            needed.add(id(op))
            stack.extend(v.producer for v in op.inputs if v.producer is not None)
        ops = [op for op in trace.ops if id(op) in needed]
        return cls(ops, roots)

    # ------------------------------------------------------------------ names
    def assign_names(self, names=None, output_name=None, number=False, value_names=None):
        """Give tensor-like values their display names.

        Priority: the Tensor's own ``.name``, then ``names`` (id(obj) -> name, e.g. a
        function's parameter and local variable names), then parameter paths from
        ``assign_modules``. With ``number=True`` every other value gets a name too:
        the single output ``output_name`` (if given), parameters p1, p2, ...,
        constants c1, c2, ..., the rest v1, v2, ... in data-flow order. Unnamed values are drawn by their shape; Python numbers are
        shown by value. ``value_names`` (id(Value) -> name) comes first of all: the
        names of the values a tensor held before an in-place update.
        """
        names = names or {}
        value_names = value_names or {}
        taken = set()
        result = {}

        def claim(value, name):
            base, k = name, 2
            while name in taken:
                name = f"{base}_{k}"
                k += 1
            taken.add(name)
            result[id(value)] = name

        pending = []
        for v in self.values:
            if v.kind == "scalar":
                continue
            given = names.get(id(v.obj)) if v.obj is not None else None
            given = value_names.get(id(v)) or v.user_name or given or self.names.get(id(v))
            if given:
                claim(v, given)
            else:
                pending.append(v)
        if number:
            counters = {}
            output_ids = {id(v) for v in self.outputs}
            prefixes = {"param": "p", "const": "c"}
            for v in pending:
                if id(v) in output_ids and output_name and len(self.outputs) == 1:
                    claim(v, output_name)
                    continue
                prefix = prefixes.get(v.kind, "v")
                k = counters.get(prefix, 0) + 1
                while f"{prefix}{k}" in taken:
                    k += 1
                counters[prefix] = k
                claim(v, f"{prefix}{k}")
        self.names = result
        return self

    def name_of(self, value):
        """The display name of a value; a number's own text for Python scalars."""
        name = self.names.get(id(value))
        if name is not None:
            return name
        if value.kind == "scalar":
            from .format import format_array
            return format_array(value.data) if value.data is not None else repr(value.obj)
        if value.data is None and value.kind == "const":
            return "const"
        return "?"

    # ------------------------------------------------------------------ modules
    def assign_modules(self, model):
        """Group ops by the ``nn`` module whose parameters they use.

        An op that consumes a parameter of module M belongs to M. An op between two
        ops of M (it reads an output of M and its output is read by M) belongs to M
        too: in ``x @ W.T + b`` the matmul sits between ``transpose(W)`` and
        ``add(., b)``. Parameters are named by their dotted paths ('fc1.weight').
        """
        if model is None:
            return self
        module_class = _nn_class("Module")
        if module_class is None or not isinstance(model, module_class):
            raise TypeError(f"cr.viz: model must be an nn.Module, got {type(model).__name__}")
        owner = {}
        param_names = {}
        types = {}
        for path, module in model.named_modules():
            types[path] = type(module).__name__
            for name, p in module.named_parameters(prefix=path, recurse=False):
                owner.setdefault(id(p), path)
                param_names.setdefault(id(p), name)
        modules = {}
        for v in self.values:
            if v.obj is not None and id(v.obj) in param_names and id(v) not in self.names:
                self.names[id(v)] = param_names[id(v.obj)]
        for op in self.ops:
            for v in op.inputs:
                if v.kind == "param" and v.obj is not None and id(v.obj) in owner \
                        and owner[id(v.obj)]:
                    modules[id(op)] = owner[id(v.obj)]
                    break
        consumers = {}
        for op in self.ops:
            for v in op.inputs:
                consumers.setdefault(id(v), []).append(op)
        changed = True
        while changed:
            changed = False
            for op in self.ops:
                if id(op) in modules:
                    continue
                before = {modules.get(id(v.producer)) for v in op.inputs
                          if v.producer is not None} - {None}
                after = {modules.get(id(c)) for c in consumers.get(id(op.output), ())} - {None}
                common = before & after
                if len(common) == 1:
                    modules[id(op)] = common.pop()
                    changed = True
        self.modules = modules
        self.module_types = types
        return self

    def module_of_value(self, value):
        """The module path a value is drawn in: its parameter's owner, or its producer's module."""
        if value.producer is not None:
            return self.modules.get(id(value.producer))
        if value.kind == "param":
            name = self.names.get(id(value), "")
            consumers = [op for op in self.ops if any(v is value for v in op.inputs)]
            mods = {self.modules.get(id(op)) for op in consumers} - {None}
            if len(mods) == 1:
                return mods.pop()
            if "." in name:
                prefix = name.rsplit(".", 1)[0]
                if prefix in self.module_types:
                    return prefix
        return None


def _grad_of(t):
    g = t.grad
    return None if g is None else np.array(g.data if _is_tensor(g) else g)
