"""Findings of issue 16 (viz): in-place updates, reference cycles, table arithmetic, rich display."""
import numpy as np
import pytest

import chainrule as cr


# ----------------------------------------------------------------------------- finding 1
def _rows(ex):
    return [(r["name"], r["op"], r["inputs"], float(r["value"])) for r in ex.forward]


def test_f16_1_explain_follows_inplace_updates():
    def f(x):
        y = x * 2
        y += 1
        return y

    ex = cr.explain(f, 3.0, print=False)
    assert float(ex.value) == 7.0
    assert _rows(ex) == [("x", "input", [], 3.0), ("y_1", "multiply", ["x", "2"], 6.0),
                         ("y", "add", ["y_1", "1"], 7.0)]
    text = str(ex)
    assert "?" not in text
    assert "y = 7\n" in text
    assert "∂y/∂x = 2\n" in text
    assert [(r["node"], r["op"], r["input"]) for r in ex.backward] == \
        [("y", "add", "y_1"), ("y_1", "multiply", "x")]


def test_f16_1_explain_follows_consecutive_inplace_updates():
    def f(x):
        y = x * 2
        y += 1
        y *= 3
        return y

    ex = cr.explain(f, 3.0, print=False)
    assert [(r["name"], float(r["value"])) for r in ex.forward] == \
        [("x", 3.0), ("y_1", 6.0), ("y_2", 7.0), ("y", 21.0)]
    assert float(ex.grads["x"]) == 6.0


def test_f16_1_explain_names_a_constant_updated_in_place():
    def f(x):
        y = cr.zeros((), dtype=np.float64)
        y += x
        y += x * x
        return y

    ex = cr.explain(f, 3.0, print=False)
    assert float(ex.value) == 12.0 and float(ex.grads["x"]) == 7.0
    assert ex.forward[-1]["name"] == "y" and ex.output_name == "y"
    assert "y = 12\n" in str(ex)


def _micrograd(a, b, relu):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


@pytest.mark.parametrize("relu", [cr.relu, lambda t: t.relu()], ids=["cr.relu", "Tensor.relu"])
def test_f16_1_explain_micrograd_readme_demo(relu):
    ex = cr.explain(_micrograd, -4.0, 2.0, relu=relu, print=False)
    assert round(float(ex.value), 4) == 24.7041
    assert round(float(ex.grads["a"]), 4) == 138.8338
    assert round(float(ex.grads["b"]), 4) == 645.5773
    names = {r["name"]: float(r["value"]) for r in ex.forward}
    # each in-place update is a step; the variable's name goes to its final value
    assert names["c_1"] == -2.0 and names["c_2"] == -3.0 and names["c"] == -1.0
    assert names["d_1"] == 0.0 and names["d_2"] == 0.0 and names["d"] == 6.0
    assert names["e"] == -7.0 and names["f"] == 49.0
    assert names["g_1"] == 24.5 and round(names["g"], 4) == 24.7041
    assert ex.forward[-1]["name"] == "g" and ex.forward[-1]["inputs"][0] == "g_1"
    (c_row,) = [r for r in ex.forward if r["name"] == "c"]
    assert c_row["inputs"] == ["c_2", "v6"]                      # as docs/seeing.md says
    text = str(ex)
    assert "?" not in text
    assert "\ng = 24.7" in text


def test_f16_1_record_follows_inplace_updates():
    x = cr.tensor(3.0, requires_grad=True)
    with cr.viz.record() as rec:
        y = x * 2
        y += 1
    assert float(rec.value_of(y).data) == 7.0
    assert [op.name for op in rec.graph().ops] == ["multiply", "add"]
    assert [float(v.data) for v in rec.versions(y)] == [6.0, 7.0]


# ----------------------------------------------------------------------------- finding 19
@pytest.fixture
def no_gc():
    import gc
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_f16_19_record_frees_its_output_without_gc(no_gc):
    import weakref
    x = cr.tensor([1.0, -2.0], requires_grad=True, name="x")
    with cr.viz.record() as rec:
        y = (x * 3).relu()
        y.name = "y"
        z = y.sum()
        z.backward()
    refs = [weakref.ref(t) for t in (y, z)]
    del y, z
    assert [r() for r in refs] == [None, None]
    # the recording still works: values, gradients and names were kept
    assert [op.name for op in rec.graph().ops] == ["multiply", "relu", "sum"]
    dot = rec.to_dot()
    assert "y" in dot and "x" in dot
    assert rec.graph().names[id(rec.ops[1].output)] == "y"
    assert rec.ops[-1].output.data.item() == 3.0
    np.testing.assert_array_equal(rec.ops[0].inputs[0].grad, [3.0, 0.0])
    # and dropping the recording frees it at once (no reference cycle)
    ref = weakref.ref(rec.ops[0])
    del rec
    assert ref() is None


