"""Linear, Bilinear, Identity and F.linear: values, initialisation, gradients (all orders), errors."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

rng = np.random.default_rng(0)


def _t(*shape):
    return cr.tensor(rng.standard_normal(shape))


def test_linear_forward_matches_numpy_for_any_batch_shape():
    lin = nn.Linear(4, 3)
    w, b = lin.weight.data, lin.bias.data
    for shape in ((4,), (5, 4), (2, 5, 4)):
        x = rng.standard_normal(shape).astype(np.float32)
        out = lin(cr.tensor(x))
        assert out.shape == shape[:-1] + (3,) and out.dtype == np.float32
        np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-5, atol=1e-6)
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]
    x = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(no_bias(cr.tensor(x)).data, x @ no_bias.weight.data.T, rtol=1e-5)


def test_linear_default_init_is_pytorch_kaiming_uniform():
    cr.manual_seed(0)
    lin = nn.Linear(200, 100)
    bound = 1 / math.sqrt(200)   # kaiming_uniform(a=sqrt(5)) on fan_in = 200
    assert lin.weight.shape == (100, 200) and lin.bias.shape == (100,)
    assert np.abs(lin.weight.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.95 * bound
    assert lin.weight.data.var() == pytest.approx(bound ** 2 / 3, rel=0.05)
    assert np.abs(lin.bias.data).max() <= bound
    cr.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(200, 100).weight.data, lin.weight.data)


def test_linear_dtype_option_and_integer_input():
    lin = nn.Linear(3, 2, dtype=np.float64)
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    out = lin(cr.tensor([[1, 2, 3]]))   # integer inputs are cast to the weight's dtype
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, np.array([[1, 2, 3]]) @ lin.weight.data.T + lin.bias.data)
    with pytest.raises(ValueError, match="non-negative int"):
        nn.Linear(2.5, 3)


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_input_weight_bias(shape, bias):
    x, w, b = _t(*shape), _t(2, 3), _t(2)
    if bias:
        assert cr.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    else:
        assert cr.gradcheck(lambda x, w: F.linear(x, w), (x, w))


@pytest.mark.parametrize("shape", [(4, 3), (2, 2, 3)])
def test_linear_gradgradcheck(shape):
    assert cr.gradgradcheck(lambda x, w, b: F.linear(x, w, b), (_t(*shape), _t(2, 3), _t(2)))


def test_linear_module_gradients_accumulate_into_parameters():
    lin = nn.Linear(3, 2, dtype=np.float64)
    x = rng.standard_normal((5, 3))
    (lin(cr.tensor(x)) ** 2).sum().backward()
    y = x @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(lin.weight.grad.data, 2 * y.T @ x)
    np.testing.assert_allclose(lin.bias.grad.data, 2 * y.sum(0))
    assert lin.weight.grad.dtype == np.float64


def test_linear_forward_mode_matches_reverse_mode():
    w, b = _t(2, 3), _t(2)
    x = _t(4, 3)
    jac_fwd = cr.jacfwd(lambda w: F.linear(x, w, b))(w)
    jac_rev = cr.jacrev(lambda w: F.linear(x, w, b))(w)
    np.testing.assert_allclose(np.asarray(jac_fwd), np.asarray(jac_rev), atol=1e-12)


def test_linear_error_suggests_flatten_for_images():
    lin = nn.Linear(784, 10)
    with pytest.raises(ValueError) as info:
        lin(cr.zeros(8, 1, 28, 28))
    msg = str(info.value)
    assert "Linear(in_features=784): input has 28 features on its last axis" in msg
    assert "did you forget Flatten?" in msg and "(8, 1, 28, 28)" in msg
    with pytest.raises(ValueError, match="expected 784") as info:
        lin(cr.zeros(8, 100))
    assert "Flatten" not in str(info.value)
    with pytest.raises(ValueError, match="transposed"):
        nn.Linear(5, 2)(cr.zeros(5, 8))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\) does not fit weight"):
        F.linear(cr.zeros(2, 3), cr.zeros(4, 5))
    with pytest.raises(ValueError, match="bias"):
        F.linear(cr.zeros(2, 3), cr.zeros(4, 3), cr.zeros(3))


def test_identity_returns_input():
    x = cr.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


def test_bilinear_values_and_gradcheck():
    bl = nn.Bilinear(3, 2, 4, dtype=np.float64)
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    expected = np.einsum("ni,kij,nj->nk", x1, bl.weight.data, x2) + bl.bias.data
    np.testing.assert_allclose(bl(cr.tensor(x1), cr.tensor(x2)).data, expected)
    assert cr.gradcheck(lambda a, b, w, c: F.bilinear(a, b, w, c),
                        (_t(2, 3), _t(2, 2), _t(4, 3, 2), _t(4)))
    with pytest.raises(ValueError, match="Bilinear"):
        bl(cr.zeros(5, 2), cr.zeros(5, 2))


def test_mlp_learns_xor_with_plain_gradient_descent():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    x = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = cr.tensor([0, 1, 1, 0])
    first = None
    for _ in range(300):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        with cr.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.05 < first
    np.testing.assert_array_equal(model(x).data.argmax(1), [0, 1, 1, 0])
