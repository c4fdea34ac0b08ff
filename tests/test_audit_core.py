"""Regression tests from an audit of the core contract against PyTorch / NumPy.

Each test pins a discrepancy that was found and fixed:
- clip of an integer tensor with Python-float bounds was float64 (weak scalars: default dtype);
- logsumexp of an integer tensor was float64 (integer inputs: default float dtype, like mean);
- Tensor.norm / sort / flip did not accept PyTorch's ``dim=`` / ``keepdim=`` / ``dims=``;
- maximum / minimum sent the gradient of a NaN output to the *other* (non-NaN) input.
"""
import numpy as np
import pytest

import chainrule as cr


# --------------------------------------------------------------------------- clip dtype
def test_clip_int_tensor_float_bounds_is_default_float():
    x = cr.tensor([0, 1, 2, 3])
    y = cr.clip(x, 0.5, 2.5)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), np.array([0.5, 1.0, 2.0, 2.5], np.float32))
    assert x.clip(0.5, 2.5).dtype == np.float32


def test_clip_int_tensor_int_bounds_stays_int_and_float64_array_bound_promotes():
    x = cr.tensor([0, 1, 2, 3])
    assert cr.clip(x, 1, 2).dtype == np.int64
    np.testing.assert_array_equal(cr.clip(x, 1, 2).numpy(), [1, 1, 2, 2])
    bound = np.array([0.5, 0.5, 0.5, 0.5])  # a float64 ndarray keeps its dtype
    assert cr.clip(x, bound, None).dtype == np.float64


def test_clip_int_tensor_float_bounds_matches_torch():
    torch = pytest.importorskip("torch")
    values = [-3, 0, 4, 9]
    ours = cr.clip(cr.tensor(values), -1.5, 5.25)
    theirs = torch.clamp(torch.tensor(values), -1.5, 5.25)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# --------------------------------------------------------------------------- logsumexp dtype
def test_logsumexp_int_tensor_is_default_float():
    x = cr.tensor([[3, 4], [1, 1]])
    full = cr.logsumexp(x)
    rows = cr.logsumexp(x, axis=1, keepdims=True)
    assert full.dtype == np.float32 and rows.dtype == np.float32
    expected = np.log(np.exp([[3.0, 4.0], [1.0, 1.0]]).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(rows.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(full.item(), np.log(np.exp([3.0, 4.0, 1.0, 1.0]).sum()), rtol=1e-6)


def test_logsumexp_int_tensor_matches_torch():
    torch = pytest.importorskip("torch")
    values = [[3, 4, -2], [1, 1, 0]]
    ours = cr.logsumexp(cr.tensor(values), axis=1)
    theirs = torch.logsumexp(torch.tensor(values), dim=1)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# --------------------------------------------------------------------------- dim aliases
def test_tensor_norm_accepts_dim_and_keepdim():
    x = cr.tensor(np.array([[3.0, 4.0], [6.0, 8.0]]))
    np.testing.assert_allclose(x.norm(dim=1).numpy(), [5.0, 10.0])
    kept = x.norm(dim=0, keepdim=True)
    assert kept.shape == (1, 2)
    np.testing.assert_allclose(kept.numpy(), np.linalg.norm(x.numpy(), axis=0, keepdims=True))
    np.testing.assert_allclose(x.norm(1, dim=1).numpy(), [7.0, 14.0])


def test_tensor_sort_accepts_dim_and_flip_accepts_dims():
    data = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    x = cr.tensor(data)
    np.testing.assert_array_equal(x.sort(dim=0).numpy(), np.sort(data, axis=0))
    np.testing.assert_array_equal(x.sort(dim=1).numpy(), np.sort(data, axis=1))
    np.testing.assert_array_equal(x.flip(dims=(1,)).numpy(), data[:, ::-1])
    np.testing.assert_array_equal(x.flip(dims=0).numpy(), data[::-1])


def test_dim_aliases_differentiate():
    x = cr.tensor(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]]), requires_grad=True)
    (g,) = cr.autograd.grad((x.sort(dim=1) * cr.tensor(np.array([1.0, 2.0, 3.0]))).sum(), [x])
    np.testing.assert_array_equal(g.numpy(), [[3.0, 1.0, 2.0], [2.0, 3.0, 1.0]])
    (g,) = cr.autograd.grad(x.norm(dim=1).sum(), [x])
    expected = x.detach().numpy() / np.linalg.norm(x.detach().numpy(), axis=1, keepdims=True)
    np.testing.assert_allclose(g.numpy(), expected)


