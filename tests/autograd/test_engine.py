"""The reverse-mode engine: accumulation, misuse errors, memory, hooks, modes, anomalies, in place."""
import gc
import re
import sys
import weakref

import numpy as np
import pytest

import chainrule as cr


def f64(value, requires_grad=True):
    return cr.tensor(np.asarray(value, dtype=np.float64), requires_grad=requires_grad)


def numerical_grad(fn, x0, eps=1e-6):
    """Central differences of scalar fn(ndarray) -> float at x0."""
    x0 = np.asarray(x0, dtype=np.float64)
    out = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[j] += eps
        minus[j] -= eps
        out[j] = (fn(plus) - fn(minus)) / (2 * eps)
    return out


# ---------------------------------------------------------------- accumulation

def test_gradients_add_at_branches():
    x = f64([1.0, -2.0, 3.0])
    y = x * x + x + cr.exp(x)          # x used three times
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.data + 1 + np.exp(x.data))


def test_diamond_graph_gradient_counts_each_path_once():
    x = f64(1.5)
    a = x * 2
    b = a * 3
    c = a * 4
    d = b + c                           # d = 14 x
    e = d * d                           # e = 196 x^2
    e.backward()
    assert x.grad.item() == pytest.approx(2 * 196 * 1.5)


def test_gradients_accumulate_across_backward_calls_and_zero_resets():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * x.data)
    first = x.grad
    (x * 1).sum().backward()
    assert x.grad is first              # accumulated in place, like PyTorch
    np.testing.assert_allclose(x.grad.numpy(), 4 + 2 * x.data)
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_leaf_gradient_is_not_aliased_to_internal_buffers():
    x = f64([1.0, 2.0])
    y = f64([3.0, 4.0])
    s = x + y                           # both get the same upstream gradient
    s.sum().backward()
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


def test_broadcast_gradient_summed_to_input_shape_and_dtype():
    x = cr.tensor(np.ones((3, 1), dtype=np.float32), requires_grad=True)
    b = f64(np.ones(4))
    y = (x * b).sum()
    y.backward()
    assert x.grad.shape == (3, 1) and x.grad.dtype == np.float32
    assert b.grad.shape == (4,) and b.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_backward_with_explicit_gradient_for_non_scalar():
    x = f64([1.0, 2.0, 3.0])
    y = x * x
    y.backward(gradient=cr.tensor(np.array([1.0, 0.5, -1.0])))
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.data * [1.0, 0.5, -1.0])


def test_backward_inputs_argument_limits_accumulation():
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


def test_integer_paths_carry_no_gradient():
    x = f64([0.3, 1.7])
    y = (cr.floor(x) * x).sum()         # floor has zero gradient
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0])


# ---------------------------------------------------------------- misuse (API.md §10)

def test_backward_twice_without_retain_graph_raises_naming_op_and_shape():
    x = f64([1.0, 2.0])
    y = cr.exp(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"sum.*second time.*shape \(\).*retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = f64([1.0, 2.0])
    y = cr.exp(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.data))


def test_freed_intermediate_node_raises_on_a_second_path():
    x = f64([1.0, 2.0])
    h = cr.tanh(x)
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"tanh.*second time.*shape \(2,\)"):
        (h * 3).sum().backward()


