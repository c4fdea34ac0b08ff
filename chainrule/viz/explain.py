"""``cr.explain(f, *args)``: the worked example of a backprop lecture, generated for any function.

The forward table lists every intermediate value (name, op, inputs, value); the
backward table lists every step of reverse mode in the order the engine visits
the nodes: the upstream gradient of a node's output, times the local gradient of
that output with respect to one input, gives the gradient sent to that input;
where a value feeds several ops its gradient contributions add up ("gradients add
at branches").
"""
import builtins
import decimal
import math
import textwrap

import numpy as np

from ..core.modes import raw_rules
from .dot import draw, render, to_dot
from .format import MAX_ELEMENTS, format_array, format_shape, op_params_text, shown_params
from .trace import trace

__all__ = ["explain", "Explanation"]

LEAF_OPS = {"input": "input", "param": "parameter", "const": "constant", "external": "given"}
WIDTH = 100          # the tables fit this many columns (long cells wrap, see backward_table)
CELL_WIDTH = 24      # a local-gradient or accumulated cell longer than this wraps


class Explanation:
    """The forward and backward tables of one function at one point.

    ``str(explanation)`` is both tables and the resulting gradients. The data is
    also available as lists of dicts:

    forward   one row per value: step (None for inputs), name, op, inputs (names),
              params, expression, shape, dtype, value (ndarray)
    backward  one row per (visited node, input that receives a gradient): step, node,
              op, upstream, input, formula, local (ndarray or None), gradient (fitted
              to the input's shape), raw_gradient (before summing broadcast axes),
              accumulated (the input's gradient so far), count (1 for its first
              contribution, 2 for the second, ...)
    value     the output (ndarray)
    grads     name -> gradient (ndarray) of the output, for every argument turned into a
              leaf and every ``nn.Parameter`` the function used
    trace     the :class:`~chainrule.viz.trace.Trace` behind it (``to_dot`` draws it)
    """

    def __init__(self, trace, max_elements=MAX_ELEMENTS):
        self.trace = trace
        self.max_elements = max_elements
        self.graph = trace.graph()
        out = trace.value_of(trace.output)
        self.output_name = self.graph.name_of(out)
        self.value = out.data
        self.grads = dict(trace.grads)
        for v in self.graph.values:  # parameters f uses (e.g. a model's), after its arguments
            if v.kind == "param" and v.grad is not None:
                self.grads.setdefault(self.graph.name_of(v), v.grad)
        self.forward = self._forward_rows()
        self.backward = self._backward_rows()

    # ------------------------------------------------------------------ rows
    def _forward_rows(self):
        g = self.graph
        rows = []
        # arguments first (in the call's order), then parameters, constants, the rest
        argument = {id(t): k for k, t in enumerate(self.trace.inputs.values())}
        order = {"input": 0, "param": 1, "const": 2, "external": 3}
        leaves = sorted((v for v in g.values if v.producer is None),
                        key=lambda v: (order.get(v.kind, 4), argument.get(id(v.obj), 0)))
        for v in leaves:
            if v.kind != "scalar":
                rows.append({"step": None, "name": g.name_of(v), "op": LEAF_OPS.get(v.kind, v.kind),
                             "inputs": [], "params": {}, "expression": g.name_of(v),
                             "shape": v.shape, "dtype": str(v.dtype), "value": v.data})
        for step, op in enumerate(g.ops, 1):
            names = [g.name_of(v) for v in op.inputs]
            rows.append({"step": step, "name": g.name_of(op.output), "op": op.name,
                         "inputs": names, "params": dict(op.params),
                         "expression": _expression(op, names), "shape": op.output.shape,
                         "dtype": str(op.output.dtype), "value": op.output.data})
        return rows

    def _backward_rows(self):
        g = self.graph
        rows = []
        for step, visit in enumerate(self.trace.steps, 1):
            op = visit.op
            names = [g.name_of(v) for v in op.inputs]
            node = g.name_of(op.output)
            for c in visit.contributions:
                formula, local = local_gradient(op, c.index, names, node, visit.upstream, c.raw)
                rows.append({"step": step, "node": node, "op": op.name, "upstream": visit.upstream,
                             "input": names[c.index], "input_index": c.index,
                             "formula": formula, "local": local, "gradient": c.gradient,
                             "raw_gradient": c.raw, "accumulated": c.accumulated,
                             "previous": c.previous, "count": c.count})
        return rows

    # ------------------------------------------------------------------ text
    def _fmt(self, a):
        return format_array(a, self.max_elements)

    def forward_table(self):
        """The forward pass as text: step, name, op, inputs, (shape,) value."""
        return "Forward pass\n" + _table(*self._forward_cells())

    def _forward_cells(self):
        with_shapes = any(r["shape"] not in ((), None) for r in self.forward)
        header = ["step", "name", "op", "inputs"] + (["shape"] if with_shapes else []) + ["value"]
        body = []
        for r in self.forward:
            inputs = "" if r["step"] is None else _inputs_text(r)
            cells = ["" if r["step"] is None else str(r["step"]), r["name"], r["op"], inputs]
            if with_shapes:
                shape = r["shape"]
                cells.append("?" if shape is None else "()" if shape == () else format_shape(shape))
            cells.append(self._fmt(r["value"]))
            body.append(cells)
        return header, body

    def _local_text(self, r, wrap=False):
        node, x = r["node"], r["input"]
        formula, local = r["formula"], r["local"]
        fit = _wrap if wrap else str
        if local is None:
            return fit(formula or "?")
        value = self._fmt(local)
        lhs = f"∂{node}/∂{x}"
        if formula is None:
            return fit(f"{lhs} = {value}")
        if formula == value or _is_number(formula):
            return fit(f"{lhs} = {formula}")
        text = f"{lhs} = {formula} = {value}"
        if not wrap or len(text) <= CELL_WIDTH:
            return text
        return _wrap(f"{lhs} = {formula}") + "\n" + _wrap(f"= {value}")

    def _sum_texts(self, r):
        """(previous, added, accumulated) texts for a row whose input already had a gradient:
        one number of decimals for all three, so the shown addends add up to the shown sum."""
        prev = r["previous"]
        if r["count"] == 1 or prev is None or np.size(prev) > self.max_elements:
            return None
        return sum_texts(prev, r["gradient"], r["accumulated"])

    def _accumulated_text(self, r, texts=None, wrap=False):
        acc = self._fmt(r["accumulated"])
        if r["count"] == 1:
            return acc
        prev = r["previous"]
        if prev is not None and np.size(prev) <= self.max_elements:
            if texts is not None:
                prev_text, added, acc = texts
                equals = "="
            else:   # no decimals make the rounded terms add up (1/3 + 1/3): say so
                prev_text, added = self._fmt(prev), self._fmt(r["gradient"])
                equals = "≈"
            if added.startswith("-"):
                added = f"({added})"
            text = f"{prev_text} + {added} {equals} {acc}"
            if not wrap or len(text) <= CELL_WIDTH:
                return text
            return f"{prev_text} +\n{added} {equals}\n{acc}"
        return f"{acc} (sum of {r['count']})"

    def _final_texts(self):
        """name -> the text of its gradient where the table formed it as a shown sum."""
        final = {}
        for r in self.backward:
            texts = self._sum_texts(r)
            if texts is not None:
                final[r["input"]] = texts[2]
            else:
                final.pop(r["input"], None)
        return final

    def _backward_title(self):
        return ["Backward pass, in the order the engine visits the nodes:",
                f"upstream gradient × local gradient = gradient "
                f"(seed: ∂{self.output_name}/∂{self.output_name} = 1)"]

    BACKWARD_HEADER = ["step", "node", "op", "upstream", "input", "local gradient", "gradient",
                       "accumulated"]

    def _backward_body(self, header, wrap, with_op):
        return _table(*self._backward_cells(header, wrap, with_op))

    def _backward_cells(self, header, wrap, with_op):
        body = []
        last = None
        formed = {}   # name -> its gradient as the table last showed it formed as a sum
        for r in self.backward:
            first = r["step"] != last
            last = r["step"]
            texts = self._sum_texts(r)
            gradient = texts[1] if texts is not None else self._fmt(r["gradient"])
            if np.shape(r["raw_gradient"]) != np.shape(r["gradient"]):
                gradient += ("\n(summed over broadcast axes)" if wrap
                             else " (summed over broadcast axes)")
            upstream = formed.get(r["node"]) or self._fmt(r["upstream"])
            body.append([str(r["step"]) if first else "", r["node"] if first else "",
                         r["op"] if first else "", upstream if first else "",
                         r["input"], self._local_text(r, wrap), gradient,
                         self._accumulated_text(r, texts, wrap)])
            if texts is not None:
                formed[r["input"]] = texts[2]
            else:
                formed.pop(r["input"], None)
        if not with_op:
            header = header[:2] + header[3:]
            body = [row[:2] + row[3:] for row in body]
        return header, body

    def backward_table(self):
        """The backward pass as text, in the engine's visiting order.

        It fits ``WIDTH`` columns where it can: long local gradients and sums wrap onto
        more lines, and the op column (the forward table has it) goes when still too wide.
        """
        title = "\n".join(self._backward_title())
        if not self.backward:
            if self.trace.output.requires_grad:
                return title + "\n(no op lies between the inputs and the output)"
            return title + "\n(no gradient flows: no input requires grad; pass floats " \
                           "(2.0, not 2) or floating-point arrays)"
        header = self.BACKWARD_HEADER
        # the first that fits: as is; without the op column; long cells wrapped; both
        for wrap, with_op in ((False, True), (False, False), (True, True), (True, False)):
            table = self._backward_body(header, wrap, with_op)
            if _width(table) <= WIDTH:
                break
        text = title + "\n" + table
        counts = {}
        for r in self.backward:
            counts[r["input"]] = max(counts.get(r["input"], 0), r["count"])
        branched = [(name, n) for name, n in counts.items() if n > 1]
        if branched:
            text += "\n" + textwrap.fill("Gradients add at branches: " + "; ".join(
                f"{name} is used {n} times, so its gradient is the sum of {n} contributions"
                for name, n in branched) + ".", WIDTH)
        return text

    def gradients_text(self):
        lines = [f"{self.output_name} = {self._fmt(self.value)}"]
        final = self._final_texts()
        for name, grad in self.grads.items():
            lines.append(f"∂{self.output_name}/∂{name} = {final.get(name) or self._fmt(grad)}")
        return "Result\n" + "\n".join(lines)

    def __str__(self):
        return "\n\n".join([self.forward_table(), self.backward_table(), self.gradients_text()]) \
            + "\n"

    def _repr_html_(self):
        """Jupyter's rich display: both tables and the result as HTML tables."""
        from .html import explanation_html
        return explanation_html(self)

    def __repr__(self):
        return (f"<cr.Explanation: {self.output_name} = {self._fmt(self.value)}; "
                f"{sum(1 for r in self.forward if r['step'])} forward steps, "
                f"{len(self.trace.steps)} backward steps; print() it for the tables>")

    # ------------------------------------------------------------------ pictures
    def computation_graph(self, roots=None, model=None):
        """The named ComputationGraph of the traced function (what the pictures draw)."""
        return self.trace.graph(roots, model=model)

    def to_dot(self, show_values=True, show_grads=True, **options):
        """The computation graph with every value (green) and gradient (red), as DOT text."""
        return to_dot(self, show_values=show_values, show_grads=show_grads, **options)

    def draw(self, **options):
        """A :class:`~chainrule.viz.dot.Graph` (shows as SVG in Jupyter)."""
        return draw(self, **options)

    def render(self, path, **options):
        """Write the picture to ``path`` (.svg, .png, .pdf, .dot)."""
        return render(self, path, **options)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _params(params):
    return shown_params(params)


