"""The examples in examples/ run and print the lectures' numbers; docs/ shows the current tables."""
import pathlib
import runpy
import shutil

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name, argv=()):
    namespace = runpy.run_path(str(EXAMPLES / f"{name}.py"))
    return namespace["main"](list(argv))


def test_explain_circuit(capsys):
    ex = run_example("explain_circuit")
    out = capsys.readouterr().out
    assert "∂f/∂q = z = -4" in out and "∂f/∂x = -4" in out and "∂f/∂z = 3" in out
    assert float(ex.value) == -12


def test_sigmoid_neuron(capsys):
    ex = run_example("sigmoid_neuron")
    out = capsys.readouterr().out
    assert "out = 0.7311" in out
    assert "∂out/∂w = [-0.1966, -0.3932, 0.1966]" in out
    assert "∂out/∂x = [0.3932, -0.5898]" in out
    assert "local gradient (1 - f)·f = 0.1966" in out
    np.testing.assert_allclose(ex.grads["x"], [0.39, -0.59], atol=6e-3)


def test_explain_complex(capsys):
    ex = run_example("explain_complex")
    out = capsys.readouterr().out
    assert "∂out/∂x = 1208" in out and "∂out/∂z = 809.7" in out
    assert "Gradients add at branches" in out
    assert float(ex.grads["x"]) == pytest.approx(1208.3812151, rel=1e-9)


def test_draw_mlp(capsys, tmp_path):
    pytest.importorskip("chainrule.nn")
    rec = run_example("draw_mlp", ["--render", str(tmp_path / "mlp.dot")])
    out = capsys.readouterr().out
    # Linear and cross_entropy are fused primitives: linear, relu, linear, cross_entropy.
    assert "loss = " in out and f"recorded {len(rec.steps)} ops" in out
    source = (tmp_path / "mlp.dot").read_text(encoding="utf-8")
    assert source.count("subgraph cluster_") == 2 and "0 (Linear)" in source
    assert sorted(s.op.name for s in rec.steps) == ["cross_entropy", "linear", "linear", "relu"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
def test_render_option(tmp_path, capsys):
    run_example("explain_circuit", ["--render", str(tmp_path / "circuit.svg")])
    assert (tmp_path / "circuit.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("stem", ["circuit", "sigmoid_neuron", "complex"])
def test_docs_tables_are_current(stem):
    # docs/explain_*.txt are written by docs/make_seeing.py; they must match the golden
    # tables the tests check (rerun the script after regenerating the golden files).
    docs = (ROOT / "docs" / f"explain_{stem}.txt").read_text(encoding="utf-8")
    golden = (ROOT / "tests" / "viz" / "golden" / f"{stem}.txt").read_text(encoding="utf-8")
    assert docs == golden