def test_non_scalar_backward_without_gradient_raises():
    x = f64([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*multiply.*shape \(2,\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"scalar outputs.*multiply.*shape \(2,\)"):
        cr.autograd.grad(y, x)


def test_backward_on_tensor_not_requiring_grad_raises():
    t = cr.tensor([1.0, 2.0]) * 3
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*does not require grad"):
        t.backward(gradient=np.ones(2))
    x = f64(1.0)
    with cr.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(\).*does not require grad"):
        y.backward()


def test_autograd_grad_unused_input():
    x, unused = f64(2.0), f64([1.0, 2.0])
    y = x * x
    with pytest.raises(RuntimeError,
                       match=r"input 1 .*shape \(2,\).*not have been used.*allow_unused"):
        cr.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = cr.autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.item() == 4.0 and gu is None
    assert x.grad is None and unused.grad is None


def test_inplace_on_leaf_requiring_grad_raises_unless_no_grad():
    w = f64([1.0, 2.0])
    for action, name in [(lambda: w.__iadd__(1), "add_"), (lambda: w.__imul__(2), "mul_"),
                         (lambda: w.__setitem__(0, 5.0), "__setitem__"),
                         (lambda: w.zero_(), "fill_"), (lambda: w.fill_(3.0), "fill_"),
                         (lambda: w.sub_(1.0), "sub_"), (lambda: w.div_(2.0), "div_")]:
        with pytest.raises(RuntimeError, match=rf"{re.escape(name)}: a leaf .*requires grad.*"
                                                r"shape \(2,\)"):
            action()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    version = w._version
    with cr.no_grad():
        w -= 0.5
        w[1] = 7.0
    np.testing.assert_array_equal(w.data, [0.5, 7.0])
    assert w.is_leaf and w.requires_grad and w._version == version + 2


def test_saved_input_modified_in_place_raises_with_versions():
    a = f64([1.0, 2.0, 3.0])
    b = a * 1
    c = b * b                           # multiply saves b (version 0)
    b += 1                              # version 1
    with pytest.raises(RuntimeError) as info:
        c.sum().backward()
    msg = str(info.value)
    assert msg.startswith("multiply:")
    assert "modified by an inplace operation" in msg
    assert "shape (3,)" in msg and "version 1" in msg and "expected version 0" in msg


def test_saved_input_modified_by_setitem_raises():
    a = f64([1.0, 2.0, 3.0])
    b = cr.sin(a)
    c = cr.exp(b * 1) * b               # multiply saves b
    b[0] = 0.0
    with pytest.raises(RuntimeError, match=r"multiply: .*shape \(3,\).*version 1; expected "
                                           r"version 0"):
        c.sum().backward()


def test_saved_output_modified_under_no_grad_raises():
    a = f64([1.0, 2.0])
    e = cr.exp(a)                       # exp's backward reads its output
    with cr.no_grad():
        e += 1
    with pytest.raises(RuntimeError, match=r"exp: .*its output.*shape \(2,\).*version 1; "
                                           r"expected version 0"):
        e.sum().backward()


def test_saved_leaf_modified_under_no_grad_raises():
    w = f64([1.0, 2.0])
    y = (w * w).sum()
    with cr.no_grad():
        w -= 0.1                        # an optimizer step before backward
    with pytest.raises(RuntimeError, match=r"multiply: .*version 1; expected version 0"):
        y.backward()


# ---------------------------------------------------------------- depth and memory

def test_hundred_thousand_op_chain_backpropagates():
    x = f64(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y = y + 0.0
    assert sys.getrecursionlimit() < 100_000
    y.backward()
    assert x.grad.item() == 1.0


def test_long_chain_double_backward():
    x = f64(0.5)
    y = x
    for _ in range(2000):
        y = y * 1.0
    y = y * y * y
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    (gg,) = cr.autograd.grad(g, x)
    assert g.item() == pytest.approx(3 * 0.25)
    assert gg.item() == pytest.approx(6 * 0.5)


def test_saved_values_released_after_backward():
    x = f64(np.arange(4.0))
    e = cr.exp(x)                       # exp keeps its output array
    saved = weakref.ref(e.data)
    m = e * x                           # multiply keeps its inputs (e and x)
    node_e, node_m = weakref.ref(e.node), m.node
    e_ref = weakref.ref(e)
    del e
    loss = m.sum()
    gc.collect()
    assert saved() is not None and e_ref() is not None
    loss.backward()
    gc.collect()
    assert node_m.inputs is None and node_m.freed
    assert e_ref() is None              # the multiply node no longer holds e
    assert saved() is None              # exp's saved output array is gone
    assert node_e() is None or node_e().out_data is None


def test_retain_graph_keeps_saved_values():
    x = f64(np.arange(3.0))
    e = cr.exp(x)
    saved = weakref.ref(e.data)
    loss = (e * x).sum()
    del e
    loss.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp(x.data) * (1 + x.data)))


def test_graph_is_collected_when_output_dies():
    x = f64(np.ones(3))
    y = cr.tanh(x) * 2
    node = weakref.ref(y.node)
    del y
    gc.collect()
    assert node() is None


# ---------------------------------------------------------------- hooks, retain_grad

def test_leaf_hook_replaces_gradient_and_handle_removes_it():
    x = f64([1.0, 2.0])
    seen = []

    def hook(grad):
        seen.append(grad.numpy().copy())
        return grad * 2

    handle = x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1


def test_non_leaf_hook_changes_what_flows_upstream():
    x = f64([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda grad: seen.append(type(grad)))     # returns None: no change
    y.register_hook(lambda grad: grad * 10)
    (y * y).sum().backward()
    assert seen == [cr.Tensor]
    np.testing.assert_allclose(x.grad.numpy(), 3 * 10 * 2 * y.data)


def test_hook_with_create_graph_is_differentiable():
    x = f64(2.0)
    y = x * x
    handle = y.register_hook(lambda grad: grad * y)           # uses a graph value
    (g,) = cr.autograd.grad(y * 1.0, x, create_graph=True)   # g = y * 2x = 2 x^3
    assert g.item() == pytest.approx(16.0)
    handle.remove()                     # (hooks stay on the tensor: they would apply again)
    (gg,) = cr.autograd.grad(g, x)
    assert gg.item() == pytest.approx(24.0)


def test_hook_returning_wrong_shape_raises():
    x = f64([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda grad: grad.sum())
    with pytest.raises(RuntimeError, match=r"shape \(\) for a tensor of shape \(2,\)"):
        y.sum().backward()


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf():
    x = f64([1.0, -1.0])
    y = x * 2
    z = y * y
    y.retain_grad()
    assert y.retains_grad
    w = cr.tanh(z)                      # not retained
    w.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), (1 - np.tanh(z.data) ** 2) * 2 * y.data)
    with pytest.warns(UserWarning, match="retain_grad"):   # (non-leaves: as PyTorch)
        assert w.grad is None and z.grad is None
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy() * 2)


