"""cr.viz.record / cr.viz.trace: recording values and gradients through the dispatch and engine hooks."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.viz as viz
from chainrule.core.modes import STATE


def leaf(value, name=None):
    return cr.Tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def test_record_sees_every_op_and_backward_step():
    x = leaf([1.0, 2.0], "x")
    with viz.record() as rec:
        h = cr.exp(x)
        out = (h * h).sum()
        out.backward()
    assert [op.name for op in rec.ops] == ["exp", "multiply", "sum"]
    assert [step.op.name for step in rec.steps] == ["sum", "multiply", "exp"]
    mult = rec.steps[1]
    np.testing.assert_allclose(mult.upstream, [1.0, 1.0])
    # h feeds multiply twice: two contributions, the second accumulates onto the first
    first, second = mult.contributions
    assert (first.count, second.count) == (1, 2)
    np.testing.assert_allclose(first.gradient, np.exp([1.0, 2.0]))
    np.testing.assert_allclose(second.accumulated, 2 * np.exp([1.0, 2.0]))
    np.testing.assert_allclose(rec.value_of(h).grad, 2 * np.exp([1.0, 2.0]))
    np.testing.assert_allclose(rec.value_of(x).grad, x.grad.data)
    np.testing.assert_allclose(x.grad.data, 2 * np.exp([2.0, 4.0]))
    assert STATE.observers == []


def test_record_stops_on_exit_even_after_an_error():
    with pytest.raises(KeyError):
        with viz.record():
            raise KeyError("boom")
    assert STATE.observers == []
    rec = viz.record()
    with rec:
        with pytest.raises(RuntimeError, match="already recording"):
            rec.__enter__()
    assert STATE.observers == []


def test_values_are_snapshots():
    x = cr.Tensor(np.array([1.0, 2.0]))
    with viz.record() as rec:
        y = x * 2
    x.data[...] = 100.0          # a later write does not change the record
    np.testing.assert_allclose(rec.ops[0].output.data, [2.0, 4.0])
    np.testing.assert_allclose(rec.ops[0].inputs[0].data, [1.0, 2.0])
    assert rec.ops[0].node is None            # nothing required grad: no autograd node
    assert rec.ops[0].inputs[0].kind == "const"
    assert rec.ops[0].inputs[1].kind == "scalar"
    assert "multiply" in viz.to_dot(rec)      # still drawn
    del y


def test_in_place_update_is_followed():
    x = leaf([1.0, 2.0], "x")
    with viz.record() as rec:
        h = x * 2
        h += 1
        out = h.sum()
        out.backward()
    graph = rec.graph()
    assert [op.name for op in graph.ops] == ["multiply", "add", "sum"]
    add = graph.ops[1]
    assert add.inputs[0] is graph.ops[0].output           # the add reads the multiply's output
    np.testing.assert_allclose(add.output.data, [3.0, 5.0])
    np.testing.assert_allclose(rec.value_of(x).grad, [2.0, 2.0])


def test_custom_function_is_one_op():
    class Square(cr.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = leaf([1.0, 3.0], "x")
    with viz.record() as rec:
        out = Square.apply(x).sum()
        out.backward()
    graph = rec.graph()
    assert [op.name for op in graph.ops] == ["Square", "sum"]
    source = viz.to_dot(rec)
    assert "ctx" not in source                                 # the context object is not shown
    ex = viz.explain(lambda x: Square.apply(x).sum(), np.array([1.0, 3.0]), print=False)
    np.testing.assert_allclose(ex.grads["x"], [2.0, 6.0])
    assert "the vjp rule of Square" in str(ex)


def test_double_backward_recorded_with_roots():
    x = leaf(2.0, "x")
    with viz.record() as rec:
        y = x ** 3
        (gx,) = cr.autograd.grad(y, [x], create_graph=True)
        z = gx * 1.0
        z.backward()
    assert float(x.grad.data) == 12.0                           # d/dx 3 x^2
    sub = rec.graph(roots=[z])
    names = [op.name for op in sub.ops]
    assert names[0] == "power" and names[-1] == "multiply"
    assert len(names) > 2                                       # the backward's own ops


def test_gradients_accumulate_over_backward_passes():
    x = leaf(3.0, "x")
    with viz.record() as rec:
        y = x * x
        y.backward(retain_graph=True)
        y.backward()
    assert len(rec.steps) == 2
    assert float(rec.value_of(x).grad) == 12.0 == float(x.grad.data)


def test_trace_function():
    def f(x, y):
        s = x * y
        return cr.sin(s)

    tr = viz.trace(f, 0.5, 2.0)
    assert isinstance(tr, viz.Trace)
    assert set(tr.inputs) == {"x", "y"}
    assert tr.inputs["x"].dtype == np.float64
    assert float(tr.grads["x"]) == pytest.approx(2.0 * np.cos(1.0), rel=1e-15)
    assert float(tr.grads["y"]) == pytest.approx(0.5 * np.cos(1.0), rel=1e-15)
    graph = tr.graph()
    assert [graph.name_of(v) for v in graph.values] == ["x", "y", "s", "out"]
    assert "<B>s</B>" in tr.to_dot()
    assert repr(tr) == "<cr.viz.Trace: 2 ops, 2 backward steps>"


def test_trace_unused_input_gets_zero_gradient():
    tr = viz.trace(lambda x, y: x * 2.0, 1.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(tr.grads["y"], [0.0, 0.0])
    assert float(tr.grads["x"]) == 2.0


def test_keyword_argument_after_a_default():
    def f(x, a=1.0, b=2.0):
        return x * a + b

    tr = viz.trace(f, 3.0, b=5.0)                       # a keeps its default, b by keyword
    assert float(tr.output.data) == 8.0
    assert set(tr.grads) == {"x", "b"}
    assert float(tr.grads["b"]) == 1.0


def test_trace_leaves_other_profilers_alone():
    import sys
    calls = []

    def profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(profiler)
    try:
        tr = viz.trace(lambda x: x * 2.0, 1.0)
    finally:
        sys.setprofile(None)
    assert calls                                         # the user's profiler kept running
    assert float(tr.grads["x"]) == 2.0
