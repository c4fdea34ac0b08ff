"""cr.viz.to_dot / render / draw: the graph pictures."""
import re
import shutil
import subprocess

import numpy as np
import pytest

import chainrule as cr
import chainrule.viz as viz
from chainrule.viz import dot as dot_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the Graphviz 'dot' program is not installed")


def leaf(value, name=None):
    return cr.Tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def circuit():
    x, y, z = leaf(-2.0, "x"), leaf(5.0, "y"), leaf(-4.0, "z")
    q = x + y
    q.name = "q"
    f = q * z
    return x, y, z, q, f


def op_labels(source):
    """The op nodes' primitive names, in order."""
    return re.findall(r'^\s*op\d+ \[shape="ellipse".*?label=<<B>([^<]+)</B>', source, re.M)


def tensor_nodes(source):
    return re.findall(r'^\s*(t\d+) \[', source, re.M)


def edges(source):
    return re.findall(r'^\s*(\w+) -> (\w+)', source, re.M)


def node_line(source, name):
    """The line of the tensor node whose label starts with the bold ``name``."""
    for line in source.splitlines():
        if f"<B>{name}</B>" in line and re.match(r"\s*t\d+ \[", line):
            return line
    raise AssertionError(f"no node named {name!r} in\n{source}")


def parse_with_dot(source):
    result = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert b"<svg" in result.stdout
    assert b"Warning" not in result.stderr and b"Error" not in result.stderr, result.stderr
    return result.stdout.decode()


# ---------------------------------------------------------------------- structure
def test_one_node_per_op_and_per_tensor():
    *_, f = circuit()
    source = viz.to_dot(f)
    assert source.startswith("digraph chainrule {") and source.rstrip().endswith("}")
    assert op_labels(source) == ["add", "multiply"]
    assert len(tensor_nodes(source)) == 5                   # x, y, z, q, f
    # edges run in data-flow order: inputs -> op -> output
    ids = {name: re.search(rf'^\s*(t\d+) .*<B>{name}</B>', source, re.M).group(1)
           for name in ("x", "y", "z", "q")}
    assert edges(source) == [(ids["x"], "op0"), (ids["y"], "op0"), ("op0", ids["q"]),
                             (ids["q"], "op1"), (ids["z"], "op1"), ("op1", "t4")]


def test_values_in_green_and_gradients_in_red():
    x, y, z, q, f = circuit()
    before = viz.to_dot(f)
    assert '<FONT COLOR="#15803d">-2</FONT>' in node_line(before, "x")
    assert "grad" not in node_line(before, "x")            # no gradient yet
    assert '<FONT COLOR="#15803d">3</FONT>' in node_line(before, "q")
    f.backward()
    after = viz.to_dot(f)
    assert '<FONT COLOR="#b91c1c">grad -4</FONT>' in node_line(after, "x")
    assert '<FONT COLOR="#b91c1c">grad 3</FONT>' in node_line(after, "z")
    bare = viz.to_dot(f, show_values=False, show_grads=False)
    assert "#15803d" not in bare and "#b91c1c" not in bare
    assert "#b91c1c" not in viz.to_dot(f, show_grads=False)
    assert "#15803d" not in viz.to_dot(f, show_values=False)


def test_retained_intermediate_gradient_and_retained_graph():
    x, y, z, q, f = circuit()
    q.retain_grad()
    f.backward(retain_graph=True)
    source = viz.to_dot(f)
    assert "grad -4" in node_line(source, "q")
    assert '<FONT COLOR="#15803d">3</FONT>' in node_line(source, "q")   # value kept: retain_graph
    assert "freed" not in source


def test_values_freed_by_backward_are_said_to_be():
    x = leaf(np.array([1.0, 2.0]), "x")
    h = cr.exp(x) * 2.0
    out = h.sum()
    out.backward()
    source = viz.to_dot(out)
    assert op_labels(source) == ["exp", "multiply", "sum"]
    assert "freed by backward()" in source
    assert 'shape="point"' in source                         # unknown values are dots
    assert "grad [5.437, 14.78]" in node_line(source, "x")     # leaves keep value and .grad


def test_unnamed_tensors_are_labelled_by_shape():
    x = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    y = (x * 3).sum(axis=0)
    source = viz.to_dot(y)
    assert "(2, 3)" in source and "(3,)" in source
    assert "<B>" not in source.replace("<B>multiply</B>", "").replace("<B>sum</B>", "")
    assert "axis=0" in source                                # op parameters shown


