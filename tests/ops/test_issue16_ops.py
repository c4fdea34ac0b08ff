"""Issue 16: op findings (3: stable gradients; 13: diff with a huge n; 14: TypeErrors that
name the op; 15: one dtype gate for results; 16: messages that name the public op)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F

INF = np.inf


# --------------------------------------------------------------------------- 3
def _grads(fn, a, b, dtype=np.float32):
    x = cr.tensor(np.array(a, dtype), requires_grad=True)
    y = cr.tensor(np.array(b, dtype), requires_grad=True)
    out = fn(x, y)
    out.backward(cr.ones(out.shape, dtype=dtype))   # (a sum of them would overflow)
    return x.grad.data, y.grad.data


@pytest.mark.parametrize("fn", [cr.logaddexp, cr.logaddexp2])
def test_f16_3_logaddexp_backward_large_equal_inputs(fn):
    for value in (1e7, 1e8, 3e38):
        gx, gy = _grads(fn, [value, value], [value, value])
        assert gx.dtype == np.float32
        np.testing.assert_array_equal(gx, [0.5, 0.5])
        np.testing.assert_array_equal(gy, [0.5, 0.5])


@pytest.mark.parametrize("fn", [cr.logaddexp, cr.logaddexp2])
def test_f16_3_logaddexp_backward_at_infinity(fn):
    gx, gy = _grads(fn, [INF, -INF, INF, -INF, 1.0], [1.0, 1.0, INF, -INF, -INF])
    np.testing.assert_array_equal(gx, [1, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(gy, [0, 1, 0.5, 0.5, 0])


def test_f16_3_logaddexp_backward_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.array([1e7, 1e8, INF, -INF, 3.0, -2.0], np.float32)
    b = np.array([1e7, 1e8, 1.0, 1.0, 1.0, 5.0], np.float32)
    for ours, theirs in ((cr.logaddexp, torch.logaddexp), (cr.logaddexp2, torch.logaddexp2)):
        gx, gy = _grads(ours, a, b)
        tx = torch.tensor(a, requires_grad=True)
        ty = torch.tensor(b, requires_grad=True)
        theirs(tx, ty).sum().backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-6)


def test_f16_3_logaddexp_second_order_still_exact():
    x = cr.tensor([0.3, -1.0], dtype=np.float64, requires_grad=True)
    y = cr.tensor([0.3, 2.0], dtype=np.float64)
    assert cr.gradcheck(lambda x: cr.logaddexp(x, y), (x,))
    assert cr.gradcheck(lambda x: cr.logaddexp2(x, y), (x,))
    (g,) = cr.autograd.grad(cr.logaddexp(x, y).sum(), x, create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-(x.data - y.data)))
    np.testing.assert_allclose(h.data, s * (1 - s))


def test_f16_3_huber_loss_gradient_at_infinity():
    x = cr.tensor([INF, -INF, 0.5, 3.0], requires_grad=True)
    F.huber_loss(x, cr.zeros(4), reduction="sum", delta=2.0).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -2.0, 0.5, 2.0])
    x = cr.tensor([INF, -INF, 0.5, 3.0], requires_grad=True)
    F.smooth_l1_loss(x, cr.zeros(4), reduction="sum", beta=2.0).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, -1.0, 0.25, 1.0])


def test_f16_3_huber_loss_matches_torch_at_infinity():
    torch = pytest.importorskip("torch")
    a = np.array([INF, -INF, 0.5, 3.0, -0.2], np.float32)
    x = cr.tensor(a, requires_grad=True)
    F.huber_loss(x, cr.zeros(5), delta=1.5).backward()
    t = torch.tensor(a, requires_grad=True)
    torch.nn.functional.huber_loss(t, torch.zeros(5), delta=1.5).backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6)


def test_f16_3_normalize_huge_float64():
    x = cr.tensor(np.array([1e300]), requires_grad=True)
    out = F.normalize(x, dim=0)
    np.testing.assert_array_equal(out.data, [1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0])
    rows = np.array([[1e300, 1e300], [3.0, 4.0], [INF, 1.0], [0.0, 0.0]])
    norms = cr.norm(cr.tensor(rows), axis=1).data
    np.testing.assert_allclose(norms, [np.sqrt(2) * 1e300, 5.0, INF, 0.0])
    np.testing.assert_allclose(cr.norm(np.float32([3e30, 4e30])).data, 5e30, rtol=1e-6)


def test_f16_3_normalize_matches_torch_huge():
    torch = pytest.importorskip("torch")
    for a, dim in ((np.array([1e300]), 0), (np.array([[1e300], [-1e300], [1e-3]]), 1)):
        ours = F.normalize(cr.tensor(a), dim=dim).data
        theirs = torch.nn.functional.normalize(torch.tensor(a), dim=dim).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    # where PyTorch's own sum of squares overflows too, the scaled norm is still right
    ours = F.normalize(cr.tensor(np.array([[1e300, -2e300]])), dim=1).data
    np.testing.assert_allclose(ours, [[1 / np.sqrt(5), -2 / np.sqrt(5)]])
