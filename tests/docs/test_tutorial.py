"""The tutorial (examples/tutorial.py -> examples/tutorial.ipynb -> docs/tutorial.md) runs,
prints the lectures' numbers, and its three forms agree."""
import json
import pathlib
import re
import runpy

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
make = runpy.run_path(str(ROOT / "docs" / "make_tutorial.py"), run_name="make_tutorial")

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def committed_notebook():
    return json.loads(make["NOTEBOOK"].read_text(encoding="utf-8"))


def assert_same_output(got, expected, where):
    """Text equal; the numbers printed by the training cells may differ in their last
    digit on another BLAS, so numbers compare within 1e-3."""
    assert NUMBER.sub("#", got) == NUMBER.sub("#", expected), where
    for a, b in zip(NUMBER.findall(got), NUMBER.findall(expected)):
        assert float(a) == pytest.approx(float(b), rel=1e-3, abs=1e-3), (where, a, b)


def check_key_numbers(outputs):
    text = "".join(o for o in outputs if o)
    # 1. the circuit
    assert "∂f/∂q = z = -4" in text and "∂f/∂x = -4\n∂f/∂y = -4\n∂f/∂z = 3" in text
    assert "tensor(-4.) tensor(-4.) tensor(3.)" in text
    # 2. the sigmoid neuron
    assert "out = 0.7311" in text and "(1 - f) f = 0.1966" in text
    assert "∂out/∂w = [-0.1966, -0.3932, 0.1966]" in text and "∂out/∂x = [0.3932, -0.5898]" in text
    # 3. gradients add at branches
    assert "-6.2 + 1214.6 = 1208.4" in text
    assert "by hand: ∂f/∂x = 1208.3812151, ∂f/∂z = 809.7074792" in text
    # 4. z = Wu + b
    assert text.count("max |autodiff - by hand| = 0.0e+00") == 3
    # 5, 6. the custom Function and gradcheck
    assert "softplus'(1.5) = 0.817574  σ(1.5) = 0.817574" in text
    assert "softplus''(1.5) = 0.149146  σ(1.5)(1 - σ(1.5)) = 0.149146" in text
    assert "gradcheck: True\ngradgradcheck: True" in text
    assert "GradcheckError: gradcheck: Jacobian mismatch for output 0" in text
    # 7, 8. training: the test loss falls every epoch, in both loops
    losses = [float(v) for v in re.findall(r"test loss (\d+\.\d+)", text)]
    assert len(losses) == 10
    for run in (losses[:5], losses[5:]):
        assert all(b < a for a, b in zip(run, run[1:])), run


def test_tutorial_notebook_holds_the_source_cells():
    nb = committed_notebook()
    cells = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    assert cells == make["source_cells"](), "run python docs/make_tutorial.py"


def test_tutorial_markdown_is_the_notebook_rendered():
    expected = make["to_markdown"](committed_notebook())
    assert make["MARKDOWN"].read_text(encoding="utf-8") == expected, \
        "docs/tutorial.md is stale: run python docs/make_tutorial.py"


def test_tutorial_runs_and_prints_the_notebook_outputs():
    pytest.importorskip("chainrule.nn")
    cells = make["source_cells"]()
    outputs, namespace = make["run_cells"](cells)
    nb = committed_notebook()
    for index, (cell, output) in enumerate(zip(nb["cells"], outputs)):
        if cell["cell_type"] == "code":
            assert_same_output(output, make["stream_text"](cell), f"cell {index}")
    check_key_numbers(outputs)
    assert namespace["hand_accuracy"] > 0.8 and namespace["nn_accuracy"] > 0.8
    np.testing.assert_array_equal(namespace["W"].grad.data, np.outer(namespace["delta"],
                                                                      namespace["u"].data))


def test_tutorial_notebook_executes_with_nbclient():
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(str(make["NOTEBOOK"]), as_version=4)
    nbformat.validate(nb)
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    committed = committed_notebook()
    outputs = []
    for index, (cell, old) in enumerate(zip(nb.cells, committed["cells"])):
        if cell.cell_type != "code":
            outputs.append(None)
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], f"cell {index}"
        output = make["stream_text"](cell)
        assert_same_output(output, make["stream_text"](old), f"cell {index}")
        outputs.append(output)
    check_key_numbers(outputs)