def test_retain_grad_sees_hook_modified_gradient():
    x = f64([1.0, 2.0])
    y = x * 3
    y.register_hook(lambda grad: grad * 10)
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 10 * 2 * y.data)


# ---------------------------------------------------------------- grad modes

def test_no_grad_and_enable_grad_context_managers():
    x = f64(1.0)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            z = x * 2
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf


def test_grad_modes_as_decorators():
    x = f64(1.0)

    @cr.no_grad()
    def a():
        return x * 2

    @cr.no_grad
    def b():
        return x * 2

    @cr.enable_grad()
    def c():
        return x * 2

    assert not a().requires_grad and not b().requires_grad
    with cr.no_grad():
        assert c().requires_grad
    assert a.__name__ == "a" and cr.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError("boom")
    assert cr.is_grad_enabled()


def test_set_grad_enabled_context_call_and_decorator():
    x = f64(1.0)
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with cr.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert cr.is_grad_enabled()
    try:
        cr.set_grad_enabled(False)          # a plain call switches the mode (PyTorch)
        assert not cr.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()

    @cr.set_grad_enabled(False)
    def f():
        return x * 2

    assert cr.is_grad_enabled()
    assert not f().requires_grad
    assert cr.is_grad_enabled()


# ---------------------------------------------------------------- detect_anomaly

def _line_of(marker):
    with open(__file__) as fh:
        for number, line in enumerate(fh, 1):
            if marker in line and "_line_of" not in line:
                return number
    raise AssertionError(marker)


def test_detect_anomaly_nan_in_forward_names_op_and_user_line():
    x = f64([-1.0, 1.0])
    with cr.detect_anomaly():
        assert cr.is_anomaly_enabled()
        with pytest.raises(FloatingPointError) as info:
            cr.log(x)  # ANOMALY-FORWARD
    msg = str(info.value)
    assert "log" in msg and "NaN" in msg
    assert f"{__file__}:{_line_of('ANOMALY-FORWARD')}" in msg
    assert not cr.is_anomaly_enabled()
    assert np.isnan(cr.log(x).data[0])  # no checking outside the block