def _inputs_text(r):
    if r["op"] == "getitem" and len(r["inputs"]) == 1:
        return r["expression"]
    return ", ".join(r["inputs"] + _params(r["params"]))


_INFIX = {"add": "+", "subtract": "-", "multiply": "·", "divide": "/", "matmul": "@",
          "power": "^"}


def _expression(op, names):
    """'x + y', 'exp(v3)', 'w[0]', 'sum(v2, axis=0)' -- a readable right-hand side."""
    if op.name == "getitem" and len(names) == 1:
        return names[0] + op_params_text(op)
    if op.name in _INFIX and len(names) == 2 and not op.params:
        return f"{names[0]} {_INFIX[op.name]} {names[1]}"
    if op.name == "negative" and len(names) == 1:
        return f"-{names[0]}"
    args = names + _params(op.params)
    return f"{op.name}({', '.join(args)})"


def _table(header, rows):
    """Columns padded to their widest line; a cell with newlines spans several lines."""
    rows = [[cell.split("\n") for cell in row] for row in rows]
    widths = [len(h) for h in header]
    for row in rows:
        for i, lines in enumerate(row):
            widths[i] = max([widths[i]] + [len(line) for line in lines])

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule]
    for row in rows:
        for k in range(max(len(lines) for lines in row)):
            out.append(line([lines[k] if k < len(lines) else "" for lines in row]))
    return "\n".join(out)


