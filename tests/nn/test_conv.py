"""Convolutions: forward against a loop-by-loop NumPy reference, the transpose pair identities,
first and second derivatives by finite differences (gradcheck / gradgradcheck, float64,
reverse and forward mode), both column layouts, layers, and error messages."""
import itertools
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.nn.functional import conv as conv_module

RNG = np.random.default_rng(0)


def _randn(*shape, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    return rng.standard_normal(shape)


# --------------------------------------------------------------------------- references
def _reference_conv(x, w, stride, pads, dilation, groups):
    """Direct definition: out[n, o, p] = sum_{c, k} w[o, c, k] * xpad[n, g*Cg + c, p*s + k*d]."""
    nd = w.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(lo, max(hi, 0)) for lo, hi in pads])
    xp = xp[(slice(None), slice(None)) + tuple(slice(0, x.shape[2 + i] + pads[i][0] + pads[i][1])
                                              for i in range(nd))]
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    og = o // groups
    out_size = tuple((xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                     for i in range(nd))
    out = np.zeros((n, o) + out_size)
    for pos in itertools.product(*(range(s) for s in out_size)):
        for oc in range(o):
            g = oc // og
            acc = np.zeros(n)
            for k in itertools.product(*(range(kk) for kk in kernel)):
                idx = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                window = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                acc += window @ w[(oc, slice(None)) + k]
            out[(slice(None), oc) + pos] = acc
    return out


def _geometry(nd, stride, padding, dilation):
    tup = lambda v: (v,) * nd if isinstance(v, int) else tuple(v)
    pads = tuple((p, p) for p in tup(padding))
    return tup(stride), pads, tup(dilation)


CONV_CASES = [
    # nd, N, C, O, spatial, kernel, stride, padding, dilation, groups
    (1, 2, 3, 4, (9,), (3,), 1, 0, 1, 1),
    (1, 2, 4, 6, (11,), (3,), 2, 1, 2, 2),
    (2, 2, 3, 4, (6, 5), (3, 2), 1, 1, 1, 1),
    (2, 1, 4, 4, (7, 6), (3, 3), (2, 1), (1, 0), (1, 2), 2),
    (2, 2, 4, 4, (5, 5), (2, 2), 1, 0, 1, 4),          # depthwise
    (3, 1, 2, 3, (4, 5, 4), (2, 3, 2), (1, 2, 1), (1, 0, 1), 1, 1),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_matches_reference(case):
    nd, n, c, o, size, kernel, stride, padding, dilation, groups = case
    x = _randn(n, c, *size)
    w = _randn(o, c // groups, *kernel)
    b = _randn(o)
    fn = getattr(F, f"conv{nd}d")
    out = fn(cr.tensor(x), cr.tensor(w), cr.tensor(b), stride=stride, padding=padding,
             dilation=dilation, groups=groups)
    s, pads, d = _geometry(nd, stride, padding, dilation)
    expected = _reference_conv(x, w, s, pads, d, groups) + b.reshape((1, o) + (1,) * nd)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_gradcheck(case):
    nd, n, c, o, size, kernel, stride, padding, dilation, groups = case
    x, w, b = _randn(n, c, *size), _randn(o, c // groups, *kernel), _randn(o)
    fn = getattr(F, f"conv{nd}d")
    assert cr.gradcheck(lambda x, w, b: fn(x, w, b, stride=stride, padding=padding,
                                           dilation=dilation, groups=groups), (x, w, b))


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[3], CONV_CASES[5]])
def test_conv_gradgradcheck(case):
    nd, n, c, o, size, kernel, stride, padding, dilation, groups = case
    x, w, b = _randn(n, c, *size), _randn(o, c // groups, *kernel), _randn(o)
    fn = getattr(F, f"conv{nd}d")
    assert cr.gradgradcheck(lambda x, w, b: fn(x, w, b, stride=stride, padding=padding,
                                               dilation=dilation, groups=groups), (x, w, b))


TRANSPOSE_CASES = [
    # nd, N, C_in, C_out, spatial, kernel, stride, padding, output_padding, dilation, groups
    (1, 2, 3, 2, (5,), (3,), 2, 1, 1, 1, 1),
    (1, 1, 2, 4, (4,), (3,), 2, 0, 2, 3, 2),               # output_padding >= stride (< dilation)
    (2, 2, 4, 2, (3, 4), (3, 2), 2, 1, 1, 1, 2),
    (2, 1, 2, 3, (3, 3), (2, 3), (3, 1), (0, 1), (2, 0), (1, 2), 1),
    (3, 1, 2, 2, (2, 3, 2), (2, 2, 2), 2, (1, 0, 0), (1, 0, 1), 1, 1),
]


def _transpose_args(case):
    nd, n, cin, cout, size, kernel, stride, padding, opad, dilation, groups = case
    x = _randn(n, cin, *size)
    w = _randn(cin, cout // groups, *kernel)
    b = _randn(cout)
    kwargs = dict(stride=stride, padding=padding, output_padding=opad, groups=groups,
                  dilation=dilation)
    return getattr(F, f"conv_transpose{nd}d"), x, w, b, kwargs


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose_is_the_adjoint_of_conv(case):
    """<conv(z, w), y> = <z, conv_transpose(y, w)> for every z of the transposed output's shape."""
    fn, y, w, _, kw = _transpose_args(case)
    nd = case[0]
    s, pads, d = _geometry(nd, kw["stride"], kw["padding"], kw["dilation"])
    opad = _geometry(nd, kw["output_padding"], 0, 1)[0]
    size = tuple((n - 1) * st - 2 * p + dd * (k - 1) + q + 1 for n, st, (p, _), dd, k, q in
                 zip(y.shape[2:], s, pads, d, w.shape[2:], opad))
    out = fn(cr.tensor(y), cr.tensor(w), **kw).data
    assert out.shape == (y.shape[0], w.shape[1] * kw["groups"]) + size
    z = _randn(*out.shape)
    conv = getattr(F, f"conv{nd}d")
    # the convolution this is the adjoint of: the padding, less output_padding on the right
    pairs = tuple((lo, hi - q) for (lo, hi), q in zip(pads, opad))
    forward = _reference_conv(z, w, s, pairs, d, kw["groups"])
    assert forward.shape == y.shape
    np.testing.assert_allclose(np.vdot(forward, y), np.vdot(z, out), rtol=1e-10)
    if all(hi >= 0 for _, hi in pairs):
        np.testing.assert_allclose(
            conv(cr.tensor(z), cr.tensor(w), stride=s, padding=pairs, dilation=d,
                 groups=kw["groups"]).data, forward, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose_gradcheck(case):
    fn, x, w, b, kw = _transpose_args(case)
    assert cr.gradcheck(lambda x, w, b: fn(x, w, b, **kw), (x, w, b))


@pytest.mark.parametrize("case", [TRANSPOSE_CASES[1], TRANSPOSE_CASES[2], TRANSPOSE_CASES[4]])
def test_conv_transpose_gradgradcheck(case):
    fn, x, w, b, kw = _transpose_args(case)
    assert cr.gradgradcheck(lambda x, w, b: fn(x, w, b, **kw), (x, w, b))


def test_weight_correlation_primitive_second_order():
    """conv_weight (the family's third primitive) differentiates into conv and conv_transpose."""
    x, y = _randn(2, 2, 5, 4), _randn(2, 4, 3, 3)
    geometry = dict(stride=(2, 1), padding=((1, 1), (0, 1)), dilation=(1, 2), groups=2)
    f = lambda x, y: conv_module._conv_weight(x, y, kernel_size=(2, 2), **geometry)
    assert cr.gradcheck(f, (x, y))
    assert cr.gradgradcheck(f, (x, y))
    # and it is the adjoint of conv in w: <conv(x, w), y> = <w, conv_weight(x, y)>
    w = _randn(4, 1, 2, 2)
    lhs = np.vdot(conv_module._conv(cr.tensor(x), cr.tensor(w), **geometry).data, y)
    rhs = np.vdot(w, f(cr.tensor(x), cr.tensor(y)).data)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


@pytest.mark.parametrize("batch_inner", [False, True])
def test_both_column_layouts_agree(monkeypatch, batch_inner):
    """The im2col layout is chosen per call by a cost estimate; force each one and compare."""
    x, w = _randn(3, 4, 7, 6), _randn(6, 2, 3, 2)
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    s, pads, d = _geometry(2, kw["stride"], kw["padding"], kw["dilation"])
    expected = _reference_conv(x, w, s, pads, d, 2)
    monkeypatch.setattr(conv_module, "_batch_inner", lambda *args: batch_inner)
    monkeypatch.setattr(conv_module, "_WEIGHT_CHUNK", 1)  # per-sample weight sums, one by one
    np.testing.assert_allclose(F.conv2d(cr.tensor(x), cr.tensor(w), **kw).data, expected,
                               rtol=1e-10, atol=1e-10)
    assert cr.gradcheck(lambda x, w: F.conv2d(x, w, **kw), (x[:2], w), check_forward=False)
    tw = _randn(4, 3, 3, 2)
    assert cr.gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1,
                                                        output_padding=1, groups=2),
                        (x[:2, :, :3, :3], tw), check_forward=False)


def test_layout_choice_follows_the_cost_estimate():
    # LeNet's second convolution (10-wide rows) goes batch-inner, a single sample never does
    assert conv_module._batch_inner(64, (1, 1), (10, 10), 64 * 400 * 100,
                                    64 * 16 * 196 + 64 * 32 * 100, "copy")
    assert not conv_module._batch_inner(1, (1, 1), (10, 10), 400 * 100, 16 * 196, "add")


def test_conv_float32_end_to_end():
    x = cr.tensor(_randn(2, 3, 8, 8).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    assert conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32


def test_conv_jvp_is_bilinear_product_rule():
    x, w = _randn(1, 2, 5, 5), _randn(3, 2, 3, 3)
    tx, tw = _randn(*x.shape), _randn(*w.shape)
    out, tangent = cr.jvp(lambda x, w: F.conv2d(x, w, padding=1), (x, w), (tx, tw))
    expected = (F.conv2d(cr.tensor(tx), cr.tensor(w), padding=1).data
                + F.conv2d(cr.tensor(x), cr.tensor(tw), padding=1).data)
    np.testing.assert_allclose(np.asarray(tangent), expected, rtol=1e-10, atol=1e-12)


def test_hessian_vector_product_through_conv():
    """Forward-over-reverse: hvp of a scalar loss of a conv against finite differences of grad."""
    x, w = _randn(1, 1, 5, 5), _randn(2, 1, 3, 3)
    v = _randn(*w.shape)
    loss = lambda w: (F.conv2d(cr.tensor(x), w) ** 3).sum()
    (hv,) = cr.hvp(loss, (w,), (v,))
    eps = 1e-5
    g = cr.grad(loss)
    numerical = (np.asarray(g(w + eps * v)) - np.asarray(g(w - eps * v))) / (2 * eps)
    np.testing.assert_allclose(np.asarray(hv), numerical, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- padding forms
@pytest.mark.parametrize("kernel,dilation", [(3, 1), (4, 1), (2, 3), (5, 2)])
def test_same_padding_keeps_the_size_and_puts_extra_on_the_right(kernel, dilation):
    x, w = _randn(1, 2, 7, 8), _randn(3, 2, kernel, kernel)
    out = F.conv2d(cr.tensor(x), cr.tensor(w), padding="same", dilation=dilation)
    assert out.shape == (1, 3, 7, 8)
    total = dilation * (kernel - 1)
    pads = ((total // 2, total - total // 2),) * 2
    np.testing.assert_allclose(out.data, _reference_conv(x, w, (1, 1), pads, (dilation,) * 2, 1),
                               rtol=1e-10, atol=1e-10)


def test_valid_and_per_side_padding():
    x, w = _randn(1, 1, 6, 6), _randn(1, 1, 3, 3)
    valid = F.conv2d(cr.tensor(x), cr.tensor(w), padding="valid")
    np.testing.assert_allclose(valid.data, F.conv2d(cr.tensor(x), cr.tensor(w)).data)
    pairs = ((0, 2), (1, 0))
    out = F.conv2d(cr.tensor(x), cr.tensor(w), padding=pairs)
    assert out.shape == (1, 1, 6, 5)
    np.testing.assert_allclose(out.data, _reference_conv(x, w, (1, 1), pairs, (1, 1), 1),
                               rtol=1e-10, atol=1e-10)
    assert cr.gradcheck(lambda x, w: F.conv2d(x, w, padding=pairs), (x, w))


def test_unbatched_input_matches_batched():
    x, w, b = _randn(3, 6, 6), _randn(4, 3, 3, 3), _randn(4)
    single = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), padding=1)
    batched = F.conv2d(cr.tensor(x[None]), cr.tensor(w), cr.tensor(b), padding=1)
    assert single.shape == (4, 6, 6)
    np.testing.assert_allclose(single.data, batched.data[0])
    t = F.conv_transpose1d(cr.tensor(x[0]), cr.tensor(_randn(6, 2, 3)), stride=2)
    assert t.shape == (2, 13)


def test_empty_batch():
    conv = nn.Conv2d(3, 4, 3)
    x = cr.zeros(0, 3, 5, 5, requires_grad=True)
    y = conv(x)
    assert y.shape == (0, 4, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5)
    np.testing.assert_array_equal(conv.weight.grad.data, np.zeros((4, 3, 3, 3)))
    assert nn.ConvTranspose1d(3, 2, 3, stride=2)(cr.zeros(0, 3, 4)).shape == (0, 2, 9)


def test_worked_example_2d():
    """A 3x3 image, a 2x2 kernel: each output is the dot product of a window with the kernel."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    out = F.conv2d(cr.tensor(x), cr.tensor(w))
    np.testing.assert_array_equal(out.data, [[[[-4.0, -4.0], [-4.0, -4.0]]]])
    xt = cr.tensor(x, requires_grad=True)
    F.conv2d(xt, cr.tensor(w)).sum().backward()
    # each input pixel collects the kernel entries of the windows it lies in
    np.testing.assert_array_equal(xt.grad.data[0, 0], [[1, 1, 0], [1, 0, -1], [0, -1, -1]])


# --------------------------------------------------------------------------- errors
def test_wrong_channel_count_names_the_layer_and_shapes():
    conv = nn.Conv2d(3, 16, kernel_size=5)
    with pytest.raises(ValueError) as info:
        conv(cr.zeros(8, 1, 28, 28))
    assert str(info.value) == ("Conv2d(3, 16, kernel_size=(5, 5)): expected input with 3 channels "
                               "(N, 3, H, W), got shape (8, 1, 28, 28)")


def test_missing_axes_are_explained():
    conv = nn.Conv2d(1, 4, 3)
    with pytest.raises(ValueError, match=r"expected a 4-D input \(N, C, H, W\) or an unbatched "
                                         r"3-D input \(C, H, W\), got shape \(28, 28\)"
                                         r".*\(1, 28, 28\)"):
        conv(cr.zeros(28, 28))
    with pytest.raises(ValueError,
                       match=r"read as one unbatched sample.*use shape \(8, 1, 28, 28\)"):
        conv(cr.zeros(8, 28, 28))


def test_functional_errors():
    x = cr.zeros(2, 4, 5, 5)
    with pytest.raises(ValueError, match=r"conv2d: kernel size \(7, 7\).*larger than the padded "
                                         r"input \(5, 5\)"):
        F.conv2d(x, cr.zeros(1, 4, 7, 7))
    with pytest.raises(ValueError, match=r"conv2d: expected input with 6 channels.*weight of shape "
                                         r"\(4, 3, 3, 3\) and groups=2"):
        F.conv2d(x, cr.zeros(4, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="out_channels .* divisible by groups"):
        F.conv2d(x, cr.zeros(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"expected a 4-D weight"):
        F.conv2d(x, cr.zeros(4, 4, 3))
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        F.conv2d(x, cr.zeros(1, 4, 3, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(x, cr.zeros(1, 4, 3, 3), stride=0)
    with pytest.raises(ValueError, match="padding must be"):
        F.conv2d(x, cr.zeros(1, 4, 3, 3), padding="full")
    with pytest.raises(TypeError, match="floating-point"):
        F.conv2d(cr.tensor(np.zeros((1, 4, 5, 5), dtype=np.int64)), cr.zeros(1, 4, 3, 3))
    with pytest.raises(ValueError, match="bias of shape"):
        F.conv2d(x, cr.zeros(2, 4, 3, 3), cr.zeros(3))
    with pytest.raises(ValueError, match="output_padding .* smaller than either stride"):
        F.conv_transpose2d(x, cr.zeros(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="conv_transpose2d: expected input with 3 channels"):
        F.conv_transpose2d(x, cr.zeros(3, 2, 3, 3))


# --------------------------------------------------------------------------- layers
def test_conv_layer_parameters_and_init():
    cr.manual_seed(0)
    conv = nn.Conv2d(6, 8, (3, 5), groups=2)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(3 * 3 * 5)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.5 * bound
    assert nn.Conv1d(2, 3, 3, bias=False).bias is None
    t = nn.ConvTranspose2d(6, 8, 3, groups=2)
    assert t.weight.shape == (6, 4, 3, 3) and t.bias.shape == (8,)
    assert np.abs(t.weight.data).max() <= 1 / math.sqrt(4 * 9)
    assert nn.Conv3d(1, 2, 2, dtype=np.float64).weight.dtype == np.float64


def test_conv_layer_reprs():
    assert repr(nn.Conv2d(1, 16, 5, padding=2)) == \
        "Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert repr(nn.Conv1d(4, 4, 3, stride=2, dilation=2, groups=2, bias=False, padding=1,
                          padding_mode="circular")) == \
        ("Conv1d(4, 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, "
         "bias=False, padding_mode=circular)")
    assert repr(nn.Conv2d(2, 2, 3, padding="same")) == \
        "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == \
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"


def test_conv_layer_forward_is_the_functional_call():
    cr.manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1)
    x = cr.tensor(_randn(2, 2, 7, 7).astype(np.float32))
    np.testing.assert_allclose(conv(x).data, F.conv2d(x, conv.weight, conv.bias, 2, 1).data)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_padding_modes_pad_first(mode, np_mode):
    cr.set_default_dtype(np.float64)
    try:
        conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
    finally:
        cr.set_default_dtype(np.float32)
    x = _randn(2, 2, 5, 6)
    expected = F.conv2d(cr.tensor(np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode=np_mode)),
                        conv.weight, conv.bias)
    np.testing.assert_allclose(conv(cr.tensor(x)).data, expected.data, rtol=1e-12)
    assert cr.gradcheck(lambda x: conv(x), (x,))


def test_conv_transpose_layer_output_size():
    conv = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = cr.zeros(1, 3, 4, 4)
    assert conv(x).shape == (1, 2, 7, 7)
    assert conv(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    assert conv(x, output_size=(1, 2, 8, 7)).shape == (1, 2, 8, 7)
    with pytest.raises(ValueError, match="not reachable"):
        conv(x, output_size=(9, 9))
    with pytest.raises(ValueError, match='only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 2, 3, padding_mode="reflect")


def test_separable_conv_is_depthwise_then_pointwise():
    cr.manual_seed(2)
    sep = nn.SeparableConv2d(3, 5, 3, stride=1, padding=1, depth_multiplier=2)
    names = [(k, tuple(v.shape)) for k, v in sep.state_dict().items()]
    assert names == [("depthwise.weight", (6, 1, 3, 3)), ("pointwise.weight", (5, 6, 1, 1)),
                     ("pointwise.bias", (5,))]
    assert sep.depthwise.groups == 3 and sep.depthwise.bias is None
    x = cr.tensor(_randn(2, 3, 6, 6).astype(np.float32))
    middle = F.conv2d(x, sep.depthwise.weight, None, 1, 1, 1, groups=3)
    expected = F.conv2d(middle, sep.pointwise.weight, sep.pointwise.bias)
    np.testing.assert_allclose(sep(x).data, expected.data, rtol=1e-6)
    sep1 = nn.SeparableConv1d(2, 4, 3, bias=False)
    assert sep1(cr.zeros(1, 2, 9)).shape == (1, 4, 7) and sep1.pointwise.bias is None
    with pytest.raises(ValueError, match=r"SeparableConv2d\(3, 5, kernel_size=\(3, 3\)\): expected "
                                         r"input with 3 channels"):
        sep(cr.zeros(1, 4, 6, 6))


def test_separable_conv_gradcheck():
    cr.set_default_dtype(np.float64)
    try:
        sep = nn.SeparableConv1d(2, 3, 3, padding=1, depth_multiplier=2)
    finally:
        cr.set_default_dtype(np.float32)
    x = _randn(2, 2, 5)
    weights = [sep.depthwise.weight, sep.pointwise.weight, sep.pointwise.bias]

    def f(x, dw, pw, pb):
        middle = F.conv1d(x, dw, None, padding=1, groups=2)
        return F.conv1d(middle, pw, pb)

    np.testing.assert_allclose(f(cr.tensor(x), *weights).data, sep(cr.tensor(x)).data)
    assert cr.gradcheck(f, (x,) + tuple(w.data for w in weights))


def test_layer_argument_validation():
    with pytest.raises(ValueError, match="in_channels .* divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2 ints"):
        nn.Conv2d(3, 6, (3, 3, 3))
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        nn.Conv1d(3, 6, 3, stride=2, padding="same")
