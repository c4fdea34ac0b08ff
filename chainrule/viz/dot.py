"""Pictures of computation graphs: DOT text written by chainrule, rendered by Graphviz's ``dot``.

``to_dot(y)`` needs nothing but chainrule; ``render(y, "graph.svg")`` and the
SVG that Jupyter shows for ``draw(y)`` run the Graphviz ``dot`` program.

The picture follows the lectures: one node per op (labelled with the primitive's
name), one node per tensor; values in green, gradients in red; leaves that require
grad in blue, ``nn.Parameter``s in amber, constants grey and dashed, the output in
bold. Big tensors are summarised (shape, dtype, min / mean / max), so a graph over
300×300 matrices stays as small as one over scalars.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

from ..tensor import Tensor
from .format import MAX_ELEMENTS, format_array, format_shape, op_params_text, stats
from .graph import ComputationGraph

__all__ = ["to_dot", "render", "draw", "Graph", "FORMATS"]

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
SOURCE_SUFFIXES = (".dot", ".gv")
MISSING_DOT = ("cr.viz.render needs the Graphviz 'dot' program (Debian/Ubuntu: apt-get install "
               "graphviz; macOS: brew install graphviz)")

GREEN = "#15803d"   # values
RED = "#b91c1c"     # gradients
GREY = "#6b7280"
STYLES = {
    "input": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fef3c7", "color": "#b45309"},
    "const": {"shape": "box", "style": "rounded,dashed", "color": "#9ca3af", "fontcolor": GREY},
    "external": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f3f4f6",
                 "color": "#9ca3af"},
    "op": {"shape": "box", "style": "rounded", "color": "#9ca3af"},
    "scalar": {"shape": "plaintext", "fontcolor": GREY},
}
OUTPUT_STYLE = {"style": "rounded,bold", "penwidth": "2", "color": "#111827"}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#ede9fe", "color": "#6d28d9"}
COMMUTATIVE = {"add", "multiply", "maximum", "minimum", "fmax", "fmin", "logaddexp", "logaddexp2"}
KIND_TAG = {"param": "parameter", "const": "constant", "external": "computed earlier"}


def _html(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _attrs(style):
    return ", ".join(f'{k}="{v}"' for k, v in style.items())


def _font(text, color, size=None):
    size_attr = f' POINT-SIZE="{size}"' if size else ""
    return f'<FONT COLOR="{color}"{size_attr}>{text}</FONT>'


def _array_lines(a, max_elements):
    """A value as HTML-escaped lines: a small matrix row by row, a big array as its statistics."""
    a = np.asarray(a)
    if a.size > max_elements:
        return [_html(stats(a))]
    if a.ndim == 2 and a.shape[0] > 1:
        rows = [format_array(row, max_elements) for row in a]
        return [_html(("[" if i == 0 else " ") + r + ("]" if i == len(rows) - 1 else ","))
                for i, r in enumerate(rows)]
    return [_html(format_array(a, max_elements))]


class _Writer:
    def __init__(self, graph, show_values, show_grads, max_elements, rankdir, title):
        self.graph = graph
        self.show_values = show_values
        self.show_grads = show_grads
        self.max_elements = max_elements
        self.rankdir = rankdir
        self.title = title
        self.ids = {}
        for k, v in enumerate(graph.values):
            self.ids[id(v)] = f"t{k}"
        for k, op in enumerate(graph.ops):
            self.ids[id(op)] = f"op{k}"
        self.output_ids = {id(v) for v in graph.outputs}

    def value_label(self, v):
        g = self.graph
        if v.kind == "scalar":
            return "<" + _html(g.name_of(v)) + ">"
        lines = []
        name = g.names.get(id(v))
        if name:
            lines.append(f"<B>{_html(name)}</B>")
        meta = []
        if v.kind in KIND_TAG and v.data is not None:
            meta.append(KIND_TAG[v.kind])
        if v.shape is not None and (v.shape != () or not name):
            meta.append(format_shape(v.shape))
        if v.dtype is not None and v.data is not None and v.data.size > self.max_elements:
            meta.append(str(v.dtype))
        if v.data is None:
            meta.append("freed" if v.producer is not None else "constant (freed)")
        if meta:
            lines.append(_font(_html(" ".join(meta)), GREY, 9))
        if self.show_values and v.data is not None:
            lines.extend(_font(line, GREEN) for line in _array_lines(v.data, self.max_elements))
        if self.show_grads and v.grad is not None:
            grad_lines = _array_lines(v.grad, self.max_elements)
            grad_lines[0] = "grad " + grad_lines[0]
            lines.extend(_font(line, RED) for line in grad_lines)
        return "<" + "<BR/>".join(lines or ["&nbsp;"]) + ">"

    def value_node(self, v):
        if v.data is None and v.kind != "scalar" and not self.graph.names.get(id(v)) \
                and id(v) not in self.output_ids:
            # nothing known but its place in the graph (freed by backward): a dot, not a box
            what = "value" if v.producer is not None else "constant"
            return (f'{self.ids[id(v)]} [shape="point", width="0.08", color="#9ca3af", '
                    f'tooltip="{what} freed by backward()"];')
        style = dict(STYLES.get(v.kind, STYLES["op"]))
        if id(v) in self.output_ids and v.kind != "scalar":
            style.update(OUTPUT_STYLE)
            if v.kind in ("input", "param"):
                style["style"] += ",filled"
        return f"{self.ids[id(v)]} [{_attrs(style)}, label={self.value_label(v)}];"

    def op_node(self, op):
        label = f"<B>{_html(op.name)}</B>"
        params = op_params_text(op)
        if params:
            label += "<BR/>" + _font(_html(params), GREY, 9)
        return f"{self.ids[id(op)]} [{_attrs(OP_STYLE)}, label=<{label}>];"

    def edges(self):
        lines = []
        for op in self.graph.ops:
            n = len(op.inputs)
            for i, v in enumerate(op.inputs):
                attrs = ""
                if n > 1 and op.name not in COMMUTATIVE:
                    attrs = f' [label="arg {i}", fontsize=8, fontcolor="{GREY}"]'
                lines.append(f"{self.ids[id(v)]} -> {self.ids[id(op)]}{attrs};")
            lines.append(f"{self.ids[id(op)]} -> {self.ids[id(op.output)]};")
        return lines

    def clustered(self):
        """Statements per module path ('' for no module), module paths with their ancestors."""
        g = self.graph
        groups = {}
        for v in g.values:
            groups.setdefault(g.module_of_value(v) or "", []).append(self.value_node(v))
        for op in g.ops:
            groups.setdefault(g.modules.get(id(op)) or "", []).append(self.op_node(op))
        return groups

    def source(self):
        g = self.graph
        out = ["digraph chainrule {",
               f'  graph [rankdir={self.rankdir}, fontname="Helvetica", fontsize=10, '
               'nodesep=0.25, ranksep=0.3, labelloc=b, labeljust=l];',
               '  node [fontname="Helvetica", fontsize=10, margin="0.08,0.03", height=0.3];',
               '  edge [arrowsize=0.6, color="#4b5563"];']
        caption = ([self.title] if self.title else []) + g.notes
        if caption:
            text = "<BR/>".join(_html(line) for line in caption)
            out.append(f'  label=<{_font(text, GREY, 9)}>;')
        groups = self.clustered()
        out.extend("  " + s for s in groups.pop("", []))
        paths = sorted(groups)
        counter = [0]

        def emit(prefix, depth):
            children = [p for p in paths if _parent_path(p, paths) == prefix]
            for path in children:
                counter[0] += 1
                pad = "  " * (depth + 1)
                kind = g.module_types.get(path)
                label = path + (f" ({kind})" if kind else "")
                out.append(f'{pad}subgraph cluster_{counter[0]} {{')
                out.append(f'{pad}  label=<{_font(_html(label), "#374151", 10)}>; '
                           'labelloc=t; style="rounded,dashed"; color="#9ca3af";')
                out.extend(f"{pad}  {s}" for s in groups.get(path, []))
                emit(path, depth + 1)
                out.append(f"{pad}}}")

        if paths:
            # make sure every ancestor path exists, so nesting follows the module tree
            for p in list(paths):
                parts = p.split(".")
                for k in range(1, len(parts)):
                    anc = ".".join(parts[:k])
                    if anc not in paths and anc in g.module_types:
                        paths.append(anc)
            paths.sort()
            emit(None, 0)
        emit = None  # the recursive closure refers to itself: break that cycle (and free g)
        out.extend("  " + e for e in self.edges())
        out.append("}")
        return "\n".join(out) + "\n"


def _parent_path(path, paths):
    """The longest other path in ``paths`` that is a dotted prefix of ``path`` (None if none)."""
    best = None
    for p in paths:
        if p != path and path.startswith(p + ".") and (best is None or len(p) > len(best)):
            best = p
    return best


def build_graph(obj, model=None, roots=None):
    """The named ComputationGraph of a Tensor, Trace, Explanation or ComputationGraph."""
    if hasattr(obj, "computation_graph"):     # a Trace or an Explanation
        return obj.computation_graph(roots, model=model)
    if isinstance(obj, ComputationGraph):
        return obj
    if isinstance(obj, Tensor):
        if roots is not None:
            raise TypeError("cr.viz.to_dot: roots= applies to a Trace, not a Tensor")
        graph = ComputationGraph.from_tensor(obj)
        if model is not None:
            graph.assign_modules(model)
        return graph.assign_names()
    raise TypeError(f"cr.viz: expected a Tensor, a Trace (cr.viz.trace / cr.viz.record) or an "
                    f"Explanation, got {type(obj).__name__}")


def to_dot(y, show_values=True, show_grads=True, *, model=None, roots=None,
           max_elements=MAX_ELEMENTS, rankdir="LR", title=None):
    """Graphviz DOT text of the computation graph that produced ``y``.

    y             a Tensor (its autograd graph is walked), a Trace from
                  ``cr.viz.trace``/``cr.viz.record`` (every value and gradient was
                  recorded) or an Explanation from ``cr.explain``
    show_values   print values (green) in tensor nodes
    show_grads    print gradients (red): a leaf's ``.grad``, a retained intermediate's
                  ``.grad``, or every recorded gradient for a Trace
    model         an ``nn.Module``: name parameters by their paths and draw one cluster
                  per module around the ops that use its parameters
    roots         (Trace only) the Tensors whose graph to draw; default its outputs
    max_elements  tensors with more elements are summarised (shape, dtype, min/mean/max)
    rankdir       Graphviz layout direction: "LR" (left to right, the default) or "TB"

    One node per op, labelled with the primitive's name (and its parameters, e.g.
    ``axis=0``); one node per tensor, labelled with its name (or its shape).
    """
    return _draw(y, show_values, show_grads, model, roots, max_elements, rankdir, title)[0]


def _draw(y, show_values=True, show_grads=True, model=None, roots=None,
          max_elements=MAX_ELEMENTS, rankdir="LR", title=None):
    """(DOT source, ComputationGraph) -- to_dot's work, keeping the graph for the caller."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"cr.viz.to_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_elements < 0:
        raise ValueError(f"cr.viz.to_dot: max_elements must be >= 0, got {max_elements}")
    graph = build_graph(y, model=model, roots=roots)
    source = _Writer(graph, show_values, show_grads, max_elements, rankdir, title).source()
    return source, graph