def _width(text):
    return max(len(line) for line in text.split("\n"))


def _wrap(text, width=CELL_WIDTH):
    """Word-wrap one cell to ``width`` (a word longer than that stays whole)."""
    if len(text) <= width:
        return text
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def _fixed(v, decimals):
    """``v`` with ``decimals`` decimals (so a sum's terms line up), but 0 as '0'."""
    return "0" if v == 0 or float(f"{v:.{decimals}f}") == 0 else f"{v:.{decimals}f}"


def _fixed_array(a, decimals):
    if a.ndim == 0:
        return _fixed(a.item(), decimals)
    return "[" + ", ".join(_fixed_array(row, decimals) for row in a) + "]"


def sum_texts(previous, added, total, digits=4, extra=6):
    """('1.42', '403.43', '404.85'): ``previous + added = total`` as texts that add up.

    All three get one number of decimals: enough for ``digits`` significant digits of
    the largest of them, and more until the shown addends add up exactly (in decimal)
    to the shown sum, elementwise for arrays. None when no number of decimals up to
    ``extra`` more does it, or the values are not finite real numbers.
    """
    try:
        arrays = [np.asarray(a, dtype=np.float64) for a in (previous, added, total)]
        shape = arrays[2].shape
        arrays = [np.broadcast_to(a, shape) for a in arrays]
    except (TypeError, ValueError):
        return None
    if not all(np.isfinite(a).all() for a in arrays):
        return None
    big = max(float(np.abs(a).max()) if a.size else 0.0 for a in arrays)
    if big >= 1e15:   # fixed-point text would be too long: the usual 4 significant digits
        return tuple(format_array(a, a.size) for a in arrays)
    first = 0 if big == 0 else max(0, digits - 1 - math.floor(math.log10(big)))
    # no more decimals than the terms need at that precision (3 + 3 = 6, not 3.000 + ...)
    first = max(len(f"{v:.{first}f}".rstrip("0").partition(".")[2])
                for a in arrays for v in a.ravel().tolist()) if first else 0
    for decimals in range(first, first + extra + 1):
        texts = [[_fixed(v, decimals) for v in a.ravel().tolist()] for a in arrays]
        if all(decimal.Decimal(p) + decimal.Decimal(q) == decimal.Decimal(t)
               for p, q, t in zip(*texts)):
            return tuple(_fixed_array(a, decimals) for a in arrays)
    return None


