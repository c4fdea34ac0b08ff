"""Worked examples from a backpropagation lecture, checked to the digit."""
import math

import numpy as np
import pytest

import chainrule as cr


def leaf(value):
    return cr.tensor(value, dtype=np.float64, requires_grad=True)


def test_add_multiply_circuit():
    # f = (x + y) * z at (-2, 5, -4): q = 3, f = -12; df/dx = df/dy = z = -4, df/dz = q = 3.
    x, y, z = leaf(-2.0), leaf(5.0), leaf(-4.0)
    f = (x + y) * z
    assert f.item() == -12.0
    f.backward()
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def test_sigmoid_neuron():
    w = [leaf(2.0), leaf(-3.0), leaf(-3.0)]
    x = [leaf(-1.0), leaf(-2.0)]
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1.0 + cr.exp(-dot))
    f.backward()
    # dot = 1, sigmoid(1) = 0.7310585..., local gradient (1 - s) s = 0.19661193...
    s = 1.0 / (1.0 + math.exp(-1.0))
    ddot = (1 - s) * s
    assert f.item() == pytest.approx(s, abs=1e-15)
    dw = [t.grad.item() for t in w]
    dx = [t.grad.item() for t in x]
    np.testing.assert_allclose(dw, [-ddot, -2 * ddot, ddot], rtol=1e-14)
    np.testing.assert_allclose(dx, [2 * ddot, -3 * ddot], rtol=1e-14)
    # The rounded numbers of the lecture.
    np.testing.assert_allclose(dw, [-0.196, -0.393, 0.196], atol=1e-3)
    np.testing.assert_allclose(dx, [0.393, -0.589], atol=1e-3)


def _y(x, z, lib):
    xz = x * z
    return lib.exp(xz) + xz / lib.log(x) + lib.sin(lib.log(x)) / xz


def _hand_gradient(x, z):
    """dy/dx and dy/dz of y = exp(xz) + xz/log(x) + sin(log x)/(xz), derived by hand.

    d/dx exp(xz)          = z exp(xz)
    d/dx [xz / log x]     = z / log x - z / log(x)^2                (quotient rule, d log x = 1/x)
    d/dx [sin(log x)/(xz)] = cos(log x)/(x^2 z) - sin(log x)/(x^2 z)
    d/dz exp(xz)          = x exp(xz)
    d/dz [xz / log x]     = x / log x
    d/dz [sin(log x)/(xz)] = -sin(log x)/(x z^2)
    """
    lx = math.log(x)
    dx = (z * math.exp(x * z) + z / lx - z / lx ** 2
          + math.cos(lx) / (x * x * z) - math.sin(lx) / (x * x * z))
    dz = x * math.exp(x * z) + x / lx - math.sin(lx) / (x * z * z)
    return dx, dz


def test_staged_expression_against_hand_derivation():
    x, z = leaf(2.0), leaf(3.0)
    y = _y(x, z, cr)
    assert y.item() == pytest.approx(_y(2.0, 3.0, math), rel=1e-15)
    y.backward()
    dx, dz = _hand_gradient(2.0, 3.0)
    assert x.grad.item() == pytest.approx(dx, rel=1e-13)
    assert z.grad.item() == pytest.approx(dz, rel=1e-13)
    # The same through the functional transform, on Python floats.
    gx, gz = cr.grad(lambda a, b: _y(a, b, cr), argnums=(0, 1))(2.0, 3.0)
    assert isinstance(gx, float) and isinstance(gz, float)
    assert (gx, gz) == pytest.approx((dx, dz), rel=1e-13)


def test_squared_norm_of_matrix_vector_product():
    W0 = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x0 = np.array([0.2, 0.4])
    W, x = leaf(W0), leaf(x0)
    q = W @ x
    f = cr.sum(q * q)
    f.backward()
    q0 = W0 @ x0
    np.testing.assert_allclose(q0, [0.22, 0.26])
    assert f.item() == pytest.approx(0.22 ** 2 + 0.26 ** 2, rel=1e-14)
    np.testing.assert_allclose(W.grad.numpy(), 2 * np.outer(q0, x0), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), 2 * W0.T @ q0, rtol=1e-14)
    np.testing.assert_allclose(W.grad.numpy(), [[0.088, 0.176], [0.104, 0.208]], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [-0.112, 0.636], rtol=1e-12)


class Log1pExp(cr.Function):
    @staticmethod
    def forward(ctx, x):
        e = cr.exp(x)
        ctx.save_for_backward(e)
        return cr.log(1 + e)

    @staticmethod
    def backward(ctx, dy):
        (e,) = ctx.saved_tensors
        return dy * (1 - 1 / (1 + e)) if ctx.needs_input_grad[0] else None


def test_log1pexp_function_gradient_is_sigmoid():
    x = leaf(4.5)
    y = Log1pExp.apply(x)
    assert y.item() == pytest.approx(math.log1p(math.exp(4.5)), rel=1e-15)
    (dx,) = cr.autograd.grad(y, x)
    assert dx.item() == pytest.approx(1 / (1 + math.exp(-4.5)), rel=1e-14)
    assert x.grad is None  # autograd.grad does not touch .grad


def test_log1pexp_function_in_float32():
    x = cr.tensor(4.5, requires_grad=True)
    y = Log1pExp.apply(x)
    (dx,) = cr.autograd.grad(y, x)
    assert dx.dtype == np.float32
    assert dx.item() == pytest.approx(1 / (1 + math.exp(-4.5)), rel=1e-6)
