"""Rich display in Jupyter: an Explanation's tables as HTML (a Graph shows its SVG, dot.py;
an nn.Module its own tables, ``Module._repr_html_``).

Plain text made with ``html.escape``: no dependency, and nothing here runs unless a
notebook (or a test) asks.
"""
import html

__all__ = ["html_table", "explanation_html"]

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
