"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm: values, running statistics, gradients (first and
second order, train and eval), state dicts and error messages."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

rng = np.random.default_rng(0)


def _t(*shape, scale=1.0, shift=0.0):
    return cr.tensor(rng.standard_normal(shape) * scale + shift)


def _bn_reference(x, weight, bias, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


# --------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                        (nn.BatchNorm2d, (4, 3, 2, 3)),
                                        (nn.BatchNorm3d, (2, 3, 2, 2, 2))])
def test_batchnorm_training_output_and_running_stats(cls, shape):
    bn = cls(3, momentum=0.2, dtype=np.float64)
    bn.weight.data[...] = [0.5, 1.0, 2.0]
    bn.bias.data[...] = [0.0, -1.0, 1.0]
    x1 = rng.standard_normal(shape) * 2 + 1
    x2 = rng.standard_normal(shape) - 0.5
    axes = (0,) + tuple(range(2, len(shape)))
    n = x1.size // 3
    running_mean, running_var = np.zeros(3), np.ones(3)
    for x in (x1, x2):
        out = bn(cr.tensor(x))
        np.testing.assert_allclose(out.data, _bn_reference(x, bn.weight.data, bn.bias.data))
        running_mean = 0.8 * running_mean + 0.2 * x.mean(axes)
        running_var = 0.8 * running_var + 0.2 * x.var(axes) * n / (n - 1)   # unbiased
    np.testing.assert_allclose(bn.running_mean.data, running_mean)
    np.testing.assert_allclose(bn.running_var.data, running_var)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 2
    bn.eval()
    x3 = rng.standard_normal(shape)
    pshape = (1, 3) + (1,) * (len(shape) - 2)
    expected = ((x3 - running_mean.reshape(pshape)) / np.sqrt(running_var.reshape(pshape) + 1e-5)
                * bn.weight.data.reshape(pshape) + bn.bias.data.reshape(pshape))
    np.testing.assert_allclose(bn(cr.tensor(x3)).data, expected)
    assert bn.num_batches_tracked.item() == 2   # eval does not count batches


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [rng.standard_normal((5, 2)) * (i + 1) + i for i in range(3)]
    for x in batches:
        bn(cr.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(0) for x in batches], 0))
    np.testing.assert_allclose(bn.running_var.data,
                               np.mean([x.var(0, ddof=1) for x in batches], 0))


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.bias is None and bn.running_mean is None
    assert list(bn.state_dict()) == []
    x = rng.standard_normal((6, 3)).astype(np.float32)
    bn.eval()   # no running stats: batch statistics even in eval, as PyTorch
    np.testing.assert_allclose(bn(cr.tensor(x)).data, _bn_reference(x, np.ones(3), np.zeros(3)),
                               rtol=1e-5, atol=1e-5)
    bn2 = nn.BatchNorm2d(2, bias=False)
    assert bn2.bias is None and list(bn2.state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_state_dict_keys_and_repr():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert repr(bn) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    bn.running_mean.data[...] = 3
    bn.num_batches_tracked.data[...] = 5
    bn.reset_running_stats()
    assert np.all(bn.running_mean.data == 0) and bn.num_batches_tracked.item() == 0


@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 2), (2, 3, 2, 2)])
def test_batchnorm_train_gradcheck_and_gradgradcheck(shape):
    f = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)
    args = (_t(*shape, scale=2, shift=1), _t(3, shift=1), _t(3))
    assert cr.gradcheck(f, args)
    assert cr.gradgradcheck(f, args)
    g = lambda x: F.batch_norm(x, None, None, training=True)   # no affine
    assert cr.gradcheck(g, (args[0],)) and cr.gradgradcheck(g, (args[0],))


def test_batchnorm_eval_gradcheck_and_gradgradcheck():
    mean, var = np.array([0.5, -1.0, 0.0]), np.array([2.0, 0.5, 1.0])
    f = lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False)
    args = (_t(4, 3, 2), _t(3), _t(3))
    assert cr.gradcheck(f, args)
    assert cr.gradgradcheck(f, args)


def test_batchnorm_module_gradients_through_layer():
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    x = _t(5, 3)
    assert cr.gradcheck(lambda x: bn(x), (x,))
    bn.eval()
    assert cr.gradgradcheck(lambda x: bn(x), (x,))


