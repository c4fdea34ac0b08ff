"""Activations: values against NumPy formulas, gradients (first and second order), subgradients
at kinks, modules and the name registry."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.nn import activations

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0, x)


# name, function, NumPy reference
CASES = [
    ("relu", F.relu, lambda x: np.maximum(x, 0)),
    ("relu6", F.relu6, lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    ("selu", F.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("celu", lambda x: F.celu(x, 1.5),
     lambda x: np.maximum(x, 0) + np.minimum(0, 1.5 * np.expm1(x / 1.5))),
    ("gelu", F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("sigmoid", F.sigmoid, _sigmoid),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("tanh", F.tanh, np.tanh),
    ("softplus", F.softplus, _softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, _softplus(2 * x) / 2)),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x))),
    ("silu", F.silu, lambda x: x * _sigmoid(x)),
    ("mish", F.mish, lambda x: x * np.tanh(_softplus(x))),
    ("logsigmoid", F.logsigmoid, lambda x: -_softplus(-x)),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x)),
    ("threshold", lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
    ("softmax", lambda x: F.softmax(x, dim=1),
     lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    ("softmin", lambda x: F.softmin(x, dim=0),
     lambda x: np.exp(-x) / np.exp(-x).sum(0, keepdims=True)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1),
     lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    ("glu", lambda x: F.glu(x, dim=1), lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
    ("linear", F.linear_activation, lambda x: x),
]


def _smooth_input(seed=0, shape=(3, 4)):
    """Random values away from every kink used above (0, +-3, 0.3, -0.5, 1.5, 6, thresholds)."""
    x = np.random.default_rng(seed).uniform(-4, 4, size=shape)
    kinks = np.array([0.0, 3.0, -3.0, 0.3, -0.5, 1.5, 6.0, 0.75])
    near = np.abs(x[..., None] - kinks).min(-1) < 0.05
    return np.where(near, x + 0.1, x)


@pytest.mark.parametrize("name, fn, reference", CASES, ids=[c[0] for c in CASES])
def test_forward_matches_numpy(name, fn, reference):
    x = _smooth_input()
    np.testing.assert_allclose(fn(cr.tensor(x)).data, reference(x), rtol=1e-10, atol=1e-12)
    out32 = fn(cr.tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, reference(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, fn, reference", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_and_gradgradcheck(name, fn, reference):
    x = cr.tensor(_smooth_input(seed=1, shape=(2, 4)))
    assert cr.gradcheck(fn, (x,))
    assert cr.gradgradcheck(fn, (x,))


def test_prelu_gradcheck_input_and_weight():
    x = cr.tensor(_smooth_input(seed=2, shape=(2, 3, 2)))
    w = cr.tensor([0.1, 0.25, -0.3])
    assert cr.gradcheck(F.prelu, (x, w))
    assert cr.gradgradcheck(F.prelu, (x, w))
    np.testing.assert_allclose(F.prelu(x, w).data,
                               np.where(x.data > 0, x.data, w.data[:, None] * x.data))
    with pytest.raises(ValueError, match="3 entries"):
        F.prelu(cr.zeros(2, 4), w)


def _grad_at(fn, values):
    x = cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.data


def test_subgradients_at_kinks_follow_pytorch():
    np.testing.assert_array_equal(_grad_at(F.relu, [0.0, 1.0, -1.0]), [0, 1, 0])
    np.testing.assert_allclose(_grad_at(lambda x: F.leaky_relu(x, 0.1), [0.0, 2.0]), [0.1, 1])
    np.testing.assert_array_equal(_grad_at(F.relu6, [0.0, 6.0, 3.0, 7.0]), [0, 0, 1, 0])
    np.testing.assert_allclose(_grad_at(F.hardsigmoid, [-3.0, 3.0, 0.0]), [0, 0, 1 / 6])
    np.testing.assert_allclose(_grad_at(F.elu, [0.0]), [1.0])     # alpha * exp(0), as PyTorch
    np.testing.assert_allclose(_grad_at(F.softsign, [0.0]), [1.0])


def test_extreme_inputs_stay_finite():
    x = cr.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    for fn in (F.sigmoid, F.softplus, F.logsigmoid, F.silu, F.mish, F.elu, F.selu, F.gelu,
               F.softsign, lambda t: F.log_softmax(t, dim=0), lambda t: F.softmax(t, dim=0)):
        out = fn(x)
        assert np.all(np.isfinite(out.data)), fn
        x.grad = None
        out.sum().backward()
        assert np.all(np.isfinite(x.grad.data)), fn
    np.testing.assert_allclose(F.softplus(x).data, [0, 0, math.log(2), 50, 1000], atol=1e-6)


def test_integer_input_is_promoted_to_default_float():
    out = F.relu(cr.tensor([-1, 2]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [0, 2])


def test_softmax_implicit_dim_warns_like_pytorch():
    x = cr.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.data.sum(1), 1, rtol=1e-6)   # dim=1 for 2-D input
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(x, dim=0)
    assert F.softmax(x, dim=1, dtype=np.float64).dtype == np.float64


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(cr.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


MODULES = [
    (nn.ReLU(), F.relu, "ReLU()"),
    (nn.ReLU6(), F.relu6, "ReLU6()"),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), "LeakyReLU(negative_slope=0.2)"),
    (nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    (nn.SELU(), F.selu, "SELU()"),
    (nn.GELU(), F.gelu, "GELU(approximate='none')"),
    (nn.Sigmoid(), F.sigmoid, "Sigmoid()"),
    (nn.HardSigmoid(), F.hardsigmoid, "Hardsigmoid()"),
    (nn.Tanh(), F.tanh, "Tanh()"),
    (nn.Softplus(beta=2.0), lambda x: F.softplus(x, 2.0), "Softplus(beta=2.0, threshold=20.0)"),
    (nn.Softsign(), F.softsign, "Softsign()"),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, 1), "Softmax(dim=1)"),
    (nn.LogSoftmax(dim=0), lambda x: F.log_softmax(x, 0), "LogSoftmax(dim=0)"),
    (nn.SiLU(), F.silu, "SiLU()"),
    (nn.Mish(), F.mish, "Mish()"),
    (nn.Identity(), F.linear_activation, "Identity()"),
]


@pytest.mark.parametrize("module, fn, text", MODULES, ids=[m[2] for m in MODULES])
def test_modules_call_their_function_and_print_options(module, fn, text):
    x = cr.tensor(_smooth_input(seed=3))
    np.testing.assert_array_equal(module(x).data, fn(x).data)
    assert repr(module) == text
    assert list(module.state_dict()) == []


def test_prelu_module_parameter():
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"]
    np.testing.assert_allclose(m.weight.data, [0.1, 0.1, 0.1])
    assert repr(m) == "PReLU(num_parameters=3)"
    x = cr.tensor(_smooth_input(seed=4, shape=(2, 3)))
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.data, np.where(x.data > 0, 0, x.data).sum(0),
                               rtol=1e-6)


# --------------------------------------------------------------------------- registry
def test_get_by_name_aliases_and_case():
    assert activations.get("relu") is F.relu
    assert activations.get("ReLU") is F.relu
    assert activations.get("hard_sigmoid") is F.hardsigmoid
    assert activations.get("swish") is F.silu
    assert activations.get("linear") is F.linear_activation
    assert activations.get(None) is F.linear_activation
    assert activations.get(np.tanh) is np.tanh   # callables pass through unchanged
    module = nn.ReLU()
    assert activations.get(module) is module


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as info:
        activations.get("relux")
    msg = str(info.value)
    assert "'relux'" in msg and "relu" in msg and "gelu" in msg and "softmax" in msg
    with pytest.raises(TypeError, match="name"):
        activations.get(3)


def test_serialize_deserialize_round_trip():
    assert activations.serialize(F.relu) == "relu"
    for name in activations.names():
        fn = activations.deserialize(name)
        assert activations.serialize(fn) == name
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.serialize(nn.ReLU()) == "relu"
    assert activations.serialize(nn.GELU()) == "gelu"
    with pytest.raises(ValueError, match="not a built-in"):
        activations.serialize(nn.LeakyReLU(0.3))
    with pytest.raises(ValueError, match="not a built-in"):
        activations.serialize(lambda x: x)
    with pytest.raises(TypeError):
        activations.deserialize(F.relu)
