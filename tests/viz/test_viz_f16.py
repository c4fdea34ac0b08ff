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