def test_f16_19_trace_frees_intermediates_without_gc(no_gc):
    import weakref
    kept = []

    def f(x):
        h = x * 2
        kept.append(weakref.ref(h))
        return (h * h).sum()

    ex = cr.explain(f, np.array([1.0, 2.0]), print=False)
    assert kept[0]() is None
    assert [r["name"] for r in ex.forward] == ["x", "h", "v1", "out"]
    np.testing.assert_array_equal(ex.grads["x"], [8.0, 16.0])


# ----------------------------------------------------------------------------- finding 22
def _complex(x, z):
    xz = x * z
    return cr.exp(xz) + xz / cr.log(x) + cr.sin(cr.log(x)) / xz


def _neuron(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1 / (1 + cr.exp(-dot))


def _sums(text):
    """Every 'a + b = c' of the accumulated column (one line or wrapped over three)."""
    import re
    number = r"-?\d+(?:\.\d+)?"
    term = rf"(?:\[[^\]]*\]|\({number}\)|{number})"
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("step"))
    column = header.index("accumulated")      # the last column: read it alone
    flat = re.sub(r"\s+", " ", " ".join(line[column:] for line in lines
                                         if line.startswith(("  ", "1", "2", "3", "4", "5",
                                                             "6", "7", "8", "9"))))
    found = re.findall(rf"({term}) \+ ({term}) = ({term})", flat)
    return found


def _numbers(term):
    import decimal
    import re
    return [decimal.Decimal(n) for n in re.findall(r"-?\d+(?:\.\d+)?", term)]


def test_f16_22_explain_sums_add_up_at_the_shown_precision():
    ex = cr.explain(_complex, 2.0, 3.0, print=False)
    text = ex.backward_table()
    assert "1.42 + 403.43 = 404.85" in text
    assert "-6.2 + 1214.6 = 1208.4" in text
    assert "-0.018 + 1.443 = 1.425" in text
    assert "0.064 + (-6.244) = -6.180" in text
    assert "∂out/∂x = 1208.4\n" in str(ex)      # as the docs say
    import re
    assert re.search(r"^9 +xz +(multiply +)?404\.85 ", text, re.M)   # upstream as summed
    sums = _sums(text)
    assert len(sums) == 4
    for a, b, c in sums:
        assert [p + q for p, q in zip(_numbers(a), _numbers(b))] == _numbers(c), (a, b, c)


def test_f16_22_explain_array_sums_add_up():
    ex = cr.explain(_neuron, [2.0, -3.0, -3.0], [-1.0, -2.0], print=False)
    sums = _sums(ex.backward_table())
    assert len(sums) == 3
    for a, b, c in sums:
        assert [p + q for p, q in zip(_numbers(a), _numbers(b))] == _numbers(c), (a, b, c)


def test_f16_22_sum_texts():
    from chainrule.viz.explain import sum_texts
    assert sum_texts(1.4248, 403.4288, 1.4248 + 403.4288) == ("1.42", "403.43", "404.85")
    assert sum_texts(-6.1806, 1214.57, -6.1806 + 1214.57) == ("-6.2", "1214.6", "1208.4")
    assert sum_texts(np.array([0.0, 0.1966]), np.array([0.3932, 0.0]),
                     np.array([0.3932, 0.1966])) == ("[0, 0.1966]", "[0.3932, 0]",
                                                     "[0.3932, 0.1966]")
    assert sum_texts(1.0, float("nan"), float("nan")) is None
    assert sum_texts(3.0, 3.0, 6.0) == ("3", "3", "6")             # no needless decimals
    assert sum_texts(3.0, 0.5, 3.5) == ("3.0", "0.5", "3.5")
    assert sum_texts(1 / 3, 1 / 3, 2 / 3) is None                  # no decimals make it add up
    assert sum_texts(1e20, 2e20, 3e20) == ("1e20", "2e20", "3e20")  # no 21-digit fixed point


def test_f16_22_explain_says_approximately_when_no_decimals_add_up():
    ex = cr.explain(lambda x: x / 3 + x / 3, 1.0, print=False)
    assert "0.3333 + 0.3333 ≈ 0.6667" in ex.backward_table()
    ex = cr.explain(lambda x: x * x + x, 3.0, print=False)
    assert "1 + 3 = 4" in ex.backward_table() and "4 + 3 = 7" in ex.backward_table()
    assert "∂out/∂x = 7\n" in str(ex)


@pytest.mark.parametrize("f, args", [(_complex, (2.0, 3.0)),
                                     (_neuron, ([2.0, -3.0, -3.0], [-1.0, -2.0]))],
                         ids=["complex", "sigmoid_neuron"])
def test_f16_22_explain_tables_fit_100_columns(f, args):
    text = str(cr.explain(f, *args, print=False))
    assert max(len(line) for line in text.splitlines()) <= 100
    # nothing lost: every local gradient's value and every sum is still there
    if f is _neuron:
        assert "[0, -0.3932, 0.1966] +\n" in text
        assert "upstream scattered into" in text
        assert "∂out/∂w = [-0.1966, -0.3932, 0.1966]" in text


