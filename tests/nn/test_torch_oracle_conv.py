"""Optional PyTorch oracle for convolution and pooling: the same layer, the same weights (copied
by state-dict name), the same input give the same output, input gradient and parameter
gradients (float32 tolerances)."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 1e-4


def _np(t):
    return t.detach().cpu().numpy()


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _copy_state(torch_module, cr_module):
    state = {k: _np(v) for k, v in torch_module.state_dict().items()}
    result = cr_module.load_state_dict(state)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert list(cr_module.state_dict().keys()) == list(torch_module.state_dict().keys())


def _compare(torch_module, cr_module, x, forward=None):
    """Forward both on x; backward one random cotangent; compare output and every gradient."""
    _copy_state(torch_module, cr_module)
    xt = torch.tensor(x, requires_grad=True)
    xc = cr.tensor(x, requires_grad=True)
    yt = torch_module(xt) if forward is None else forward(torch_module, xt)
    yc = cr_module(xc) if forward is None else forward(cr_module, xc)
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(yc[1].data, _np(yt[1]))
        yt, yc = yt[0], yc[0]
    assert yc.dtype == np.float32
    np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
    cot = np.random.default_rng(0).standard_normal(yc.shape).astype(np.float32)
    yt.backward(torch.tensor(cot))
    yc.backward(cr.tensor(cot))
    np.testing.assert_allclose(xc.grad.data, _np(xt.grad), rtol=RTOL, atol=ATOL)
    torch_params = dict(torch_module.named_parameters())
    cr_params = dict(cr_module.named_parameters())
    assert list(cr_params) == list(torch_params)
    for name, p in torch_params.items():
        assert cr_params[name].grad.dtype == np.float32
        np.testing.assert_allclose(cr_params[name].grad.data, _np(p.grad), rtol=RTOL, atol=ATOL,
                                   err_msg=name)


@pytest.mark.parametrize("nd,args,kwargs,shape", [
    (1, (3, 4, 3), dict(), (2, 3, 10)),
    (1, (4, 6, 3), dict(stride=2, padding=2, dilation=2, groups=2), (2, 4, 11)),
    (2, (1, 16, 5), dict(padding=2), (4, 1, 28, 28)),                   # LeNet conv1
    (2, (16, 32, 5), dict(), (4, 16, 14, 14)),                          # LeNet conv2
    (2, (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
     (2, 4, 9, 8)),
    (2, (3, 5, 4), dict(padding="same", dilation=1), (2, 3, 7, 6)),
    (2, (3, 5, 3), dict(padding="valid", bias=False), (2, 3, 7, 6)),
    (2, (4, 4, 3), dict(padding=1, groups=4), (2, 4, 6, 6)),
    (2, (2, 3, 3), dict(padding=(1, 2), padding_mode="reflect"), (2, 2, 6, 7)),
    (2, (2, 3, 3), dict(padding=1, padding_mode="replicate"), (2, 2, 5, 5)),
    (2, (2, 3, 3), dict(padding=(2, 1), padding_mode="circular"), (2, 2, 5, 5)),
    (3, (2, 4, (2, 3, 2)), dict(stride=(1, 2, 1), padding=(1, 0, 1)), (2, 2, 4, 6, 5)),
    (2, (3, 4, 3), dict(padding=1), (3, 8, 8)),                          # unbatched
])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv_layers_match_torch(nd, args, kwargs, shape):
    torch.manual_seed(0)
    tm = getattr(torch.nn, f"Conv{nd}d")(*args, **kwargs)
    cm = getattr(nn, f"Conv{nd}d")(*args, **kwargs)
    _compare(tm, cm, _x(*shape))
    assert repr(cm) == repr(tm)


@pytest.mark.parametrize("nd,args,kwargs,shape", [
    (1, (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5)),
    (1, (4, 6, 3), dict(stride=2, output_padding=2, dilation=3, groups=2), (2, 4, 4)),
    (2, (4, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 4)),
    (2, (4, 6, (3, 2)), dict(stride=(3, 1), padding=(0, 1), dilation=(1, 2), groups=2,
                             bias=False), (2, 4, 3, 4)),
    (3, (2, 2, 2), dict(stride=2, padding=(1, 0, 0), output_padding=(1, 0, 1)), (1, 2, 2, 3, 2)),
])
def test_conv_transpose_layers_match_torch(nd, args, kwargs, shape):
    torch.manual_seed(0)
    tm = getattr(torch.nn, f"ConvTranspose{nd}d")(*args, **kwargs)
    cm = getattr(nn, f"ConvTranspose{nd}d")(*args, **kwargs)
    _compare(tm, cm, _x(*shape))
    assert repr(cm) == repr(tm)


def test_conv_transpose_output_size_matches_torch():
    torch.manual_seed(0)
    tm = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    cm = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    _compare(tm, cm, _x(1, 3, 4, 5), forward=lambda m, x: m(x, output_size=(8, 9)))


def test_separable_conv_matches_torch_depthwise_then_pointwise():
    class TorchSeparable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.depthwise = torch.nn.Conv2d(3, 6, 3, padding=1, groups=3, bias=False)
            self.pointwise = torch.nn.Conv2d(6, 5, 1)

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    torch.manual_seed(0)
    _compare(TorchSeparable(), nn.SeparableConv2d(3, 5, 3, padding=1, depth_multiplier=2),
             _x(2, 3, 7, 7))


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), (2, 3, 12)),
    ("MaxPool2d", (2,), dict(), (4, 16, 28, 28)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, return_indices=True),
     (2, 3, 9, 8)),
    ("MaxPool3d", (2,), dict(stride=(1, 2, 2), padding=1), (1, 2, 4, 5, 5)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8, 9)),
    ("AvgPool2d", (2,), dict(divisor_override=3), (2, 3, 6, 6)),
    ("AvgPool3d", (2,), dict(stride=1, padding=1, count_include_pad=False), (1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool1d", (4,), dict(), (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, 5),), dict(), (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), dict(), (2, 3, 7, 9)),
    ("AdaptiveAvgPool3d", ((2, 3, 2),), dict(), (1, 2, 5, 6, 4)),
    ("AdaptiveMaxPool2d", ((3, 4),), dict(return_indices=True), (2, 3, 7, 9)),
])
def test_pool_layers_match_torch(name, args, kwargs, shape):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    cm = getattr(nn, name)(*args, **kwargs)
    _compare(tm, cm, _x(*shape))
    assert repr(cm) == repr(tm)


def test_lenet_matches_torch():
    def torch_lenet():
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(16 * 5 * 5, 10))

    def cr_lenet():
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 10))

    torch.manual_seed(0)
    _compare(torch_lenet(), cr_lenet(), _x(8, 1, 28, 28))


def test_functional_double_backward_matches_torch():
    """d/dx of (sum of squared input gradients) -- a second derivative through conv and pooling."""
    x, w = _x(2, 3, 8, 8).astype(np.float64), _x(4, 3, 3, 3, seed=2).astype(np.float64)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    TF = torch.nn.functional
    yt = TF.max_pool2d(torch.tanh(TF.conv2d(xt, wt, padding=1)), 2)
    (gx,) = torch.autograd.grad(yt.pow(2).sum(), xt, create_graph=True)
    gx.pow(2).sum().backward()

    xc = cr.tensor(x, requires_grad=True)
    wc = cr.tensor(w, requires_grad=True)
    yc = F.max_pool2d(cr.tanh(F.conv2d(xc, wc, padding=1)), 2)
    (gc,) = cr.autograd.grad((yc ** 2).sum(), xc, create_graph=True)
    (gc ** 2).sum().backward()

    np.testing.assert_allclose(gc.data, _np(gx), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xc.grad.data, _np(xt.grad), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(wc.grad.data, _np(wt.grad), rtol=1e-9, atol=1e-9)
