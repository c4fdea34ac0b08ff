"""Pooling: forward against loop-by-loop NumPy references with PyTorch's rules (padding,
ceil_mode, divisors, adaptive windows), the max gate and its tie rule, first and second
derivatives by finite differences, the gather/scatter and window-sum transpose pairs,
layers and errors."""
import itertools
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.nn.functional import pooling as pooling_module

RNG = np.random.default_rng(0)


def _randn(*shape):
    return RNG.standard_normal(shape)


def _distinct(*shape):
    """Inputs without ties (a random permutation scaled), so max pooling is smooth around them."""
    return RNG.permutation(math.prod(shape)).reshape(shape) / 7.0 - 3.0


# --------------------------------------------------------------------------- references
def _out_len(n, k, s, p, d, ceil):
    span = d * (k - 1) + 1
    o = (n + 2 * p - span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _reference_max_pool(x, kernel, stride, padding, dilation, ceil):
    """Scan every window in row-major order; keep a strictly greater value (first max wins)."""
    n, c = x.shape[:2]
    size = x.shape[2:]
    out_size = tuple(_out_len(*a, ceil) for a in zip(size, kernel, stride, padding, dilation))
    out = np.empty((n, c) + out_size)
    idx = np.empty((n, c) + out_size, dtype=np.int64)
    for b, ch in itertools.product(range(n), range(c)):
        for pos in itertools.product(*(range(o) for o in out_size)):
            best, best_i = -np.inf, None
            for k in itertools.product(*(range(kk) for kk in kernel)):
                q = tuple(p * s - pad + kk * d for p, s, pad, kk, d in
                          zip(pos, stride, padding, k, dilation))
                if all(0 <= qq < m for qq, m in zip(q, size)):
                    v = x[(b, ch) + q]
                    if best_i is None or v > best:
                        best, best_i = v, np.ravel_multi_index(q, size)
            out[(b, ch) + pos] = best
            idx[(b, ch) + pos] = best_i
    return out, idx


def _reference_avg_pool(x, kernel, stride, padding, ceil, count_include_pad, divisor_override):
    n, c = x.shape[:2]
    size = x.shape[2:]
    out_size = tuple(_out_len(*a, 1, ceil) for a in zip(size, kernel, stride, padding))
    out = np.empty((n, c) + out_size)
    for pos in itertools.product(*(range(o) for o in out_size)):
        starts = [p * s - pad for p, s, pad in zip(pos, stride, padding)]
        ends = [min(st + k, m + pad) for st, k, m, pad in zip(starts, kernel, size, padding)]
        pool = math.prod(e - st for st, e in zip(starts, ends))
        lo = [max(st, 0) for st in starts]
        hi = [min(e, m) for e, m in zip(ends, size)]
        window = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        total = window.sum(axis=tuple(range(2, x.ndim)))
        if divisor_override:
            divisor = divisor_override
        elif count_include_pad:
            divisor = pool
        else:
            divisor = math.prod(b - a for a, b in zip(lo, hi))
        out[(slice(None), slice(None)) + pos] = total / divisor
    return out


MAX_CASES = [
    # nd, spatial, kernel, stride, padding, dilation, ceil_mode
    (1, (9,), 2, None, 0, 1, False),
    (1, (10,), 3, 2, 1, 2, True),
    (2, (6, 7), 2, None, 0, 1, False),
    (2, (7, 8), 3, 2, 1, 1, True),
    (2, (7, 7), (3, 2), (1, 2), (1, 0), (2, 1), False),
    (3, (4, 5, 5), 2, (2, 1, 2), (1, 0, 1), 1, True),
]


def _tup(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_forward_and_indices_match_reference(case):
    nd, size, k, s, p, d, ceil = case
    x = _randn(2, 3, *size)
    out, idx = getattr(F, f"max_pool{nd}d")(cr.tensor(x), k, s, p, d, ceil_mode=ceil,
                                            return_indices=True)
    kernel = _tup(k, nd)
    expected, expected_idx = _reference_max_pool(x, kernel, _tup(s, nd) if s else kernel,
                                                 _tup(p, nd), _tup(d, nd), ceil)
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(idx.data, expected_idx)
    assert idx.dtype == np.int64


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_gradcheck_and_gradgradcheck(case):
    nd, size, k, s, p, d, ceil = case
    x = _distinct(1, 2, *size)
    fn = getattr(F, f"max_pool{nd}d")
    f = lambda x: fn(x, k, s, p, d, ceil_mode=ceil)
    assert cr.gradcheck(f, (x,))
    assert cr.gradgradcheck(f, (x,))


def test_max_gate_routes_the_gradient_to_the_maximum():
    x = cr.tensor(np.array([[[[1.0, 5.0, 2.0, 0.0],
                              [3.0, 4.0, 8.0, 7.0]]]]), requires_grad=True)
    out = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[5.0, 8.0]]]])
    out.backward(cr.tensor(np.array([[[[10.0, 20.0]]]])))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 10, 0, 0], [0, 0, 20, 0]]]])