def test_f16_22_docs_tables_fit_100_columns():
    import pathlib
    docs = pathlib.Path(__file__).resolve().parents[2] / "docs"
    for path in sorted(docs.glob("explain_*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert max(len(line) for line in lines) <= 100, path.name


# ----------------------------------------------------------------------------- finding 20
def _circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def test_f16_20_graph_display_says_why_without_dot(monkeypatch):
    import chainrule.viz.dot as dot_module
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    graph = cr.viz.draw(cr.explain(_circuit, -2.0, 5.0, -4.0, print=False))
    assert graph._repr_svg_() is None
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"] == (
        "<cr.viz.Graph: 2 ops, 5 tensors; str() is the DOT source, .svg() the picture>\n"
        "(no picture: drawing needs the Graphviz 'dot' program (Debian/Ubuntu: apt-get install "
        "graphviz; macOS: brew install graphviz); str(graph) is the DOT source)")


def test_f16_20_graph_display_svg_with_dot(monkeypatch):
    import chainrule.viz.dot as dot_module
    calls = []

    def fake_run_dot(source, fmt, what="cr.viz.render"):
        calls.append((fmt, what, source))
        return b'<svg xmlns="http://www.w3.org/2000/svg"><text>multiply</text></svg>'

    monkeypatch.setattr(dot_module.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(dot_module, "run_dot", fake_run_dot)
    graph = cr.viz.draw(cr.explain(_circuit, -2.0, 5.0, -4.0, print=False))
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"] == \
        '<svg xmlns="http://www.w3.org/2000/svg"><text>multiply</text></svg>'
    assert bundle["text/plain"].startswith("<cr.viz.Graph: 2 ops")
    assert graph._repr_svg_() == bundle["image/svg+xml"]
    assert calls[0][:2] == ("svg", "cr.viz.Graph.svg") and calls[0][2] == graph.source


def test_f16_20_graph_display_when_dot_fails(monkeypatch):
    import chainrule.viz.dot as dot_module

    def failing(source, fmt, what="cr.viz.render"):
        raise RuntimeError("cr.viz.Graph.svg: Graphviz 'dot -Tsvg' failed (exit status 1): boom")

    monkeypatch.setattr(dot_module.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(dot_module, "run_dot", failing)
    graph = cr.viz.draw(cr.explain(_circuit, -2.0, 5.0, -4.0, print=False))
    assert graph._repr_svg_() is None
    assert graph._repr_mimebundle_()["text/plain"].endswith(
        "(no picture: cr.viz.Graph.svg: Graphviz 'dot -Tsvg' failed (exit status 1): boom)")


def _cells(html_text):
    import re
    return [re.sub(r"<[^>]+>", "", c).replace("&#x27;", "'")
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html_text)]


def test_f16_20_explanation_html():
    ex = cr.explain(_circuit, -2.0, 5.0, -4.0, print=False)
    page = ex._repr_html_()
    assert page.count("<table") == 3
    assert "<b>Forward pass</b>" in page and "<b>Result</b>" in page
    cells = _cells(page)
    # forward: header, then x, y, z, q, f
    assert cells[:5] == ["step", "name", "op", "inputs", "value"]
    assert cells[5:10] == ["", "x", "input", "", "-2"]
    assert cells[20:25] == ["1", "q", "add", "x, y", "3"]
    # backward: every column, the first row of the multiply
    i = cells.index("accumulated")
    assert cells[i - 7:i + 1] == ["step", "node", "op", "upstream", "input", "local gradient",
                                  "gradient", "accumulated"]
    assert cells[i + 1:i + 9] == ["1", "f", "multiply", "1", "q", "∂f/∂q = z = -4", "-4", "-4"]
    # result
    assert cells[-10:] == ["", "value", "f", "-12", "∂f/∂x", "-4", "∂f/∂y", "-4", "∂f/∂z", "3"]


def test_f16_20_explanation_html_escapes_and_notes_branches():
    ex = cr.explain(_complex, 2.0, 3.0, print=False)
    page = ex._repr_html_()
    assert "Gradients add at branches: xz is used 3 times" in page
    assert "-6.2 + 1214.6 = 1208.4" in _cells(page)


def test_f16_20_module_html():
    from chainrule import nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
    page = model._repr_html_()
    assert page.startswith('<div class="chainrule-module"><div><b>Sequential</b> &mdash; '
                           '24 parameters in 3 tensors</div>')
    cells = _cells(page)
    assert cells[:4] == ["child", "type", "options", "parameters"]
    assert cells[4:16] == ["0", "Linear", "in_features=3, out_features=4, bias=True", "16",
                           "1", "ReLU", "", "0",
                           "2", "Linear", "in_features=4, out_features=2, bias=False", "8"]
    assert cells[16:21] == ["parameter", "shape", "dtype", "requires grad", "size"]
    assert cells[21:26] == ["0.weight", "(4, 3)", "float32", "yes", "12"]
    assert cells[-5:] == ["2.weight", "(2, 4)", "float32", "yes", "8"]
    leaf = nn.Linear(2, 1)._repr_html_()
    assert "in_features=2, out_features=1, bias=True" in leaf and "<b>Linear</b>" in leaf
