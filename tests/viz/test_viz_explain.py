"""cr.explain: the lectures' worked examples, reproduced number by number and checked as text."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.core.modes import STATE
from chainrule.viz import explain
from chainrule.viz.explain import Explanation


# The worked examples, written as in examples/ (the local variable names become the
# names in the tables).
def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def neuron(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1 / (1 + cr.exp(-dot))


def complex_example(x, z):
    xz = x * z
    return cr.exp(xz) + xz / cr.log(x) + cr.sin(cr.log(x)) / xz


def forward_values(ex):
    return {r["name"]: r["value"] for r in ex.forward}


def rows_for(ex, node):
    return [r for r in ex.backward if r["node"] == node]


# ---------------------------------------------------------------------- worked examples
def test_circuit(golden):
    ex = explain(circuit, -2.0, 5.0, -4.0, print=False)
    values = forward_values(ex)
    assert [values[k] for k in ("x", "y", "z", "q", "f")] == [-2, 5, -4, 3, -12]
    assert [(r["name"], r["op"], r["inputs"]) for r in ex.forward if r["step"]] == [
        ("q", "add", ["x", "y"]), ("f", "multiply", ["q", "z"])]
    table = [(r["node"], r["input"], float(r["upstream"]), float(r["local"]), float(r["gradient"]))
             for r in ex.backward]
    assert table == [("f", "q", 1, -4, -4), ("f", "z", 1, 3, 3),
                     ("q", "x", -4, 1, -4), ("q", "y", -4, 1, -4)]
    assert {k: float(v) for k, v in ex.grads.items()} == {"x": -4, "y": -4, "z": 3}
    assert float(ex.value) == -12
    golden("circuit", str(ex))


def test_sigmoid_neuron(golden):
    ex = explain(neuron, [2.0, -3.0, -3.0], [-1.0, -2.0], print=False)
    s = 1 / (1 + math.exp(-1.0))
    local = s * (1 - s)
    assert float(ex.value) == pytest.approx(s, abs=1e-15)
    np.testing.assert_allclose(ex.grads["w"], [-local, -2 * local, local], rtol=1e-14)
    np.testing.assert_allclose(ex.grads["x"], [2 * local, -3 * local], rtol=1e-14)
    # The lecture's rounded numbers.
    assert round(float(ex.value), 2) == 0.73
    np.testing.assert_allclose(ex.grads["w"], [-0.20, -0.39, 0.20], atol=6e-3)
    np.testing.assert_allclose(ex.grads["x"], [0.39, -0.59], atol=6e-3)
    # Every intermediate of the lecture's circuit: w0 x0 = -2, w1 x1 = 6, dot = 1,
    # -dot = -1, exp = 0.37, 1 + exp = 1.37, 1 / (1 + exp) = 0.73 ...
    chain = [float(r["value"]) for r in ex.forward if r["op"] != "getitem" and r["step"]]
    np.testing.assert_allclose(chain, [-2, 6, 4, 1, -1, math.exp(-1), 1 + math.exp(-1), s],
                               rtol=1e-14)
    # ... and every gradient flowing back: -0.53, -0.53, -0.20, 0.20, 0.20 ...
    upstream = {r["step"]: float(r["upstream"]) for r in ex.backward}
    e = math.exp(-1)
    expected_chain = [1, -1 / (1 + e) ** 2, -1 / (1 + e) ** 2, -e / (1 + e) ** 2, local]
    np.testing.assert_allclose([upstream[k] for k in range(1, 6)], expected_chain, rtol=1e-14)
    assert rows_for(ex, "dot")[0]["op"] == "add"
    golden("sigmoid_neuron", str(ex))


def test_complex_example(golden):
    ex = explain(complex_example, 2.0, 3.0, print=False)
    x, z = 2.0, 3.0
    lx = math.log(x)
    out = math.exp(x * z) + x * z / lx + math.sin(lx) / (x * z)
    dx = (z * math.exp(x * z) + z / lx - z / lx ** 2 + math.cos(lx) / (x * x * z)
          - math.sin(lx) / (x * x * z))
    dz = x * math.exp(x * z) + x / lx - math.sin(lx) / (x * z * z)
    assert float(ex.value) == pytest.approx(out, rel=1e-14)
    assert float(ex.grads["x"]) == pytest.approx(dx, rel=1e-13)
    assert float(ex.grads["z"]) == pytest.approx(dz, rel=1e-13)
    values = forward_values(ex)
    assert float(values["xz"]) == 6
    steps = [(r["op"], float(r["value"])) for r in ex.forward if r["step"]]
    np.testing.assert_allclose([v for _, v in steps],
                               [6, math.exp(6), lx, 6 / lx, math.exp(6) + 6 / lx, lx,
                                math.sin(lx), math.sin(lx) / 6, out], rtol=1e-14)
    # xz feeds exp, a divide (as numerator) and a divide (as denominator): its gradient
    # is the sum of the three contributions, and the table shows the running sum.
    xz_rows = [r for r in ex.backward if r["input"] == "xz"]
    contributions = [float(r["gradient"]) for r in xz_rows]
    np.testing.assert_allclose(contributions,
                               [-math.sin(lx) / 36, 1 / lx, math.exp(6)], rtol=1e-13)
    assert [r["count"] for r in xz_rows] == [1, 2, 3]
    np.testing.assert_allclose(float(xz_rows[-1]["accumulated"]), sum(contributions), rtol=1e-14)
    x_rows = [r for r in ex.backward if r["input"] == "x"]
    assert len(x_rows) == 3
    assert float(x_rows[-1]["accumulated"]) == pytest.approx(dx, rel=1e-13)
    text = str(ex)
    assert "Gradients add at branches" in text
    assert "xz is used 3 times" in text
    golden("complex", text)


# ---------------------------------------------------------------------- the rows' arithmetic
@pytest.mark.parametrize("f, args", [
    (circuit, (-2.0, 5.0, -4.0)),
    (neuron, ([2.0, -3.0, -3.0], [-1.0, -2.0])),
    (complex_example, (2.0, 3.0)),
    (lambda x, b: cr.tanh(x * b + x / 3).sum(), (np.array([0.5, -1.0, 2.0]), 0.25)),
    (lambda x: (cr.sqrt(x) * cr.sigmoid(x) - cr.reciprocal(x) ** 2).mean(), (np.arange(1.0, 5.0),)),
])
def test_upstream_times_local_is_the_gradient(f, args):
    ex = explain(f, *args, print=False)
    checked = 0
    for r in ex.backward:
        if r["local"] is not None:
            np.testing.assert_allclose(r["upstream"] * r["local"], r["raw_gradient"], rtol=1e-12)
            checked += 1
    assert checked >= 2
    # The accumulated gradient of each leaf at its last contribution is its gradient.
    last = {}
    for r in ex.backward:
        last[r["input"]] = r["accumulated"]
    for name, grad in ex.grads.items():
        np.testing.assert_allclose(last[name], grad, rtol=1e-14)


def test_gradients_match_finite_differences():
    def f(w, x):
        return cr.tanh(w[0] * x[0] + w[1] * x[1]) * cr.exp(-w[2]) + cr.log(1 + x[0] * x[0])

    w0, x0 = np.array([0.3, -0.7, 0.2]), np.array([1.5, -0.5])
    ex = explain(f, w0, x0, print=False)

    def value(w, x):
        return math.tanh(w[0] * x[0] + w[1] * x[1]) * math.exp(-w[2]) + math.log(1 + x[0] ** 2)

    eps = 1e-6
    for name, base in (("w", w0), ("x", x0)):
        numeric = []
        for i in range(base.size):
            hi, lo = base.copy(), base.copy()
            hi[i] += eps
            lo[i] -= eps
            args_hi = (hi, x0) if name == "w" else (w0, hi)
            args_lo = (lo, x0) if name == "w" else (w0, lo)
            numeric.append((value(*args_hi) - value(*args_lo)) / (2 * eps))
        np.testing.assert_allclose(ex.grads[name], numeric, rtol=1e-7, atol=1e-9)


def test_backward_rows_follow_the_engine_visiting_order():
    class Order:
        def __init__(self):
            self.names = []

        def on_apply(self, prim, args, params, out):
            pass

        def on_backward(self, node, grad, grads):
            self.names.append(node.primitive.name)

    ex = explain(complex_example, 2.0, 3.0, print=False)
    x = cr.Tensor(np.float64(2.0), requires_grad=True)
    z = cr.Tensor(np.float64(3.0), requires_grad=True)
    out = complex_example(x, z)
    order = Order()
    STATE.observers.append(order)
    try:
        out.backward()
    finally:
        STATE.observers.remove(order)
    steps = list(dict.fromkeys((r["step"], r["op"]) for r in ex.backward))
    assert [op for _, op in steps] == order.names
    assert [s for s, _ in steps] == list(range(1, len(order.names) + 1))


# ---------------------------------------------------------------------- vectors and matrices
def test_vector_and_matrix_function():
    def f(W, x):
        q = W @ x
        return (q * q).sum()

    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x = np.array([0.2, 0.4])
    ex = explain(f, W, x, print=False)
    q = W @ x
    np.testing.assert_allclose(ex.grads["W"], 2 * np.outer(q, x), rtol=1e-14)
    np.testing.assert_allclose(ex.grads["x"], 2 * W.T @ q, rtol=1e-14)
    np.testing.assert_allclose(forward_values(ex)["q"], q, rtol=1e-15)
    text = str(ex)
    assert "(2, 2)" in text and "(2,)" in text                   # shapes shown
    assert "[[0.1, 0.5], [-0.3, 0.8]]" in text                    # small arrays in full
    assert "upstream @ xᵀ" in text and "Wᵀ @ upstream" in text     # matmul's rule in words
    matmul_rows = rows_for(ex, "q")
    assert [r["input"] for r in matmul_rows] == ["W", "x"]
    assert all(r["local"] is None for r in matmul_rows)


def test_broadcast_input_gradient_is_summed():
    ex = explain(lambda x, b: (x + b).sum(), np.array([1.0, 2.0, 3.0]), 0.5, print=False)
    (row,) = [r for r in ex.backward if r["input"] == "b"]
    assert row["raw_gradient"].shape == (3,)
    assert row["gradient"].shape == ()
    assert float(ex.grads["b"]) == 3.0
    assert "(summed over broadcast axes)" in str(ex)


def test_big_arrays_are_summarised():
    cr.manual_seed(0)
    W = cr.randn(300, 300)

    def f(W, b):
        h = cr.tanh(W @ W + b)
        return h.mean()

    ex = explain(f, W, 0.5, print=False)
    text = str(ex)
    assert len(text) < 8000
    assert max(len(line) for line in text.splitlines()) < 400
    assert "(300, 300) float32 min" in text
    assert "mean" in text and "max" in text
    assert ex.grads["W"].shape == (300, 300)
    assert ex.grads["W"].dtype == np.float32          # ndarray/Tensor arguments keep their dtype


# ---------------------------------------------------------------------- inputs and names
def test_python_floats_are_float64_and_arrays_keep_their_dtype():
    ex = explain(lambda x, y: (x * y).sum(), 1.5, np.array([1.0, 2.0], dtype=np.float32),
                 print=False)
    rows = {r["name"]: r for r in ex.forward}
    assert rows["x"]["dtype"] == "float64"
    assert rows["y"]["dtype"] == "float32"
    assert ex.grads["x"].dtype == np.float64
    assert ex.grads["y"].dtype == np.float32


def test_names_from_parameters_locals_and_tensor_names():
    def f(a, *rest, scale=1.0, **extra):
        total = a * scale
        for r in rest:
            total = total + r
        named = total * extra["k"]
        named.name = "my_value"
        return named

    t = cr.Tensor(np.float64(4.0), name="given")
    ex = explain(f, 1.0, 2.0, t, scale=3.0, k=0.5, print=False)
    leaves = [r["name"] for r in ex.forward if r["step"] is None]
    assert leaves == ["a", "rest[0]", "given", "scale", "k"]
    names = [r["name"] for r in ex.forward if r["step"]]
    assert names[-1] == "my_value"                   # a Tensor's own name wins
    assert "total" in names                          # the local variable's last binding
    assert set(ex.grads) == {"a", "rest[0]", "given", "scale", "k"}
    assert float(ex.grads["a"]) == 1.5 and float(ex.grads["scale"]) == 0.5
    assert t.grad is None and not t.requires_grad     # the caller's tensor is untouched


def test_pytree_arguments():
    ex = explain(lambda p: p[0] * p[1]["b"], (np.array(2.0), {"b": 3.0}), print=False)
    assert set(ex.grads) == {"p[0]", "p[1]['b']"}
    assert float(ex.grads["p[0]"]) == 3.0 and float(ex.grads["p[1]['b']"]) == 2.0


def test_integer_arguments_stay_constants():
    ex = explain(lambda n, x: x ** n, 3, 2.0, print=False)
    assert set(ex.grads) == {"x"}
    assert float(ex.grads["x"]) == 12.0
    ex = explain(lambda n: cr.Tensor(np.float64(2.0)) * n, 3, print=False)
    assert ex.backward == []
    assert "no input requires grad" in str(ex)


def test_output_that_is_an_input():
    ex = explain(lambda x: x, 2.0, print=False)
    assert float(ex.grads["x"]) == 1.0
    assert "no op lies between" in str(ex)


def test_leaves_requiring_grad_are_not_modified():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    explain(lambda x: (x * x).sum(), x, print=False)
    assert x.grad is None


# ---------------------------------------------------------------------- printing and errors
def test_prints_unless_told_not_to(capsys):
    ex = explain(circuit, -2.0, 5.0, -4.0)
    printed = capsys.readouterr().out
    assert printed == str(ex) + "\n"
    explain(circuit, -2.0, 5.0, -4.0, print=False)
    assert capsys.readouterr().out == ""
    assert isinstance(ex, Explanation)
    assert repr(ex).startswith("<cr.Explanation: f = -12;")


def test_errors():
    with pytest.raises(TypeError, match="callable"):
        explain(3.0, 1.0, print=False)
    with pytest.raises(TypeError, match="must return a Tensor.*float"):
        explain(lambda x: 1.0, 2.0, print=False)
    with pytest.raises(ValueError, match=r"scalar.*shape \(2,\).*sum"):
        explain(lambda x: x * 2, np.array([1.0, 2.0]), print=False)


def test_explanation_draws_every_value_and_gradient():
    ex = explain(circuit, -2.0, 5.0, -4.0, print=False)
    dot = ex.to_dot()
    assert dot.count('shape="ellipse"') == 2
    for name in ("x", "y", "z", "q", "f"):
        assert f"<B>{name}</B>" in dot
    assert "grad -4" in dot and "grad 3" in dot and "grad 1" in dot    # q, z and f's gradients
    assert "-12" in dot


def test_module_parameters_are_named_and_reported():
    nn = pytest.importorskip("chainrule.nn")

    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(np.array([[0.5, -1.0]]))
            self.bias = nn.Parameter(np.array([0.25]))

        def forward(self, x):
            h = x @ self.weight.T
            return h + self.bias

    model = Affine()

    def loss(x):
        return (model(x) ** 2).sum()

    ex = explain(loss, np.array([[1.0, 2.0]]), print=False)
    h = 1.0 * 0.5 + 2.0 * -1.0 + 0.25
    np.testing.assert_allclose(ex.grads["weight"], [[2 * h * 1.0, 2 * h * 2.0]], rtol=1e-14)
    np.testing.assert_allclose(ex.grads["bias"], [2 * h], rtol=1e-14)
    assert model.weight.grad is None and model.bias.grad is None
    kinds = {r["name"]: r["op"] for r in ex.forward if r["step"] is None}
    assert kinds == {"x": "input", "weight": "parameter", "bias": "parameter"}
    # explain a Module directly: its forward's parameter and local names are used
    ex = explain(model, np.array([[1.0, 2.0]]), print=False)
    assert [r["name"] for r in ex.forward if r["step"]][-2] == "h"