def test_ties_go_to_the_first_maximum_and_nan_wins():
    # a constant window: the first element (row-major) gets the whole gradient
    x = cr.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 0], [0, 0]])
    # overlapping windows: each window's first maximum, the gradients add up
    x = cr.tensor(np.array([[[3.0, 3.0, 1.0, 3.0]]]), requires_grad=True)
    out, idx = F.max_pool1d(x, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(idx.data, [[[0, 1, 3]]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[1, 1, 0, 1]]])
    # NaN propagates and takes the gradient (the last NaN of the window), as PyTorch
    x = cr.tensor(np.array([[[1.0, np.nan, 5.0, np.nan, 2.0, 0.0]]]), requires_grad=True)
    out, idx = F.max_pool1d(x, 4, stride=2, return_indices=True)
    assert np.isnan(out.data[0, 0, 0]) and idx.data[0, 0, 0] == 3
    # a window whose real elements are all -inf never picks the padding
    x = np.full((1, 1, 3), -np.inf)
    _, idx = F.max_pool1d(cr.tensor(x), 2, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.data, [[[0, 0, 1, 2]]])


def test_max_pool_unique_and_overlapping_scatter_agree():
    x = _distinct(2, 2, 6, 6)
    xt = cr.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 3, 1).sum().backward()     # overlapping windows: gradients accumulate
    _, idx = _reference_max_pool(x, (3, 3), (1, 1), (0, 0), (1, 1), False)
    expected = np.zeros((4, 36))
    np.add.at(expected, (np.arange(4)[:, None], idx.reshape(4, -1)), 1.0)
    np.testing.assert_array_equal(xt.grad.data, expected.reshape(x.shape))


def test_gather_and_scatter_are_a_transpose_pair():
    x, y = _randn(2, 3, 5, 4), _randn(2, 3, 2, 3)
    indices = RNG.integers(0, 20, size=(2, 3, 2, 3))
    gathered = pooling_module._gather(cr.tensor(x), indices=indices, unique=False).data
    scattered = pooling_module._scatter(cr.tensor(y), indices=indices, size=(5, 4),
                                        unique=False).data
    np.testing.assert_allclose(np.vdot(gathered, y), np.vdot(x, scattered), rtol=1e-12)


AVG_CASES = [
    # nd, spatial, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (1, (9,), 3, None, 1, False, True, None),
    (1, (10,), 4, 3, 2, True, False, None),
    (2, (6, 7), 2, None, 0, False, True, None),
    (2, (7, 8), 3, 2, 1, True, True, None),
    (2, (7, 8), 3, 2, 1, True, False, None),
    (2, (5, 6), (3, 2), (1, 2), (1, 1), False, True, 4),
    (3, (4, 5, 5), 2, (2, 1, 2), (1, 0, 1), True, False, None),
]