# ---------------------------------------------------------------------- rendering
def dot_program():
    """The path of Graphviz's ``dot`` program, or None when it is not installed."""
    return shutil.which("dot")


def run_dot(source, fmt, what="cr.viz.render"):
    """Run ``dot -T<fmt>`` on DOT ``source``; returns the output bytes."""
    program = dot_program()
    if program is None:
        raise RuntimeError(MISSING_DOT if what == "cr.viz.render" else
                           MISSING_DOT.replace("cr.viz.render", what))
    result = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                            capture_output=True, timeout=120)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{what}: Graphviz 'dot -T{fmt}' failed (exit status "
                           f"{result.returncode}): {message}")
    return result.stdout


def _write_atomic(path, data):
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        mask = os.umask(0)  # mkstemp makes the file private; give it the usual permissions
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _source_of(obj, options):
    if isinstance(obj, Graph):
        if options:
            raise TypeError(f"cr.viz.render: a Graph is already drawn; options "
                            f"{sorted(options)} apply when drawing a Tensor or Trace")
        return obj.source
    return to_dot(obj, **options)


def render(y, path, **options):
    """Draw the graph of ``y`` into ``path``; the suffix picks the format.

    ``.svg``, ``.png`` and ``.pdf`` run the Graphviz ``dot`` program (a
    ``RuntimeError`` says how to install it when it is missing); ``.dot``/``.gv``
    write the DOT text itself. ``y`` is anything ``to_dot`` takes, or a
    :class:`Graph`; ``options`` are ``to_dot``'s. Returns the path.
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS and suffix not in SOURCE_SUFFIXES:
        known = ", ".join(list(FORMATS) + list(SOURCE_SUFFIXES))
        raise ValueError(f"cr.viz.render: unknown file type {path.suffix!r} for {str(path)!r}; "
                         f"use one of {known}")
    source = _source_of(y, options)
    if suffix in SOURCE_SUFFIXES:
        data = source.encode("utf-8")
    else:
        data = run_dot(source, FORMATS[suffix])
    _write_atomic(path, data)
    return path


class Graph:
    """A drawn computation graph: its DOT ``source``; shows itself as SVG in Jupyter.

    ``str(graph)`` is the DOT text, ``graph.svg()`` the SVG (needs Graphviz ``dot``),
    ``graph.render(path)`` writes a file by suffix (see :func:`render`).
    """

    def __init__(self, source, ops=None, tensors=None):
        self.source = source
        self.ops = ops
        self.tensors = tensors

    def svg(self):
        """The picture as SVG text (runs Graphviz ``dot``)."""
        return run_dot(self.source, "svg", "cr.viz.Graph.svg").decode("utf-8")

    def render(self, path):
        return render(self, path)

    def _svg_or_reason(self):
        """(SVG text, None), or (None, why there is no picture) when ``dot`` is missing or fails."""
        if dot_program() is None:
            return None, ("no picture: drawing needs the Graphviz 'dot' program (Debian/Ubuntu: "
                          "apt-get install graphviz; macOS: brew install graphviz); str(graph) "
                          "is the DOT source")
        try:
            return self.svg(), None
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            return None, f"no picture: {error}"

    def _repr_svg_(self):
        # Jupyter's rich display: None (no SVG) makes it fall back to the text repr.
        return self._svg_or_reason()[0]

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter's rich display: the SVG picture, or a text that says why there is none."""
        svg, reason = self._svg_or_reason()
        if svg is not None:
            return {"image/svg+xml": svg, "text/plain": repr(self)}
        return {"text/plain": f"{self!r}\n({reason})"}

    def __str__(self):
        return self.source

    def __repr__(self):
        size = "" if self.ops is None else f"{self.ops} ops, {self.tensors} tensors; "
        return f"<cr.viz.Graph: {size}str() is the DOT source, .svg() the picture>"


def draw(y, **options):
    """A :class:`Graph` of ``y`` (anything ``to_dot`` takes), displayed as SVG in Jupyter."""
    source, graph = _draw(y, **options)
    return Graph(source, len(graph.ops), sum(1 for v in graph.values if v.kind != "scalar"))
