"""cr.Function: custom operators with backward, jvp, ctx state, tuple outputs, higher order."""
import math

import numpy as np
import pytest

import chainrule as cr


class Log1pExp(cr.Function):
    """Exactly the example of API.md §3."""

    @staticmethod
    def forward(ctx, x):
        e = cr.exp(x)
        ctx.save_for_backward(e)
        return cr.log(1 + e)

    @staticmethod
    def backward(ctx, dy):
        (e,) = ctx.saved_tensors
        return dy * (1 - 1 / (1 + e)) if ctx.needs_input_grad[0] else None


def f64(value, requires_grad=True):
    return cr.tensor(np.asarray(value, dtype=np.float64), requires_grad=requires_grad)


def test_log1pexp_as_in_the_api():
    x = f64([-2.0, 0.0, 4.5])
    y = Log1pExp.apply(x)
    np.testing.assert_allclose(y.data, np.log1p(np.exp(x.data)))
    assert not y.is_leaf and y.grad_fn.name == "Log1pExp"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)))
    assert cr.gradcheck(Log1pExp.apply, (f64([-1.0, 0.5, 3.0]),))
    assert cr.grad(lambda v: Log1pExp.apply(v))(4.5) == pytest.approx(1 / (1 + math.exp(-4.5)))


def test_forward_records_no_graph_and_sees_tensors():
    seen = {}

    class Probe(cr.Function):
        @staticmethod
        def forward(ctx, x):
            seen["grad_enabled"] = cr.is_grad_enabled()
            seen["type"] = type(x)
            out = x * 2
            seen["out_requires_grad"] = out.requires_grad
            return out

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Probe.apply(f64([1.0]))
    assert seen == {"grad_enabled": False, "type": cr.Tensor, "out_requires_grad": False}
    assert y.requires_grad and cr.is_grad_enabled()