@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_matches_reference_and_gradchecks(case):
    nd, size, k, s, p, ceil, cip, div = case
    x = _randn(2, 3, *size)
    fn = getattr(F, f"avg_pool{nd}d")
    kw = dict(ceil_mode=ceil, count_include_pad=cip)
    if div is not None:
        kw["divisor_override"] = div
    out = fn(cr.tensor(x), k, s, p, **kw)
    kernel = _tup(k, nd)
    expected = _reference_avg_pool(x, kernel, _tup(s, nd) if s else kernel, _tup(p, nd), ceil,
                                   cip, div)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    f = lambda x: fn(x, k, s, p, **kw)
    assert cr.gradcheck(f, (x[:1, :2],))
    assert cr.gradgradcheck(f, (x[:1, :1],))


def test_avg_pool_worked_example_with_padding():
    x = cr.tensor(np.arange(1.0, 5.0).reshape(1, 1, 4))
    np.testing.assert_allclose(F.avg_pool1d(x, 2, 2, 1).data, [[[0.5, 2.5, 2.0]]])
    np.testing.assert_allclose(F.avg_pool1d(x, 2, 2, 1, count_include_pad=False).data,
                               [[[1.0, 2.5, 4.0]]])


def test_window_sums_are_a_transpose_pair():
    x, y = _randn(2, 2, 6, 5), _randn(2, 2, 3, 3)
    geometry = dict(kernel=(3, 2), stride=(2, 2), padding=((1, 1), (1, 0)), dilation=(1, 1))
    summed = pooling_module._window_sum(cr.tensor(x), **geometry).data
    assert summed.shape == y.shape
    spread = pooling_module._window_sum_transpose(cr.tensor(y), input_size=(6, 5), **geometry).data
    np.testing.assert_allclose(np.vdot(summed, y), np.vdot(x, spread), rtol=1e-12)


def _reference_adaptive(x, out_size, reduce):
    size = x.shape[2:]
    out = np.empty(x.shape[:2] + tuple(out_size))
    for pos in itertools.product(*(range(o) for o in out_size)):
        sl = tuple(slice((i * n) // o, -((-(i + 1) * n) // o))
                   for i, n, o in zip(pos, size, out_size))
        window = x[(slice(None), slice(None)) + sl]
        out[(slice(None), slice(None)) + pos] = reduce(window.reshape(x.shape[:2] + (-1,)), axis=-1)
    return out


@pytest.mark.parametrize("nd,size,out_size", [
    (1, (7,), (3,)), (1, (8,), (4,)), (2, (5, 7), (3, 4)), (2, (6, 6), (2, 3)), (2, (5, 5), (1, 1)),
    (2, (4, 6), (4, 3)), (3, (3, 4, 5), (2, 2, 3)),
])
def test_adaptive_pools_match_reference(nd, size, out_size):
    x = _distinct(2, 2, *size)
    avg = getattr(F, f"adaptive_avg_pool{nd}d")
    mx = getattr(F, f"adaptive_max_pool{nd}d")
    np.testing.assert_allclose(avg(cr.tensor(x), out_size).data,
                               _reference_adaptive(x, out_size, np.mean), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(mx(cr.tensor(x), out_size).data,
                                  _reference_adaptive(x, out_size, np.max))
    f = lambda x: avg(x, out_size)
    assert cr.gradcheck(f, (x[:1],))
    assert cr.gradgradcheck(f, (x[:1, :1],))
    g = lambda x: mx(x, out_size)
    assert cr.gradcheck(g, (x[:1],))
    assert cr.gradgradcheck(g, (x[:1, :1],))


def test_adaptive_output_size_forms():
    x = cr.tensor(_randn(2, 3, 6, 8))
    assert F.adaptive_avg_pool2d(x, 3).shape == (2, 3, 3, 3)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 6, 2)
    out, idx = F.adaptive_max_pool2d(x, (2, 4), return_indices=True)
    assert out.shape == idx.shape == (2, 3, 2, 4)
    picked = np.take_along_axis(x.data.reshape(2, 3, -1), idx.data.reshape(2, 3, -1), -1)
    np.testing.assert_array_equal(picked.reshape(out.shape), out.data)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, (2, 0))


