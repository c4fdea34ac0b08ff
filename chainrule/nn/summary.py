"""``nn.summary(model, input_shape)`` and ``Module.summary()``: the table Keras users expect.

One row per module (qualified name and class, indented by depth), its output shape (when
``input_shape`` is given: one forward under ``no_grad`` on zeros of that shape, observed
with forward hooks that are always removed), its own parameters (all, and trainable), then
the totals: total, trainable, non-trainable parameters and their memory. A parameter shared
by two modules is counted once, in the first module that holds it.
"""
from collections import namedtuple

import numpy as np

from .. import creation, dtypes
from ..core.modes import no_grad
from ..tensor import Tensor

__all__ = ["summary", "Summary", "SummaryRow"]

WIDTH = 100   # the table never exceeds this many columns

SummaryRow = namedtuple("SummaryRow", ["name", "type", "depth", "output_shapes", "calls",
                                       "params", "trainable", "hidden"])
SummaryRow.__doc__ = """One module of a Summary.

``name``: the qualified name ("" for the model itself); ``type``: its class name; ``depth``:
0 for the model, 1 for its children, ...; ``output_shapes``: ``[(path, shape), ...]`` of the
first call's output (``path`` is "" for a single Tensor, "0", "1.0", ... inside tuples), or
None when no forward ran or the module was not called; ``calls``: how many times it was
called; ``params`` / ``trainable``: the parameters counted on this row (its own, or its whole
subtree when ``depth`` hides its children; shared ones only where first seen); ``hidden``:
True when the depth limit hides its children."""


def _format_bytes(n):
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            v = n / scale
            return f"{v:.0f} {unit}" if v >= 99.5 else f"{v:.1f} {unit}" if v >= 9.95 \
                else f"{v:.2f} {unit}"
    return f"{n} B"