def explain(f, *args, print=True, **kwargs):
    """Trace ``f(*args, **kwargs)``, backpropagate, and return (and print) the tables.

    Every floating-point argument becomes a leaf that requires grad, named after
    f's parameter; Python floats are traced in float64, ndarrays and Tensors keep
    their dtype; ints, bools and other objects stay constants. Intermediates are
    named after f's local variables where one holds them, else v1, v2, ...; the
    output is 'out' unless a variable or ``.name`` names it. ``f`` must return a
    scalar Tensor. Nothing outside is changed (no ``.grad`` is written).

    ``print=False`` returns the :class:`Explanation` without printing it; every
    other keyword argument goes to ``f``.

    >>> ex = cr.explain(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)   # doctest: +SKIP
    """
    explanation = Explanation(trace(f, *args, **kwargs))
    if print:
        builtins.print(explanation)
    return explanation


# ----------------------------------------------------------------------------- local gradients
def local_gradient(op, index, names, out_name, upstream, raw):
    """(formula, local) for input ``index`` of ``op``, both read from the op's primitive.

    formula  its ``formula`` text with the inputs' display names filled in: 'z' (multiply),
             '1/v4' (log), 'upstream @ xᵀ' (matmul); None when the primitive gives none
    local    for an elementwise primitive, its derivative evaluated per element (the very
             rule backward runs, on the recorded arrays); else None -- a structural op's
             derivative is a Jacobian, not one number per element
    """
    prim = op.primitive
    inputs = [v.data for v in op.inputs]
    out = op.output.data
    template = prim.formula_text(index) if prim is not None else None
    formula = None
    if template is not None:
        x_shape = op.inputs[index].shape
        extra = {"out": out_name, "shape": format_shape(x_shape) if x_shape is not None else "?"}
        if "{key}" in template:
            extra["key"] = op_params_text(op)
        if "{n}" in template and x_shape is not None and out is not None:
            extra["n"] = int(np.prod(x_shape, dtype=np.int64) // max(np.size(out), 1))
        formula = _fill(template, names, **extra)
    elif prim is None or not prim.elementwise:
        return f"the vjp rule of {op.name}", None
    if prim is None or not prim.elementwise:
        return formula, None
    local = None
    if all(a is not None for a in inputs) and out is not None:
        local = _evaluate(prim, index, inputs, out, op.params, raw)
    return formula, _ratio(upstream, raw) if local is None else local


def _evaluate(prim, index, inputs, out, params, raw):
    """The primitive's local derivative as an ndarray shaped like the raw gradient (or None)."""
    try:
        with raw_rules(), np.errstate(all="ignore"):
            local = prim.local_gradient(index, [np.asarray(a) for a in inputs], np.asarray(out),
                                        **params)
    except Exception:    # a rule that needs more than the recorded values: fall back
        return None
    if local is None:
        return None
    local = np.asarray(local, dtype=float)
    shape = np.shape(raw)
    if local.shape != shape:
        try:
            if np.broadcast_shapes(local.shape, shape) != shape:
                return None
        except ValueError:
            return None
        local = np.broadcast_to(local, shape)
    return local


def _fill(template, names, **extra):
    values = {k: names[i] for i, k in enumerate(("x", "y", "z")) if i < len(names)}
    values.update(extra)
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def _ratio(upstream, raw):
    """gradient / upstream elementwise (NaN where the upstream gradient is 0)."""
    if upstream is None or raw is None:
        return None
    upstream, raw = np.asarray(upstream), np.asarray(raw)
    try:
        shape = np.broadcast_shapes(upstream.shape, raw.shape)
    except ValueError:
        return None
    if shape != raw.shape:
        return None
    with np.errstate(all="ignore"):
        return np.where(upstream != 0, raw / np.where(upstream != 0, upstream, 1), np.nan)