def test_pooling_keeps_float32_and_unbatched_input():
    x = cr.tensor(_randn(3, 8, 8).astype(np.float32), requires_grad=True)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 3),
                F.adaptive_max_pool2d(x, 3)):
        assert out.dtype == np.float32 and out.ndim == 3
    batched = F.max_pool2d(cr.tensor(x.data[None]), 2)
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data, batched.data[0])
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.dtype == np.float32


def test_pooling_errors():
    x = cr.zeros(1, 2, 5, 5)
    with pytest.raises(ValueError, match="max_pool2d: padding .* at most half of the kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: .*output size is too small"):
        F.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 4-D input \(N, C, H, W\) or an "
                                         r"unbatched 3-D input \(C, H, W\), got shape \(5, 5\)"):
        F.max_pool2d(cr.zeros(5, 5), 2)
    with pytest.raises(TypeError, match="floating-point"):
        F.avg_pool1d(cr.tensor(np.zeros((1, 1, 4), dtype=np.int64)), 2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        F.max_pool1d(cr.zeros(1, 1, 4), 0)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(x, 2, divisor_override=0)


# --------------------------------------------------------------------------- layers
def test_pool_layers_defaults_and_reprs():
    pool = nn.MaxPool2d(2)
    assert pool.stride == 2
    assert repr(pool) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((2, 3))) == "AdaptiveAvgPool2d(output_size=(2, 3))"
    assert repr(nn.AdaptiveMaxPool1d(4)) == "AdaptiveMaxPool1d(output_size=4)"
    x = cr.tensor(_randn(2, 3, 6, 6).astype(np.float32))
    np.testing.assert_array_equal(pool(x).data, F.max_pool2d(x, 2).data)
    out, idx = nn.MaxPool1d(3, return_indices=True)(cr.tensor(_randn(1, 2, 9)))
    assert out.shape == idx.shape == (1, 2, 3)
    assert nn.AvgPool3d(2, ceil_mode=True)(cr.tensor(_randn(1, 1, 3, 3, 3))).shape == \
        (1, 1, 2, 2, 2)
    np.testing.assert_allclose(nn.AvgPool1d(2, count_include_pad=False, padding=1)(
        cr.tensor(np.arange(1.0, 5.0).reshape(1, 1, 4))).data, [[[1.0, 2.5, 4.0]]])
    assert nn.AdaptiveAvgPool3d(1)(cr.zeros(1, 2, 3, 4, 5)).shape == (1, 2, 1, 1, 1)
    assert nn.AdaptiveMaxPool2d(2)(cr.zeros(1, 2, 4, 4)).shape == (1, 2, 2, 2)


def test_global_avg_pool():
    x = _randn(2, 3, 4, 5)
    out = nn.GlobalAvgPool()(cr.tensor(x))
    np.testing.assert_allclose(out.data, x.mean(axis=(2, 3)))
    assert nn.GlobalAvgPool(keepdim=True)(cr.tensor(x)).shape == (2, 3, 1, 1)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(cr.tensor(x), 1).data[..., 0, 0], out.data)
    with pytest.raises(ValueError, match="GlobalAvgPool"):
        nn.GlobalAvgPool()(cr.zeros(2, 3))


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_without_gradients_takes_the_values_only_path(case):
    """Under no_grad (or for inputs without requires_grad) no argmax search is needed; the values
    are the same, NaN included."""
    nd, size, k, s, p, d, ceil = case
    x = _randn(2, 3, *size)
    x.reshape(-1)[5] = np.nan
    fn = getattr(F, f"max_pool{nd}d")
    with cr.no_grad():
        fast = fn(cr.tensor(x), k, s, p, d, ceil_mode=ceil)
    searched = fn(cr.tensor(x, requires_grad=True), k, s, p, d, ceil_mode=ceil)
    np.testing.assert_array_equal(fast.data, searched.data)
    assert fast.dtype == searched.dtype
