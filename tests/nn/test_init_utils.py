"""nn.init (distributions, gains, fans, in-place semantics, seeding) and nn.utils (gradient
clipping, parameters <-> vector)."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init


def _param(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


# --------------------------------------------------------------------------- gains and fans
def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swishy")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(cr.zeros(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(cr.zeros(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.zeros(5))


# --------------------------------------------------------------------------- distributions
def test_uniform_normal_constant_fills():
    p = _param(200, 100)
    assert init.uniform_(p, -2, 3) is p
    assert p.data.min() >= -2 and p.data.max() <= 3
    assert p.data.mean() == pytest.approx(0.5, abs=0.05)
    init.normal_(p, mean=1.0, std=2.0)
    assert p.data.mean() == pytest.approx(1.0, abs=0.05)
    assert p.data.std() == pytest.approx(2.0, rel=0.03)
    init.constant_(p, 0.25)
    assert np.all(p.data == 0.25)
    init.ones_(p)
    assert np.all(p.data == 1)
    init.zeros_(p)
    assert np.all(p.data == 0)
    assert p.dtype == np.float32
    e = init.eye_(_param(2, 3))
    np.testing.assert_array_equal(e.data, np.eye(2, 3))


def test_trunc_normal_stays_in_bounds():
    p = _param(100, 100)
    init.trunc_normal_(p, mean=0.5, std=1.0, a=-0.5, b=1.0)
    assert p.data.min() >= -0.5 and p.data.max() <= 1.0
    assert p.data.std() < 1.0   # truncation shrinks the spread
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(p, a=1, b=0)


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_xavier_schemes(shape):
    p = _param(*shape)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(p)
    init.xavier_uniform_(p, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(p.data).max() <= bound
    assert p.data.var() == pytest.approx(bound ** 2 / 3, rel=0.05)
    init.xavier_normal_(p)
    assert p.data.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.05)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_schemes(mode):
    p = _param(300, 200)
    fan = 200 if mode == "fan_in" else 300
    init.kaiming_uniform_(p, mode=mode, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(p.data).max() <= bound
    assert p.data.var() == pytest.approx(bound ** 2 / 3, rel=0.05)
    init.kaiming_normal_(p, a=0.1, mode=mode)
    std = init.calculate_gain("leaky_relu", 0.1) / math.sqrt(fan)
    assert p.data.std() == pytest.approx(std, rel=0.05)
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_uniform_(p, mode="fan_avg")


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    p = _param(*shape, dtype=np.float64)
    init.orthogonal_(p, gain=1.5)
    flat = p.data.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(small), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(_param(3))


def test_dirac_and_sparse():
    w = _param(4, 2, 3, 3)
    init.dirac_(w, groups=2)
    centre = w.data[:, :, 1, 1]
    np.testing.assert_array_equal(centre, [[1, 0], [0, 1], [1, 0], [0, 1]])
    assert w.data.sum() == 4
    s = _param(10, 6)
    init.sparse_(s, sparsity=0.3)
    assert np.all((s.data == 0).sum(0) >= 3)


def test_seeded_reproducible_and_dtype_independent():
    a, b = _param(5, 4), _param(5, 4, dtype=np.float64)
    cr.manual_seed(123)
    init.kaiming_uniform_(a, a=math.sqrt(5))
    cr.manual_seed(123)
    init.kaiming_uniform_(b, a=math.sqrt(5))
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    gen = np.random.default_rng(7)
    c = init.normal_(_param(3), generator=gen)
    np.testing.assert_allclose(c.data, np.random.default_rng(7).normal(0, 1, 3), rtol=1e-6)


def test_init_is_in_place_unrecorded_and_bumps_version():
    p = nn.Parameter(cr.ones(3, 2))
    y = (p * p).sum()          # multiply saves p for its backward
    data = p.data
    init.zeros_(p)             # allowed on a leaf that requires grad (no graph is recorded)
    assert p.data is data and np.all(p.data == 0)
    assert p.node is None and p.requires_grad and p.grad is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()           # the saved value is stale: the version counter says so
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="Tensor"):
        init.normal_(np.zeros(3))


# --------------------------------------------------------------------------- utils
def _params_with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = cr.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm():
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]   # total 2-norm 5
    params = _params_with_grads(grads)
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.data, [3 * scale, 0])
    np.testing.assert_allclose(params[1].grad.data, [[0, 4 * scale]])
    # below the threshold nothing changes
    params = _params_with_grads(grads)
    assert nn.utils.clip_grad_norm_(params, max_norm=10.0).item() == pytest.approx(5.0)
    np.testing.assert_array_equal(params[0].grad.data, [3.0, 0.0])


def test_clip_grad_norm_inf_and_other_orders():
    grads = [np.array([3.0, -7.0]), np.array([2.0])]
    params = _params_with_grads(grads)
    assert nn.utils.clip_grad_norm_(params, 1.0, norm_type=float("inf")).item() == \
        pytest.approx(7.0)
    np.testing.assert_allclose(params[0].grad.data, np.array([3.0, -7.0]) / (7 + 1e-6))
    params = _params_with_grads(grads)
    assert nn.utils.clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(12.0)
    lin = nn.Linear(2, 2)
    assert nn.utils.clip_grad_norm_(lin.parameters(), 1.0).item() == 0.0   # no grads yet
    params = _params_with_grads([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    params = _params_with_grads([np.array([-3.0, 0.5, 2.0])])
    nn.utils.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.data, [-1.0, 0.5, 1.0])
    single = _params_with_grads([np.array([5.0])])[0]
    nn.utils.clip_grad_value_(single, 0.1)   # a single tensor is accepted
    np.testing.assert_allclose(single.grad.data, [0.1])


def test_parameters_to_vector_and_back():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (6 + 2 + 2 + 1,)
    np.testing.assert_array_equal(vec.data[:6], net[0].weight.data.ravel())
    (vec * vec).sum().backward()   # differentiable
    np.testing.assert_allclose(net[0].weight.grad.data, 2 * net[0].weight.data)
    new = cr.arange(11, dtype=np.float64)
    nn.utils.vector_to_parameters(new, net.parameters())
    np.testing.assert_array_equal(net[0].weight.data, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(net[1].bias.data, [10])
    assert net[0].weight.dtype == np.float32
    with pytest.raises(ValueError, match="11"):
        nn.utils.vector_to_parameters(cr.zeros(5), net.parameters())
    with pytest.raises(TypeError, match="Tensor"):
        nn.utils.vector_to_parameters(np.zeros(11), net.parameters())