def test_detect_anomaly_inf_in_backward_names_op_and_creation_line():
    x = f64([0.0, 4.0])
    with cr.detect_anomaly():
        y = cr.sqrt(x)  # ANOMALY-BACKWARD
        with pytest.raises(FloatingPointError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "sqrt" in msg and "Inf" in msg
    assert f"{__file__}:{_line_of('ANOMALY-BACKWARD')}" in msg


class _NaNBackward(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_detect_anomaly_nan_in_backward():
    x = f64([1.0])
    with cr.detect_anomaly():
        y = _NaNBackward.apply(x)  # ANOMALY-NAN
        with pytest.raises(FloatingPointError) as info:
            (y * 3).sum().backward()
    msg = str(info.value)
    assert "_NaNBackward" in msg and "NaN" in msg
    assert f"{__file__}:{_line_of('ANOMALY-NAN')}" in msg
    y = _NaNBackward.apply(x)       # without the mode: NaN flows silently
    y.sum().backward()
    assert np.isnan(x.grad.item())


def test_detect_anomaly_inf_gradient_from_multiply():
    x = f64([1.0])
    with cr.detect_anomaly():
        y = x * cr.tensor(np.array([np.inf]))  # ANOMALY-MUL
        with pytest.raises(FloatingPointError, match="multiply.*Inf") as info:
            y.sum().backward()
    assert f"{__file__}:{_line_of('ANOMALY-MUL')}" in str(info.value)


def test_detect_anomaly_as_decorator():
    @cr.detect_anomaly()
    def f(x):
        return cr.log(x)

    with pytest.raises(FloatingPointError, match="log"):
        f(f64([-1.0]))


# ---------------------------------------------------------------- higher order, autograd.grad

def test_create_graph_double_backward():
    x = f64([0.5, -1.0, 2.0])
    y = (x ** 3).sum()
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.data)


def test_backward_create_graph_makes_grad_differentiable():
    x = f64(1.5)
    y = cr.sin(x) * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (gg,) = cr.autograd.grad(g, x)
    expected = 2 * np.cos(1.5) - 1.5 * np.sin(1.5)
    assert gg.item() == pytest.approx(expected)


def test_third_derivative_through_autograd_grad():
    x = f64(0.7)
    y = cr.exp(2 * x)
    (d1,) = cr.autograd.grad(y, x, create_graph=True)
    (d2,) = cr.autograd.grad(d1, x, create_graph=True)
    (d3,) = cr.autograd.grad(d2, x)
    assert d3.item() == pytest.approx(8 * np.exp(1.4))


def test_autograd_grad_with_non_leaf_inputs():
    x = f64([1.0, 2.0])
    h = x * 3
    z = (h * h).sum() + x.sum()
    gh, gx = cr.autograd.grad(z, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.data)
    np.testing.assert_allclose(gx.numpy(), 6 * h.data + 1)   # total derivative through h
    with pytest.warns(UserWarning, match="retain_grad"):   # (h is a non-leaf: as PyTorch)
        assert x.grad is None and h.grad is None


def test_autograd_grad_multiple_outputs_and_grad_outputs():
    x = f64([1.0, 2.0])
    a, b = x * 2, x * x
    (g,) = cr.autograd.grad([a, b], x, grad_outputs=[np.array([1.0, 1.0]),
                                                      cr.tensor(np.array([0.5, -1.0]))])
    np.testing.assert_allclose(g.numpy(), 2 + 2 * x.data * [0.5, -1.0])


def test_autograd_grad_grad_output_shape_mismatch():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        cr.autograd.grad(x * 2, x, grad_outputs=np.ones(3))


# ---------------------------------------------------------------- in place on non-leaf tensors

def _inplace_program(x, y):
    t = x * 2
    t += 1
    t *= y
    t[1] = y[0] * 3
    t /= x + 1
    t -= y
    t[0:2] *= 2
    t **= 2
    return t.sum()


def test_inplace_ops_on_non_leaf_match_finite_differences():
    x0, y0 = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    x, y = f64(x0), f64(y0)
    out = _inplace_program(x, y)
    out.backward()
    with cr.no_grad():
        value = lambda a, b: _inplace_program(f64(a, False), f64(b, False)).item()  # noqa: E731
    assert out.item() == pytest.approx(value(x0, y0))
    np.testing.assert_allclose(x.grad.numpy(), numerical_grad(lambda a: value(a, y0), x0),
                               rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), numerical_grad(lambda b: value(x0, b), y0),
                               rtol=1e-6)


def test_inplace_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    x0, y0 = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    x, y = f64(x0), f64(y0)
    _inplace_program(x, y).backward()
    tx = torch.tensor(x0, requires_grad=True)
    ty = torch.tensor(y0, requires_grad=True)
    _inplace_program(tx, ty).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-12)


def test_inplace_after_op_that_keeps_its_output():
    x = f64([0.5, 1.0])
    e = cr.exp(x)
    e += 1                              # exp's backward still sees its own output
    e *= x
    e.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.data) * x.data + np.exp(x.data) + 1)


def test_inplace_setitem_with_tensor_requiring_grad_on_constant():
    v = f64(2.0)
    t = cr.zeros(3, dtype=np.float64)
    t[1] = v * v
    assert t.requires_grad and not t.is_leaf
    (t * cr.tensor(np.array([1.0, 5.0, 1.0]))).sum().backward()
    assert v.grad.item() == pytest.approx(20.0)


def test_fill_and_zero_cut_the_history():
    x = f64([1.0, 2.0])
    t = x * 3
    t.zero_()
    assert not t.requires_grad
    np.testing.assert_array_equal(t.data, [0.0, 0.0])
    v = f64(4.0)
    u = x * 1
    u.fill_(v)
    (u * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])   # only the explicit use of x
    assert v.grad.item() == pytest.approx(3.0)