def test_leaf_alone():
    source = viz.to_dot(leaf(1.5, "a"))
    assert op_labels(source) == []
    assert len(tensor_nodes(source)) == 1 and "<B>a</B>" in source


def test_getitem_key_and_scalar_constants():
    w = leaf(np.array([2.0, -3.0]), "w")
    out = 1 / (1 + w[0])
    source = viz.to_dot(out)
    assert "[0]" in source
    assert re.search(r'shape="plaintext", fontcolor="#6b7280", label=<1>', source)
    assert 'label="arg 0"' in source and 'label="arg 1"' in source   # divide's operand order


def test_big_matrices_are_summarised():
    cr.manual_seed(0)
    A = cr.randn(300, 300, requires_grad=True)
    B = cr.randn(300, 300)
    out = cr.tanh(A @ B).sum()
    out.backward()
    source = viz.to_dot(out)
    assert len(source) < 3000
    assert op_labels(source) == ["matmul", "tanh", "sum"]
    assert "(300, 300) float32" in source and "min " in source and "mean " in source
    # no element dump: no label line carries more than a few numbers
    for line in source.splitlines():
        assert len(re.findall(r"-?\d+\.\d+", line)) <= 8, line
    with viz.record() as rec:
        out = cr.tanh(A @ B).sum()
        out.backward()
    recorded = rec.to_dot()
    assert len(recorded) < 4000
    assert recorded.count("grad min") == 3                  # A, A @ B and tanh(A @ B)


def test_parameters_and_leaves_are_styled_apart():
    nn = pytest.importorskip("chainrule.nn")
    weight = nn.Parameter(np.array([[1.0, 2.0]]))
    x = leaf(np.array([3.0, 4.0]), "x")
    c = cr.Tensor(np.array([0.5]), name="c")
    out = (cr.matmul(weight, x) + c).sum()
    source = viz.to_dot(out)
    assert 'fillcolor="#fef3c7"' in source                   # the Parameter (amber)
    assert 'fillcolor="#dbeafe"' in node_line(source, "x")    # a leaf input (blue)
    assert 'style="rounded,dashed"' in node_line(source, "c")  # a constant (dashed)
    assert "parameter (1, 2)" in source
    assert 'style="rounded,bold"' in source                  # the output


def test_module_clusters():
    nn = pytest.importorskip("chainrule.nn")
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = cr.randn(5, 3)
    loss = (model(x) ** 2).mean()
    loss.backward()
    source = viz.to_dot(loss, model=model)
    clusters = re.findall(r"subgraph (cluster_\d+) \{(.*?)\n  \}", source, re.S)
    assert len(clusters) == 2
    labels = sorted(re.search(r"label=<<FONT[^>]*>([^<]+)</FONT>>", body).group(1)
                    for _, body in clusters)
    assert labels == ["0 (Linear)", "2 (Linear)"]
    for _, body in clusters:
        assert op_labels(body) == ["linear"]
        assert body.count("parameter") == 2              # weight and bias drawn inside
    assert "<B>0.weight</B>" in source and "<B>2.bias</B>" in source
    outside = re.sub(r"subgraph cluster_\d+ \{.*?\n  \}", "", source, flags=re.S)
    assert op_labels(outside) == ["relu", "power", "mean"]
    with pytest.raises(TypeError, match="nn.Module"):
        viz.to_dot(loss, model=object())