class Summary:
    """What ``nn.summary`` returns; ``str(summary)`` is the table.

    Attributes: ``model_name``, ``input_shape``, ``rows`` (``SummaryRow``), ``total_params``,
    ``trainable_params``, ``non_trainable_params``, ``param_bytes``, ``layers`` (the number
    of leaf modules), ``shared`` (``[(name, first name, size), ...]`` of parameters held by
    more than one module) and ``line`` (one line of totals, as ``chainrule train`` prints).
    """

    def __init__(self, model_name, input_shape, rows, total, trainable, param_bytes, layers,
                 shared):
        self.model_name = model_name
        self.input_shape = input_shape
        self.rows = rows
        self.total_params = total
        self.trainable_params = trainable
        self.non_trainable_params = total - trainable
        self.param_bytes = param_bytes
        self.layers = layers
        self.shared = shared

    @property
    def param_size(self):
        """The parameters' memory, e.g. ``"199 KiB"``."""
        return _format_bytes(self.param_bytes)

    @property
    def line(self):
        """``"Sequential, 6 layers, 50,826 parameters (50,826 trainable), 199 KiB"``."""
        return (f"{self.model_name}, {self.layers:,} layer{'' if self.layers == 1 else 's'}, "
                f"{self.total_params:,} parameters ({self.trainable_params:,} trainable), "
                f"{self.param_size}")

    def __repr__(self):
        return f"<Summary of {self.line}; print() it for the table>"

    def __str__(self):
        return "\n".join(self._lines())

    def _lines(self):
        shapes = self.input_shape is not None
        header = ["Layer (type)"] + (["Output shape"] if shapes else []) + ["Params", "Trainable"]
        body = []   # one list of cells per printed line
        for r in self.rows:
            label = "  " * max(r.depth - 1, 0) + (f"{r.name} ({r.type})" if r.name else r.type)
            counts = [f"{r.params:,}", f"{r.trainable:,}"]
            if not shapes:
                body.append([label] + counts)
                continue
            if r.output_shapes is None:
                cells = ["--"]
            else:
                cells = [(f"{path}: " if path else "") + shape for path, shape in r.output_shapes]
                if r.calls > 1:
                    cells[0] += f" (x{r.calls} calls)"
            body.append([label, cells[0]] + counts)
            body.extend([""] + [c] + ["", ""] for c in cells[1:])
        numeric = [max(len(h), *(len(line[i]) for line in body)) for i, h in
                   list(enumerate(header))[-2:]]
        gaps = 2 * (len(header) - 1)
        room = WIDTH - gaps - sum(numeric)
        name_w = max(len(header[0]), *(len(line[0]) for line in body))
        if shapes:
            shape_w = max(len(header[1]), *(len(line[1]) for line in body))
            shape_w = min(shape_w, max(room // 2, room - name_w))
            name_w = min(name_w, room - shape_w)
            widths = [name_w, shape_w] + numeric
        else:
            widths = [min(name_w, room)] + numeric
        total_w = sum(widths) + gaps

        def fmt(cells):
            out = []
            for i, (c, w) in enumerate(zip(cells, widths)):
                if len(c) > w:
                    c = c[:w - 3] + "..."
                out.append(c.rjust(w) if i >= len(widths) - 2 else c.ljust(w))
            return "  ".join(out).rstrip()

        title = f"Model: {self.model_name}"
        if shapes:
            title += f" (input shape {_shape_text(self.input_shape)})"
        if len(title) > WIDTH:
            title = title[:WIDTH - 3] + "..."
        lines = [title, "=" * total_w, fmt(header), "-" * total_w]
        lines += [fmt(cells) for cells in body]
        lines.append("=" * total_w)
        lines += [f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  f"Params size: {self.param_size}" + (f" ({self.param_bytes:,} bytes)"
                                                       if self.param_bytes >= 1024 else "")]
        for name, first, size in self.shared:
            lines.append(f"Shared: {name} is {first} ({size:,} parameters, counted once)"[:WIDTH])
        return lines


def _shape_text(shape):
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _flatten_output(out, path=""):
    """[(path, shape text), ...] of a module's output (tuples, lists and dicts walked)."""
    if isinstance(out, (Tensor, np.ndarray)):
        return [(path, _shape_text(tuple(int(n) for n in out.shape)))]
    if isinstance(out, (tuple, list)):
        items = list(enumerate(out))
    elif isinstance(out, dict):
        items = list(out.items())
    else:
        return [(path, "None" if out is None else type(out).__name__)]
    found = []
    for key, value in items:
        found += _flatten_output(value, f"{path}.{key}" if path else str(key))
    return found or [(path, "()")]


def _expects(module):
    """The input shape ``module`` expects, as text, where its layer says it (else None).

    Read from the layers' hyperparameters (Linear, ConvNd, RNN/LSTM/GRU and their cells):
    this module imports no layer, so that ``Module.summary`` adds no import cycle."""
    get = module.__dict__.get
    if isinstance(get("in_features"), int):
        return f"(*, {get('in_features')})"
    ndim = getattr(module, "ndim", None)
    if isinstance(get("in_channels"), int) and ndim in (1, 2, 3):
        spatial = {1: "L", 2: "H, W", 3: "D, H, W"}[ndim]
        return f"(N, {get('in_channels')}, {spatial})"
    if isinstance(get("input_size"), int):
        if "batch_first" in module.__dict__:
            return (f"(N, L, {get('input_size')})" if get("batch_first")
                    else f"(L, N, {get('input_size')})")
        return f"(N, {get('input_size')})"
    return None


def _check_shape(shape, who):
    """``input_shape`` as a tuple of ints, or a tuple of such tuples (several inputs)."""
    def one(s):
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            s = (s,)
        if not isinstance(s, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in s):
            raise ValueError(f"{who}: input_shape must be a tuple of non-negative ints including "
                             f"the batch axis, e.g. (1, 784), or a list of such tuples for a "
                             f"model of several inputs; got {shape!r}")
        return tuple(int(n) for n in s)
    if isinstance(shape, (tuple, list)) and shape and all(isinstance(s, (tuple, list))
                                                          for s in shape):
        return tuple(one(s) for s in shape)
    return one(shape)


def _run(model, shape, dtype, who):
    """Forward zeros of ``shape`` through ``model``; {id(module): (output, calls)}."""
    seen, stack, handles = {}, [], []
    modes = [(m, m.training) for m in model.modules()]

    def pre(module, args):
        stack.append(module)

    def post(module, args, out):
        if stack and stack[-1] is module:
            stack.pop()
        first, calls = seen.get(id(module), (out, 0))
        seen[id(module)] = (first, calls + 1)

    inputs = shape if isinstance(shape[0] if shape else None, tuple) else (shape,)
    try:
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        model.eval()   # no running-statistics update, no dropout draw from the generator
        xs = [creation.zeros(s, dtype=dtype) for s in inputs]
        with no_grad():
            try:
                model(*xs)
            except Exception as err:
                failing = stack[-1] if stack else model
                names = {id(m): n for n, m in model.named_modules()}
                where = (f"layer {names.get(id(failing))!r} ({failing._get_name()})"
                         if failing is not model else "the model's forward")
                hint = _expects(failing)
                hint = f" {failing._get_name()} expects input of shape {hint}." if hint else ""
                raise ValueError(f"{who}: input_shape {_shape_text(shape)} does not fit the model: "
                                 f"{where} raised {type(err).__name__}: "
                                 f"{str(err).strip().splitlines()[0] if str(err).strip() else ''}"
                                 f".{hint}") from err
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    return seen


def summary(model, input_shape=None, dtype=None, depth=3):
    """A ``Summary`` of ``model``: ``print(nn.summary(model, (1, 784)))`` prints the table.

    ``input_shape``: the full shape of one input, batch axis included (or a list of shapes
    for several inputs); with it, one forward on zeros of ``dtype`` (the default float
    dtype) runs under ``no_grad`` in eval mode and each module's output shape is shown
    (each element's of a tuple output). Without it the shape column is left out.
    ``depth``: the deepest level shown (1: the model's children); a module at the limit
    counts the parameters of its hidden children.

    Nothing of the model changes: the hooks are removed and every module's train/eval mode
    restored, also when the forward fails (a ``ValueError`` naming the model, the layer and
    the shape it expects).
    """
    if not all(callable(getattr(model, a, None)) for a in ("named_modules", "_get_name")):
        raise TypeError(f"nn.summary: expected an nn.Module, got {type(model).__name__}")
    name = model._get_name()
    who = f"nn.summary({name})"
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 0:
        raise ValueError(f"{who}: depth must be a non-negative int, got {depth!r}")
    if input_shape is not None:
        input_shape = _check_shape(input_shape, who)
        dtype = dtypes.get_default_dtype() if dtype is None else dtype
        outputs = _run(model, input_shape, dtype, who)
    else:
        outputs = {}

    counted, first_name, shared = set(), {}, []

    def take(module, prefix, recurse):
        """(all, trainable) of the parameters not counted yet, recording shared ones."""
        total = trainable = 0
        items = (module.named_parameters(prefix=prefix, remove_duplicate=False) if recurse else
                 ((prefix + ("." if prefix else "") + n, p) for n, p in module._parameters.items()
                  if p is not None))
        for pname, p in items:
            if id(p) in counted:
                if first_name[id(p)] != pname and (pname, first_name[id(p)], int(p.size)) \
                        not in shared:
                    shared.append((pname, first_name[id(p)], int(p.size)))
                continue
            counted.add(id(p))
            first_name[id(p)] = pname
            total += int(p.size)
            trainable += int(p.size) if p.requires_grad else 0
        return total, trainable

    rows, layers = [], 0
    for qname, module in model.named_modules():
        level = qname.count(".") + 1 if qname else 0
        leaf = not any(True for _ in module.children())
        layers += leaf
        if level > depth:
            take(module, qname, recurse=False)   # counted in the ancestor's row already
            continue
        hidden = level == depth and not leaf
        total, trainable = take(module, qname, recurse=hidden)
        out, calls = outputs.get(id(module), (None, 0))
        shapes = _flatten_output(out) if calls else None
        rows.append(SummaryRow(qname, module._get_name(), level, shapes, calls, total,
                               trainable, hidden))
    unique = {id(p): p for p in model.parameters()}.values()
    total = sum(int(p.size) for p in unique)
    trainable = sum(int(p.size) for p in unique if p.requires_grad)
    nbytes = sum(int(p.data.nbytes) for p in unique)
    return Summary(name, input_shape, rows, total, trainable, nbytes, layers, shared)