def test_batchnorm_errors_name_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        nn.BatchNorm2d(16)(cr.zeros(8, 32, 5, 5))
    msg = str(info.value)
    assert "BatchNorm2d(16)" in msg and "32 channels" in msg and "(8, 32, 5, 5)" in msg
    with pytest.raises(ValueError, match="channels-last"):
        nn.BatchNorm2d(3)(cr.zeros(2, 5, 5, 3))
    with pytest.raises(ValueError, match=r"expected 4-D input.*use BatchNorm1d"):
        nn.BatchNorm2d(3)(cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"2-D or 3-D.*use BatchNorm2d"):
        nn.BatchNorm1d(3)(cr.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.zeros(1, 3))
    with pytest.raises(ValueError, match="running_mean should have shape"):
        F.batch_norm(cr.zeros(2, 3), np.zeros(2), np.ones(3))


def test_batchnorm_float32_running_stats_keep_dtype():
    bn = nn.BatchNorm1d(3)
    bn(cr.tensor(rng.standard_normal((4, 3))))   # float64 input
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32


# --------------------------------------------------------------------------- layer norm
def test_layernorm_values_and_parameters():
    ln = nn.LayerNorm((2, 3), eps=1e-3, dtype=np.float64)
    ln.weight.data[...] = rng.standard_normal((2, 3))
    ln.bias.data[...] = rng.standard_normal((2, 3))
    x = rng.standard_normal((4, 2, 3))
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(ln(cr.tensor(x)).data,
                               (x - mean) / np.sqrt(var + 1e-3) * ln.weight.data + ln.bias.data)
    assert list(ln.state_dict()) == ["weight", "bias"]
    assert repr(ln) == "LayerNorm((2, 3), eps=0.001, elementwise_affine=True, bias=True)"
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []


def test_layernorm_gradcheck_and_gradgradcheck():
    f = lambda x, w, b: F.layer_norm(x, (4,), w, b)
    args = (_t(3, 4, scale=3), _t(4), _t(4))
    assert cr.gradcheck(f, args) and cr.gradgradcheck(f, args)
    g = lambda x, w: F.layer_norm(x, (2, 2), w)   # multi-axis, no bias
    args2 = (_t(2, 3, 2, 2), _t(2, 2))
    assert cr.gradcheck(g, args2) and cr.gradgradcheck(g, args2)


def test_layernorm_shape_error():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\)\): input of shape \(2, 5\)"):
        nn.LayerNorm(4)(cr.zeros(2, 5))


def test_layernorm_forward_mode():
    w, b = _t(4), _t(4)
    x = _t(2, 4)
    jf = cr.jacfwd(lambda x: F.layer_norm(x, 4, w, b))(x)
    jr = cr.jacrev(lambda x: F.layer_norm(x, 4, w, b))(x)
    np.testing.assert_allclose(np.asarray(jf), np.asarray(jr), atol=1e-12)


# --------------------------------------------------------------------------- group norm
def test_groupnorm_values_and_gradients():
    gn = nn.GroupNorm(2, 4, dtype=np.float64)
    gn.weight.data[...] = [1.0, 2.0, 0.5, -1.0]
    x = rng.standard_normal((3, 4, 5))
    grouped = x.reshape(3, 2, -1)
    normed = ((grouped - grouped.mean(-1, keepdims=True))
              / np.sqrt(grouped.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(gn(cr.tensor(x)).data, normed * gn.weight.data[:, None])
    f = lambda x, w, b: F.group_norm(x, 2, w, b)
    args = (_t(2, 4, 3), _t(4), _t(4))
    assert cr.gradcheck(f, args) and cr.gradgradcheck(f, args)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)


def test_instance_norm_values_and_gradients():
    x = rng.standard_normal((2, 3, 4))
    expected = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + 1e-5)
    np.testing.assert_allclose(F.instance_norm(cr.tensor(x)).data, expected)
    f = lambda x, w, b: F.instance_norm(x, weight=w, bias=b)
    args = (_t(2, 3, 4), _t(3), _t(3))
    assert cr.gradcheck(f, args) and cr.gradgradcheck(f, args)
