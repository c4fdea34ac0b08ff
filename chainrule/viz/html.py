"""Rich display in Jupyter: HTML tables for an Explanation and an nn.Module, SVG for a Graph.

Jupyter asks an object for ``_repr_html_`` / ``_repr_svg_`` / ``_repr_mimebundle_``;
these build the answers. Every one is plain text made with ``html.escape``: no
dependency, and nothing here runs unless a notebook (or a test) asks.
"""
import html

import numpy as np

from .format import format_shape

__all__ = ["html_table", "explanation_html", "module_html"]

STYLE = ("border-collapse:collapse;font-family:monospace;font-size:12px;"
         "margin:0.3em 0 0.8em 0")
CELL = "padding:1px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #e5e7eb"


def _cell(text, tag="td"):
    lines = [html.escape(line) for line in str(text).split("\n")]
    return f'<{tag} style="{CELL}">' + "<br>".join(lines) + f"</{tag}>"


def html_table(header, rows):
    """An HTML table: ``header`` (column names), ``rows`` (lists of cell texts; newlines
    in a cell become line breaks)."""
    head = "<tr>" + "".join(_cell(h, "th") for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f'<table style="{STYLE}"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _title(lines):
    return "<div><b>" + html.escape(lines[0]) + "</b>" + "".join(
        "<br>" + html.escape(line) for line in lines[1:]) + "</div>"


def explanation_html(ex):
    """The forward table, the backward table and the result of ``cr.explain`` as HTML."""
    parts = [_title(["Forward pass"]), html_table(*ex._forward_cells())]
    parts.append(_title(ex._backward_title()))
    text = ex.backward_table()
    if ex.backward:
        parts.append(html_table(*ex._backward_cells(ex.BACKWARD_HEADER, False, True)))
        if "Gradients add at branches" in text:
            note = text[text.index("Gradients add at branches"):]
            parts.append("<div>" + html.escape(" ".join(note.split("\n"))) + "</div>")
    else:
        parts.append("<div>" + html.escape(text.split("\n")[-1]) + "</div>")
    result = ex.gradients_text().split("\n")
    parts.append(_title(result[:1]))
    parts.append(html_table(["", "value"], [line.split(" = ", 1) for line in result[1:]]))
    return '<div class="chainrule-explanation">' + "".join(parts) + "</div>"


def module_html(module):
    """An nn.Module as HTML: its class, its parameter count, a table of its direct children
    and one of its parameters (path, shape, dtype, requires grad)."""
    name = type(module).__name__
    params = list(module.named_parameters())
    total = sum(int(p.size) for _, p in params)
    parts = [f"<div><b>{html.escape(name)}</b> &mdash; {total:,} parameters in "
             f"{len(params)} tensor{'' if len(params) == 1 else 's'}</div>"]
    children = list(module.named_children())
    if children:
        rows = []
        for child_name, child in children:
            extra = child.extra_repr()
            rows.append([child_name, type(child).__name__, extra,
                         f"{sum(int(p.size) for p in child.parameters()):,}"])
        parts.append(html_table(["child", "type", "options", "parameters"], rows))
    elif module.extra_repr():
        parts.append(f"<div>{html.escape(module.extra_repr())}</div>")
    if params:
        rows = [[path, format_shape(p.shape), str(np.dtype(p.dtype)),
                 "yes" if p.requires_grad else "no", f"{int(p.size):,}"]
                for path, p in params]
        parts.append(html_table(["parameter", "shape", "dtype", "requires grad", "size"], rows))
    return '<div class="chainrule-module">' + "".join(parts) + "</div>"