def test_inplace_version_counter():
    t = cr.zeros(3)
    assert t._version == 0
    t += 1
    t[0] = 5
    t.mul_(2)
    t.zero_()
    assert t._version == 4


def test_inplace_result_dtype_rules():
    t = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="float64.*int64"):
        t += cr.tensor(np.array([0.5, 0.5, 0.5]))
    f = cr.tensor([1.0, 2.0])
    f += cr.tensor(np.array([0.5, 0.5]))    # float64 into float32 is same-kind
    assert f.dtype == np.float32
    np.testing.assert_allclose(f.data, [1.5, 2.5])
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*shape \(2,\)"):
        f += cr.ones(2, 2)


def test_inplace_through_a_slice_of_a_tensor_whose_op_kept_its_output():
    # PyTorch raises here (exp's saved output was overwritten); chainrule never overwrites a
    # buffer the graph has seen while recording, so the gradient is simply right.
    x0 = np.array([0.5, 1.0, 1.5])
    x = f64(x0)
    t = cr.exp(x)
    t[0:2] *= 2
    (t * t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x0) * np.array([4.0, 4.0, 1.0]))


def test_recorded_inplace_leaves_views_of_the_old_value_intact():
    x = f64([0.5, 1.0, 1.5])
    t = x * 2
    v = t[0:2]                          # a NumPy view of t's buffer
    z = (v * v).sum()                   # multiply saved v
    t += 1                              # recorded: t gets a fresh buffer
    np.testing.assert_array_equal(v.data, [1.0, 2.0])       # (documented: views keep the old value)
    np.testing.assert_array_equal(t.data, [2.0, 3.0, 4.0])
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 0.0])


def test_unrecorded_write_into_a_kept_output_buffer_raises():
    x = f64([0.5, 1.0])
    t = cr.exp(x)
    t += 1                              # recorded: t is now the output of add (keeps nothing)
    s = cr.sqrt(t)                      # sqrt keeps its output
    with cr.no_grad():
        s[0] = 5.0                      # a plain write into that output
    with pytest.raises(RuntimeError, match=r"sqrt: .*its output.*version 1; expected version 0"):
        s.sum().backward()


def test_retain_grad_follows_inplace_modification():
    x = f64([1.0, 2.0])
    t = x * 1
    t.retain_grad()
    t *= 3
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * t.data)   # gradient of the new value


@pytest.mark.parametrize("fn, derivative", [
    (lambda x: 1.0 / x, lambda v: -1.0 / v ** 2),
    (lambda x: 2.0 - cr.sin(x), lambda v: -np.cos(v)),
    (lambda x: -(x * x) / 3.0, lambda v: -2.0 * v / 3.0),
    (lambda x: cr.exp(x * 3.0) + 1.0 / cr.log(x),
     lambda v: 3 * np.exp(3 * v) - 1 / (v * np.log(v) ** 2)),
], ids=["rdiv", "rsub-sin", "neg-div", "staged"])
def test_zero_dim_float64_gradients_keep_float64_precision(fn, derivative):
    # NumPy turns arithmetic on 0-d arrays into NumPy scalars inside the backward pass;
    # they are float64 data, not weak Python numbers, and must not be rounded to float32.
    x = f64(np.float64(1.7))
    fn(x).backward()
    assert x.grad.dtype == np.float64
    assert x.grad.item() == pytest.approx(derivative(1.7), rel=1e-14)


def test_grad_mode_is_per_thread():
    import threading

    seen = {}

    def worker():
        x = f64([1.0])
        seen["enabled"] = cr.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad

    with cr.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not cr.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}


def test_inplace_write_through_detach_is_seen_by_the_version_counter():
    x = f64([1.0, 2.0])
    e = cr.exp(x)                       # keeps its output
    e.detach().zero_()                  # the same buffer
    with pytest.raises(RuntimeError, match=r"exp: .*its output.*version 1; expected version 0"):
        e.sum().backward()
    h = x * 1
    m = h * h                           # keeps h as an input
    h.detach()[0] = 5.0
    with pytest.raises(RuntimeError, match=r"multiply: .*input 0.*version 1; expected version 0"):
        m.sum().backward()
    d = cr.tensor([1.0, 2.0]).detach()  # nothing to protect: plain NumPy write
    d += 1
    np.testing.assert_array_equal(d.data, [2.0, 3.0])