def test_module_clusters_group_composite_layers():
    # A layer written with several ops (transpose, matmul, add): every op between its
    # parameters joins its cluster, nested modules nest.
    nn = pytest.importorskip("chainrule.nn")

    class Affine(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(np.ones((n_out, n_in)))
            self.bias = nn.Parameter(np.zeros(n_out))

        def forward(self, x):
            return x @ self.weight.T + self.bias

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Affine(3, 3)

        def forward(self, x):
            return cr.tanh(self.inner(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = Affine(3, 1)

        def forward(self, x):
            return self.head(self.block(x)).sum()

    net = Net()
    x = cr.Tensor(np.ones((2, 3)))
    with viz.record() as rec:
        out = net(x)
        out.backward()
    source = rec.to_dot(model=net)
    parse_ok = shutil.which("dot") is None or parse_with_dot(source)
    assert parse_ok
    head = re.search(r"subgraph cluster_\d+ \{\n\s*label=<<FONT[^>]*>head \(Affine\)(.*?)\n  \}",
                     source, re.S).group(1)
    assert op_labels(head) == ["transpose", "matmul", "add"]
    assert "block.inner (Affine)" in source
    # nested: the inner cluster sits inside the block's cluster
    block = source.index("block (Block)")
    inner = source.index("block.inner (Affine)")
    assert block < inner


# ---------------------------------------------------------------------- trace / record
def test_record_shows_every_value_and_gradient():
    x, y, z = leaf(-2.0, "x"), leaf(5.0, "y"), leaf(-4.0, "z")
    with viz.record() as rec:
        f = (x + y) * z
        f.backward()
    source = rec.to_dot()
    assert op_labels(source) == ["add", "multiply"]
    # the unnamed intermediate x + y: its value and its gradient, recorded
    line = [ln for ln in source.splitlines() if '#15803d">3<' in ln][0]
    assert "grad -4" in line
    assert "grad 1" in source                                # d f / d f
    assert x.grad.item() == -4                               # a real backward ran


def test_trace_roots_select_a_subgraph():
    x = leaf(2.0, "x")
    with viz.record() as rec:
        a = cr.exp(x)
        b = cr.sin(x)
    assert op_labels(rec.to_dot()) == ["exp", "sin"]
    assert op_labels(rec.to_dot(roots=[b])) == ["sin"]
    with pytest.raises(ValueError, match="not computed while the trace was recording"):
        rec.to_dot(roots=[x * 2])
    with pytest.raises(TypeError, match="roots= applies to a Trace"):
        viz.to_dot(a, roots=[a])


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.to_dot(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        viz.to_dot(leaf(1.0), rankdir="XY")


def test_names_are_escaped():
    a = leaf(1.0, 'a<b>&"c"')
    source = viz.to_dot(a * 2)
    assert "a&lt;b&gt;&amp;&quot;c&quot;" in source


# ---------------------------------------------------------------------- Graphviz
@needs_dot
def test_dot_parses_every_kind_of_graph():
    x, y, z, q, f = circuit()
    parse_with_dot(viz.to_dot(f))
    f.backward()
    parse_with_dot(viz.to_dot(f))
    parse_with_dot(viz.to_dot(leaf(1.0, 'a<b>&"c"') * 2))
    w = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]), "W")
    out = (w.T @ w[:, 1:]).sum()
    svg = parse_with_dot(viz.to_dot(out, rankdir="TB"))
    assert "getitem" in svg and "matmul" in svg
    cr.manual_seed(0)
    big = cr.randn(300, 300, requires_grad=True)
    parse_with_dot(viz.to_dot((big @ big).mean()))


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_render_by_suffix(tmp_path, suffix, magic):
    *_, f = circuit()
    path = viz.render(f, tmp_path / f"graph{suffix}")
    assert path == tmp_path / f"graph{suffix}"
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"graph{suffix}"]   # no temporary left


def test_render_dot_source_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    *_, f = circuit()
    path = viz.render(f, str(tmp_path / "graph.dot"))
    assert path.read_text(encoding="utf-8") == viz.to_dot(f)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert path.stat().st_mode == plain.stat().st_mode      # the usual permissions


def test_render_errors(tmp_path, monkeypatch):
    *_, f = circuit()
    with pytest.raises(ValueError, match=r"unknown file type '\.jpeg'.*\.svg, \.png, \.pdf"):
        viz.render(f, tmp_path / "graph.jpeg")
    with pytest.raises(ValueError, match="unknown file type ''"):
        viz.render(f, tmp_path / "graph")
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as info:
        viz.render(f, tmp_path / "graph.svg")
    assert str(info.value) == ("cr.viz.render needs the Graphviz 'dot' program (Debian/Ubuntu: "
                               "apt-get install graphviz; macOS: brew install graphviz)")
    assert not (tmp_path / "graph.svg").exists()


def test_draw_for_jupyter(monkeypatch):
    *_, f = circuit()
    graph = viz.draw(f)
    assert isinstance(graph, viz.Graph)
    assert str(graph) == graph.source == viz.to_dot(f)
    assert repr(graph).startswith("<cr.viz.Graph: 2 ops, 5 tensors;")
    if shutil.which("dot") is not None:
        svg = graph._repr_svg_()
        assert "<svg" in svg and "multiply" in svg
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    assert graph._repr_svg_() is None                        # Jupyter falls back to text
    with pytest.raises(RuntimeError, match="Graphviz 'dot' program"):
        graph.svg()