def test_ctx_attributes_visible_in_backward_and_jvp():
    calls = []

    class Scale(cr.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            ctx.tag = "scale"
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            calls.append(("backward", ctx.factor, ctx.tag))
            return grad * ctx.factor, None

        @staticmethod
        def jvp(ctx, tangent_x, tangent_factor):
            calls.append(("jvp", ctx.factor, ctx.tag))
            return tangent_x * ctx.factor

    x = f64([1.0, 2.0])
    Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    _, tangent = cr.jvp(lambda v: Scale.apply(v, 3.0), (np.array([1.0, 2.0]),),
                        (np.array([1.0, -1.0]),))
    np.testing.assert_allclose(tangent, [3.0, -3.0])
    assert calls == [("backward", 3.0, "scale"), ("jvp", 3.0, "scale")]


def test_needs_input_grad_and_none_gradients():
    record = []

    class MulAdd(cr.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            record.append(("forward", ctx.needs_input_grad))   # known in forward, as PyTorch
            ctx.save_for_backward(a, b)
            return a * b + c

        @staticmethod
        def backward(ctx, grad):
            record.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None,
                    None)                       # c never gets a gradient

    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    c = f64([5.0, 6.0])
    out = MulAdd.apply(a, b, c)
    np.testing.assert_allclose(out.data, [8.0, 14.0])
    out.sum().backward()
    assert record == [("forward", (True, False, True)), (True, False, True)]
    np.testing.assert_allclose(a.grad.data, [3.0, 4.0])
    assert b.grad is None and c.grad is None


def test_saved_tensors_returns_what_was_saved():
    class Keep(cr.Function):
        @staticmethod
        def forward(ctx, x, y):
            z = x + y
            ctx.save_for_backward(x, z, y)
            return z * z

        @staticmethod
        def backward(ctx, grad):
            x, z, y = ctx.saved_tensors
            np.testing.assert_allclose(x.data, [1.0, 2.0])
            np.testing.assert_allclose(y.data, [3.0, 4.0])
            np.testing.assert_allclose(z.data, [4.0, 6.0])
            return grad * 2 * z, grad * 2 * z

    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    Keep.apply(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [8.0, 12.0])


def test_backward_must_return_one_gradient_per_input():
    class Bad(cr.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradients.*2 inputs"):
        Bad.apply(f64([1.0]), f64([2.0])).sum().backward()


def test_backward_twice_through_a_function_raises():
    x = f64([1.0])
    y = Log1pExp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


class SinCos(cr.Function):
    """Two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cr.sin(x), cr.cos(x)

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * cr.cos(x) - grad_cos * cr.sin(x)


def test_tuple_outputs():
    x = f64([0.3, 1.2])
    s, c = SinCos.apply(x)
    np.testing.assert_allclose(s.data, np.sin(x.data))
    np.testing.assert_allclose(c.data, np.cos(x.data))
    assert s.shape == (2,) and c.shape == (2,)
    (3 * s + c * c).sum().backward()
    np.testing.assert_allclose(x.grad.data,
                               3 * np.cos(x.data) - 2 * np.cos(x.data) * np.sin(x.data))
    x.grad = None
    s, _ = SinCos.apply(x)
    s.sum().backward()                  # an unused output gets a zero gradient
    np.testing.assert_allclose(x.grad.data, np.cos(x.data))
    assert cr.gradcheck(SinCos.apply, (f64([0.3, -0.4]),))


def test_tuple_outputs_keep_their_shapes_and_dtypes():
    class Stats(cr.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.n = x.shape[0]
            return x.sum(axis=0), cr.tensor(np.argmax(x.data, axis=0))

        @staticmethod
        def backward(ctx, grad_sum, grad_index):
            return cr.broadcast_to(grad_sum, (ctx.n,) + tuple(grad_sum.shape))

    x = f64(np.arange(6.0).reshape(3, 2))
    total, index = Stats.apply(x)
    assert total.requires_grad and not index.requires_grad
    assert total.shape == (2,) and total.dtype == np.float64
    assert index.shape == (2,) and index.dtype == np.int64
    np.testing.assert_array_equal(index.data, [2, 2])
    total.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.ones((3, 2)))


class Cube(cr.Function):
    """x^3 with a backward written in differentiable ops: higher order works through it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_double_backward_through_differentiable_backward():
    x = f64([0.5, -2.0])
    y = Cube.apply(x).sum()
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    (gg,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data)
    assert cr.gradgradcheck(Cube.apply, (f64([0.5, -1.5, 2.0]),))
    assert cr.grad(cr.grad(lambda v: Cube.apply(v)))(2.0) == pytest.approx(12.0)
    np.testing.assert_allclose(cr.hessian(lambda v: cr.sum(Cube.apply(v)))(np.array([1.0, 2.0])),
                               np.diag([6.0, 12.0]))


def test_gradgradcheck_through_function_with_two_inputs_and_outputs():
    class Mix(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b * b

        @staticmethod
        def backward(ctx, grad_prod, grad_sum):
            a, b = ctx.saved_tensors
            return grad_prod * b + grad_sum, grad_prod * a + grad_sum * 2 * b

    inputs = (f64([1.0, 2.0]), f64([-0.5, 3.0]))
    assert cr.gradcheck(Mix.apply, inputs)
    assert cr.gradgradcheck(Mix.apply, inputs)


class SinWithJvp(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cr.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cr.cos(x)

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return tangent * cr.cos(x)


def test_forward_mode_with_explicit_jvp():
    x0, t0 = np.array([0.2, 1.1]), np.array([1.0, -2.0])
    out, tangent = cr.jvp(SinWithJvp.apply, (x0,), (t0,))
    np.testing.assert_allclose(out, np.sin(x0))
    np.testing.assert_allclose(tangent, np.cos(x0) * t0)
    np.testing.assert_allclose(cr.jacfwd(SinWithJvp.apply)(x0), np.diag(np.cos(x0)))
    assert cr.gradcheck(SinWithJvp.apply, (x0,))          # includes the forward-mode check


def test_forward_mode_derived_by_transposing_the_vjp_matches_finite_differences():
    x0, t0 = np.array([0.2, 1.1, -0.7]), np.array([1.0, -2.0, 0.5])
    eps = 1e-6
    with cr.no_grad():
        plus = Log1pExp.apply(cr.tensor(x0 + eps * t0)).data
        minus = Log1pExp.apply(cr.tensor(x0 - eps * t0)).data
    numerical = (plus - minus) / (2 * eps)
    out, tangent = cr.jvp(Log1pExp.apply, (x0,), (t0,))
    np.testing.assert_allclose(tangent, numerical, rtol=1e-7)
    _, tangent = cr.jvp(Cube.apply, (x0,), (t0,))
    np.testing.assert_allclose(tangent, 3 * x0 ** 2 * t0)
    # Two inputs, two outputs, through the derived rule:
    s, c = cr.jvp(SinCos.apply, (x0,), (t0,))[1]
    np.testing.assert_allclose(s, np.cos(x0) * t0)
    np.testing.assert_allclose(c, -np.sin(x0) * t0)
    # jacfwd through the derived rule equals jacrev:
    np.testing.assert_allclose(cr.jacfwd(Log1pExp.apply)(x0), cr.jacrev(Log1pExp.apply)(x0))


def test_derived_forward_mode_refuses_a_numpy_backward():
    class NumpyBackward(cr.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return cr.tensor(2 * x.data * np.asarray(grad.data))   # leaves chainrule

    x = f64([1.0, 2.0])
    NumpyBackward.apply(x).sum().backward()                        # reverse mode is fine
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match="NumpyBackward.*jvp"):
        cr.jvp(NumpyBackward.apply, (np.array([1.0]),), (np.array([1.0]),))


def test_function_composes_with_transforms_and_nesting():
    f = lambda v: cr.sum(Cube.apply(cr.sin(v)))  # noqa: E731
    x0 = np.array([0.4, -0.9])
    np.testing.assert_allclose(cr.grad(f)(x0), 3 * np.sin(x0) ** 2 * np.cos(x0))
    H = cr.hessian(f)(x0)
    d2 = 6 * np.sin(x0) * np.cos(x0) ** 2 - 3 * np.sin(x0) ** 3
    np.testing.assert_allclose(H, np.diag(d2), atol=1e-12)


def test_saved_tensors_are_freed_after_backward():
    import gc
    import weakref

    kept = []

    class Remember(cr.Function):
        @staticmethod
        def forward(ctx, x):
            e = cr.exp(x)
            kept.append(weakref.ref(e.data))
            ctx.save_for_backward(e)
            return e * 2

        @staticmethod
        def backward(ctx, grad):
            (e,) = ctx.saved_tensors
            return grad * 2 * e

    x = f64(np.arange(3.0))
    y = Remember.apply(x).sum()
    gc.collect()
    assert kept[0]() is not None
    y.backward(retain_graph=True)
    gc.collect()
    assert kept[0]() is not None            # retained for a second backward
    y.backward()
    gc.collect()
    assert kept[0]() is None
    np.testing.assert_allclose(x.grad.data, 2 * 2 * np.exp(x.data))


def test_mark_non_differentiable():
    class SortWithIndices(cr.Function):
        @staticmethod
        def forward(ctx, x):
            order = np.argsort(x.data)
            ctx.order = order
            values = cr.tensor(x.data[order])
            ranks = cr.tensor(order.astype(np.float64))
            ctx.mark_non_differentiable(ranks)
            return values, ranks

        @staticmethod
        def backward(ctx, grad_values, grad_ranks):
            grad = np.zeros(grad_values.shape)
            grad[ctx.order] = grad_values.data      # backward receives Tensors
            return cr.tensor(grad)

    x = f64([3.0, 1.0, 2.0])
    values, ranks = SortWithIndices.apply(x)
    assert values.requires_grad and not ranks.requires_grad
    np.testing.assert_array_equal(ranks.data, [1.0, 2.0, 0.0])
    (values * cr.tensor(np.array([1.0, 10.0, 100.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [100.0, 1.0, 10.0])