# --------------------------------------------------------------------------- maximum with NaN
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_extremum_nan_gets_the_gradient(op):
    a = cr.tensor(np.array([np.nan, 1.0, 2.0, np.nan]), requires_grad=True)
    b = cr.tensor(np.array([1.0, np.nan, 1.0, np.nan]), requires_grad=True)
    out = getattr(cr, op)(a, b)
    assert np.isnan(out.detach().numpy()[[0, 1, 3]]).all()
    ga, gb = cr.autograd.grad(out.sum(), [a, b])
    win_a = 1.0 if op == "maximum" else 0.0  # a=2 vs b=1 at index 2
    np.testing.assert_array_equal(ga.numpy(), [1.0, 0.0, win_a, 0.5])
    np.testing.assert_array_equal(gb.numpy(), [0.0, 1.0, 1.0 - win_a, 0.5])
    # forward mode agrees with reverse mode
    _, tangent = cr.jvp(lambda u, v: getattr(cr, op)(u, v),
                        (a.detach().numpy(), b.detach().numpy()), (np.ones(4), np.zeros(4)))
    np.testing.assert_array_equal(tangent, [1.0, 0.0, win_a, 0.5])


def test_fmax_nan_still_loses():
    a = cr.tensor(np.array([np.nan, 1.0]), requires_grad=True)
    b = cr.tensor(np.array([2.0, np.nan]), requires_grad=True)
    ga, gb = cr.autograd.grad(cr.fmax(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 0.0])


def test_maximum_nan_gradient_matches_torch_on_the_nan_input():
    torch = pytest.importorskip("torch")
    a_np = np.array([np.nan, 1.0, 3.0])
    a = cr.tensor(a_np, requires_grad=True)
    (ours,) = cr.autograd.grad(cr.maximum(a, 2.0).sum(), [a])
    at = torch.tensor(a_np, requires_grad=True)
    (theirs,) = torch.autograd.grad(torch.maximum(at, torch.tensor(2.0, dtype=torch.float64)).sum(), [at])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp"])
def test_function_reductions_accept_dim_and_keepdim(name):
    data = np.arange(6.0).reshape(2, 3) - 2.5
    x = cr.tensor(data, requires_grad=True)
    aliased = getattr(cr, name)(x, dim=1, keepdim=True)
    plain = getattr(cr, name)(x, axis=1, keepdims=True)
    assert aliased.shape == (2, 1)
    np.testing.assert_allclose(aliased.detach().numpy(), plain.detach().numpy())
    (g1,) = cr.autograd.grad(aliased.sum(), [x])
    (g2,) = cr.autograd.grad(plain.sum(), [x])
    np.testing.assert_allclose(g1.numpy(), g2.numpy())


def test_functions_with_torch_dim_keyword():
    data = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(data)
    np.testing.assert_array_equal(cr.cumsum(x, dim=1).numpy(), np.cumsum(data, axis=1))
    np.testing.assert_array_equal(cr.cat([x, x], dim=1).numpy(), np.concatenate([data, data], 1))
    np.testing.assert_array_equal(cr.stack([x, x], dim=2).numpy(), np.stack([data, data], 2))
    e = np.exp(data - data.max(axis=0))
    np.testing.assert_allclose(cr.softmax(x, dim=0).numpy(), e / e.sum(axis=0))
    np.testing.assert_allclose(cr.log_softmax(x, dim=0).numpy(), np.log(e / e.sum(axis=0)))
