"""Optional PyTorch oracle: the same layer, the same weights (copied by state-dict name), the
same input give the same output, input gradient and parameter gradients."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 1e-5


def _np(t):
    return t.detach().cpu().numpy()


def _copy_state(torch_module, cr_module):
    """Load the PyTorch module's state dict (as ndarrays) into the chainrule module, strictly."""
    state = {k: _np(v) for k, v in torch_module.state_dict().items()}
    result = cr_module.load_state_dict(state)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert list(cr_module.state_dict().keys()) == list(torch_module.state_dict().keys())


def _compare(torch_module, cr_module, x, *, train=True, seed_grad=0):
    """Forward both on x; backward a fixed random cotangent; compare outputs and gradients."""
    torch_module.train(train)
    cr_module.train(train)
    xt = torch.tensor(x, requires_grad=True)
    xc = cr.tensor(x, requires_grad=True)
    yt = torch_module(xt)
    yc = cr_module(xc)
    np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
    cot = np.random.default_rng(seed_grad).standard_normal(yc.shape).astype(x.dtype)
    yt.backward(torch.tensor(cot))
    yc.backward(cr.tensor(cot))
    np.testing.assert_allclose(xc.grad.data, _np(xt.grad), rtol=RTOL, atol=ATOL)
    torch_params = dict(torch_module.named_parameters())
    cr_params = dict(cr_module.named_parameters())
    assert list(cr_params) == list(torch_params)
    for name, p in torch_params.items():
        np.testing.assert_allclose(cr_params[name].grad.data, _np(p.grad), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    return yc, yt


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# --------------------------------------------------------------------------- layers
def test_linear_matches_torch():
    tm = torch.nn.Linear(7, 5)
    cm = nn.Linear(7, 5)
    _copy_state(tm, cm)
    _compare(tm, cm, _x(4, 7))
    _compare(tm, cm, _x(2, 3, 7), seed_grad=1)


def test_linear_without_bias_matches_torch():
    tm = torch.nn.Linear(4, 3, bias=False)
    cm = nn.Linear(4, 3, bias=False)
    _copy_state(tm, cm)
    _compare(tm, cm, _x(6, 4))


def test_mlp_sequential_matches_torch():
    tm = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.ReLU(),
                             torch.nn.BatchNorm1d(8), torch.nn.Tanh(), torch.nn.Linear(8, 3),
                             torch.nn.LayerNorm(3))
    cm = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Tanh(),
                       nn.Linear(8, 3), nn.LayerNorm(3))
    _copy_state(tm, cm)
    _compare(tm, cm, _x(5, 3, 4))
    _compare(tm, cm, _x(5, 3, 4, seed=2), train=False)


@pytest.mark.parametrize("cls_name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                             ("BatchNorm2d", (4, 3, 2, 3)),
                                             ("BatchNorm3d", (2, 3, 2, 2, 2))])
def test_batchnorm_matches_torch_including_running_stats(cls_name, shape):
    tm = getattr(torch.nn, cls_name)(3, momentum=0.3)
    cm = getattr(nn, cls_name)(3, momentum=0.3)
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-0.5, 0.5)
    _copy_state(tm, cm)
    for step in range(2):   # two training steps: running statistics must agree
        tm.zero_grad()
        cm.zero_grad()
        _compare(tm, cm, _x(*shape, seed=10 + step), seed_grad=step)
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(cm.state_dict()[key].data, _np(value), rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    assert cm.num_batches_tracked.dtype == np.int64 and int(cm.num_batches_tracked.item()) == 2
    tm.zero_grad()
    cm.zero_grad()
    _compare(tm, cm, _x(*shape, seed=20), train=False)


def test_batchnorm_cumulative_average_and_options_match_torch():
    for kwargs in ({"momentum": None}, {"affine": False}, {"track_running_stats": False},
                   {"eps": 1e-2, "momentum": 0.5}, {"bias": False}):
        tm = torch.nn.BatchNorm1d(4, **kwargs)
        cm = nn.BatchNorm1d(4, **kwargs)
        _copy_state(tm, cm)
        for step in range(3):
            x = _x(5, 4, seed=step) * 2 + 1
            yt = tm.train()(torch.tensor(x))
            yc = cm.train()(cr.tensor(x))
            np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
        for key, value in tm.state_dict().items():
            np.testing.assert_allclose(cm.state_dict()[key].data, _np(value), rtol=1e-5,
                                       atol=1e-6, err_msg=f"{kwargs} {key}")
        x = _x(3, 4, seed=9)
        np.testing.assert_allclose(cm.eval()(cr.tensor(x)).data, _np(tm.eval()(torch.tensor(x))),
                                   rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False},
                                    {"eps": 1e-3}])
def test_layernorm_matches_torch(kwargs):
    tm = torch.nn.LayerNorm((3, 4), **kwargs)
    cm = nn.LayerNorm((3, 4), **kwargs)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            if tm.bias is not None:
                tm.bias.uniform_(-1, 1)
    _copy_state(tm, cm)
    _compare(tm, cm, _x(2, 5, 3, 4))


def test_groupnorm_matches_torch():
    tm = torch.nn.GroupNorm(2, 4)
    cm = nn.GroupNorm(2, 4)
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-1, 1)
    _copy_state(tm, cm)
    _compare(tm, cm, _x(3, 4, 5))


def test_embedding_matches_torch():
    for kwargs in ({}, {"padding_idx": 1}, {"scale_grad_by_freq": True}):
        tm = torch.nn.Embedding(6, 4, **kwargs)
        cm = nn.Embedding(6, 4, **kwargs)
        _copy_state(tm, cm)
        idx = np.array([[0, 1, 3], [3, 3, 5]])
        yt = tm(torch.tensor(idx))
        yc = cm(cr.tensor(idx))
        np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
        cot = np.random.default_rng(0).standard_normal(yc.shape).astype(np.float32)
        yt.backward(torch.tensor(cot))
        yc.backward(cr.tensor(cot))
        np.testing.assert_allclose(cm.weight.grad.data, _np(tm.weight.grad), rtol=RTOL, atol=ATOL)


def test_embedding_max_norm_matches_torch():
    tm = torch.nn.Embedding(5, 3, max_norm=1.0)
    cm = nn.Embedding(5, 3, max_norm=1.0)
    _copy_state(tm, cm)
    idx = np.array([0, 2, 2, 4])
    np.testing.assert_allclose(cm(cr.tensor(idx)).data, _np(tm(torch.tensor(idx))), rtol=RTOL,
                               atol=ATOL)
    np.testing.assert_allclose(cm.weight.data, _np(tm.weight), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, kwargs", [
    ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.7}),
    ("SELU", {}), ("CELU", {"alpha": 1.3}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("Sigmoid", {}), ("Hardsigmoid", {}), ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("Hardswish", {}), ("Tanh", {}), ("Softplus", {"beta": 2.0, "threshold": 3.0}),
    ("Softsign", {}), ("SiLU", {}), ("Mish", {}), ("LogSigmoid", {}), ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": 1}), ("Softmin", {"dim": 0}), ("Tanhshrink", {}), ("GLU", {"dim": 1}),
    ("PReLU", {"num_parameters": 4}),
])
def test_activation_modules_match_torch(name, kwargs):
    tm = getattr(torch.nn, name)(**kwargs)
    cm = getattr(nn, name)(**kwargs)
    _copy_state(tm, cm)
    x = _x(3, 4, 2) * 3
    _compare(tm, cm, x)


def test_dropout_eval_is_identity_like_torch():
    tm, cm = torch.nn.Dropout(0.3), nn.Dropout(0.3)
    _compare(tm, cm, _x(4, 5), train=False)


# --------------------------------------------------------------------------- losses
def _loss_compare(torch_fn, cr_fn, x, target, *, target_grad=False):
    xt = torch.tensor(x, requires_grad=True)
    xc = cr.tensor(x, requires_grad=True)
    if target_grad:
        tt = torch.tensor(target, requires_grad=True)
        tc = cr.tensor(target, requires_grad=True)
    else:
        tt, tc = torch.tensor(target), cr.tensor(target)
    lt = torch_fn(xt, tt)
    lc = cr_fn(xc, tc)
    np.testing.assert_allclose(lc.data, _np(lt), rtol=RTOL, atol=ATOL)
    cot = np.random.default_rng(3).standard_normal(lc.shape).astype(np.float32)
    lt.backward(torch.tensor(cot))
    lc.backward(cr.tensor(cot))
    np.testing.assert_allclose(xc.grad.data, _np(xt.grad), rtol=RTOL, atol=ATOL)
    if target_grad:
        np.testing.assert_allclose(tc.grad.data, _np(tt.grad), rtol=RTOL, atol=ATOL)


REDUCTIONS = ["mean", "sum", "none"]
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0], dtype=np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_index_targets_match_torch(reduction, weight, label_smoothing, ignore_index):
    x = _x(6, 4)
    target = np.array([0, 2, 3, 1, 2, 0])
    kw = dict(reduction=reduction, label_smoothing=label_smoothing, ignore_index=ignore_index)
    _loss_compare(
        lambda a, b: torch.nn.functional.cross_entropy(
            a, b, weight=None if weight is None else torch.tensor(weight), **kw),
        lambda a, b: F.cross_entropy(a, b, weight=weight, **kw), x, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_unbatched_match_torch(reduction):
    x = _x(2, 4, 3, 2)
    target = np.random.default_rng(0).integers(0, 4, size=(2, 3, 2))
    target[0, 1, 1] = -100
    for kw in ({}, {"weight": WEIGHT, "label_smoothing": 0.1}):
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        _loss_compare(lambda a, b: torch.nn.functional.cross_entropy(a, b, reduction=reduction,
                                                                     **tkw),
                      lambda a, b: F.cross_entropy(a, b, reduction=reduction, **kw), x, target)
    _loss_compare(lambda a, b: torch.nn.functional.cross_entropy(a, b, reduction=reduction),
                  lambda a, b: F.cross_entropy(a, b, reduction=reduction), _x(5),
                  np.array(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_probability_targets_match_torch(reduction, weight, label_smoothing):
    x = _x(5, 4)
    probs = np.random.default_rng(2).dirichlet(np.ones(4), size=5).astype(np.float32)
    kw = dict(reduction=reduction, label_smoothing=label_smoothing)
    _loss_compare(
        lambda a, b: torch.nn.functional.cross_entropy(
            a, b, weight=None if weight is None else torch.tensor(weight), **kw),
        lambda a, b: F.cross_entropy(a, b, weight=weight, **kw), x, probs, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_nll_loss_matches_torch(reduction, weight):
    x = _x(6, 4)
    target = np.array([0, 2, 3, 1, 2, -100])
    _loss_compare(
        lambda a, b: torch.nn.functional.nll_loss(
            torch.log_softmax(a, 1), b, reduction=reduction,
            weight=None if weight is None else torch.tensor(weight)),
        lambda a, b: F.nll_loss(F.log_softmax(a, 1), b, reduction=reduction, weight=weight),
        x, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weight):
    x = _x(6, 4)
    target = np.array([0, 2, 3, 1, 2, 0])
    _loss_compare(
        lambda a, b: torch.nn.functional.multi_margin_loss(
            a, b, p=p, margin=margin, reduction=reduction,
            weight=None if weight is None else torch.tensor(weight)),
        lambda a, b: F.multi_margin_loss(a, b, p=p, margin=margin, reduction=reduction,
                                         weight=weight), x, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs", [("mse_loss", {}), ("l1_loss", {}),
                                          ("huber_loss", {"delta": 0.6}),
                                          ("smooth_l1_loss", {"beta": 0.4}),
                                          ("smooth_l1_loss", {"beta": 0.0}),
                                          ("soft_margin_loss", {})])
def test_regression_losses_match_torch(reduction, name, kwargs):
    x = _x(4, 3)
    target = _x(4, 3, seed=5)
    if name == "soft_margin_loss":
        target = np.sign(target)
    _loss_compare(lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction,
                                                                  **kwargs),
                  lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), x, target,
                  target_grad=name != "soft_margin_loss")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses_match_torch(reduction):
    x, target = _x(4, 3), _x(4, 3, seed=5)
    weight = np.random.default_rng(7).random((4, 3)).astype(np.float32)
    for name, kwargs in (("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 0.5})):
        _loss_compare(lambda a, b: getattr(torch.nn.functional, name)(
                          a, b, reduction=reduction, weight=torch.tensor(weight), **kwargs),
                      lambda a, b: getattr(F, name)(a, b, reduction=reduction, weight=weight,
                                                    **kwargs), x, target, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_binary_cross_entropy_matches_torch(reduction, with_weight):
    probs = 1 / (1 + np.exp(-_x(4, 3)))
    target = (np.random.default_rng(1).random((4, 3)) > 0.5).astype(np.float32)
    weight = np.array([1.0, 0.5, 2.0], dtype=np.float32) if with_weight else None
    _loss_compare(
        lambda a, b: torch.nn.functional.binary_cross_entropy(
            a, b, reduction=reduction, weight=None if weight is None else torch.tensor(weight)),
        lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction, weight=weight),
        probs, target)


def test_binary_cross_entropy_clamps_like_torch():
    probs = np.array([0.0, 1.0, 0.0, 1.0, 0.3], dtype=np.float32)
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.4], dtype=np.float32)
    for reduction in REDUCTIONS:
        lt = torch.nn.functional.binary_cross_entropy(torch.tensor(probs), torch.tensor(target),
                                                      reduction=reduction)
        lc = F.binary_cross_entropy(cr.tensor(probs), cr.tensor(target), reduction=reduction)
        np.testing.assert_allclose(lc.data, _np(lt), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"pos_weight": True},
                                     {"weight": True, "pos_weight": True}])
def test_binary_cross_entropy_with_logits_matches_torch(reduction, options):
    x = _x(4, 3) * 5
    x[0, 0], x[1, 1] = 200.0, -200.0   # extreme logits stay finite
    target = np.random.default_rng(1).random((4, 3)).astype(np.float32)
    weight = np.array([1.0, 0.5, 2.0], dtype=np.float32) if options.get("weight") else None
    pos_weight = np.array([3.0, 1.0, 0.5], dtype=np.float32) if options.get("pos_weight") else None
    tw = None if weight is None else torch.tensor(weight)
    tpw = None if pos_weight is None else torch.tensor(pos_weight)
    _loss_compare(
        lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(
            a, b, weight=tw, pos_weight=tpw, reduction=reduction),
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=weight,
                                                        pos_weight=pos_weight,
                                                        reduction=reduction),
        x, target, target_grad=True)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=3)).astype(np.float32)
    target = np.random.default_rng(1).dirichlet(np.ones(4), size=3).astype(np.float32)
    target[0, 1] = 0.0
    if log_target:
        target = np.log(target + 0.1).astype(np.float32)
    _loss_compare(lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction,
                                                          log_target=log_target),
                  lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), x,
                  target)


def test_loss_modules_state_dicts_match_torch():
    w = torch.tensor(WEIGHT)
    pairs = [(torch.nn.CrossEntropyLoss(weight=w), nn.CrossEntropyLoss(weight=WEIGHT)),
             (torch.nn.NLLLoss(), nn.NLLLoss()),
             (torch.nn.BCEWithLogitsLoss(pos_weight=w), nn.BCEWithLogitsLoss(pos_weight=WEIGHT)),
             (torch.nn.MultiMarginLoss(weight=w), nn.MultiMarginLoss(weight=WEIGHT))]
    for tm, cm in pairs:
        assert list(cm.state_dict()) == list(tm.state_dict())
        cm.load_state_dict(tm.state_dict())   # torch tensors load directly too
        _copy_state(tm, cm)
        assert repr(cm) == repr(tm)


def test_cross_entropy_module_matches_torch():
    tm = torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT), label_smoothing=0.1,
                                   ignore_index=1)
    cm = nn.CrossEntropyLoss(weight=WEIGHT, label_smoothing=0.1, ignore_index=1)
    x, t = _x(5, 4), np.array([0, 1, 2, 3, 1])
    np.testing.assert_allclose(cm(cr.tensor(x), cr.tensor(t)).data,
                               _np(tm(torch.tensor(x), torch.tensor(t))), rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- functional odds and ends
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode):
    x = _x(2, 3, 4, 5)
    for pad in ((1, 2, 0, 0), (2, 1, 1, 3), (1, 0, 0, 2, 1, 1)):
        if mode in ("reflect", "replicate", "circular") and len(pad) != 4:
            continue  # PyTorch pads 2 trailing axes of a 4-D input in these modes
        kw = {"value": 1.5} if mode == "constant" else {}
        yt = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode, **kw)
        yc = F.pad(cr.tensor(x), pad, mode=mode, **kw)
        np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
    yt = torch.nn.functional.pad(torch.tensor(x), (-1, 2, 1, -2))
    np.testing.assert_allclose(F.pad(cr.tensor(x), (-1, 2, 1, -2)).data, _np(yt))


def test_normalize_cosine_one_hot_match_torch():
    x = _x(4, 3)
    x[1] = 0.0
    for p in (1.0, 2.0, 3.0):
        np.testing.assert_allclose(F.normalize(cr.tensor(x), p=p, dim=1).data,
                                   _np(torch.nn.functional.normalize(torch.tensor(x), p=p, dim=1)),
                                   rtol=RTOL, atol=ATOL)
    y = _x(4, 3, seed=3)
    np.testing.assert_allclose(
        F.cosine_similarity(cr.tensor(x), cr.tensor(y)).data,
        _np(torch.nn.functional.cosine_similarity(torch.tensor(x), torch.tensor(y))),
        rtol=RTOL, atol=ATOL)
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(idx), 5).data,
                                  _np(torch.nn.functional.one_hot(torch.tensor(idx), 5)))


def test_init_fans_and_gains_match_torch():
    for shape in ((5, 3), (4, 2, 3), (6, 3, 2, 2)):
        assert nn.init._calculate_fan_in_and_fan_out(cr.zeros(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    for name, param in (("relu", None), ("tanh", None), ("leaky_relu", None),
                        ("leaky_relu", 0.2), ("selu", None), ("sigmoid", None), ("conv2d", None)):
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5,), (2, 2, 2))]
    for norm_type in (2.0, 1.0, float("inf"), 3.0):
        for max_norm in (0.5, 100.0):
            tp = [torch.zeros(g.shape, requires_grad=True) for g in grads]
            cp = [nn.Parameter(np.zeros(g.shape, dtype=np.float32)) for g in grads]
            for t, c, g in zip(tp, cp, grads):
                t.grad = torch.tensor(g)
                c.grad = cr.tensor(g)
            nt = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
            nc = nn.utils.clip_grad_norm_(cp, max_norm, norm_type)
            np.testing.assert_allclose(nc.data, _np(nt), rtol=1e-5)
            for t, c in zip(tp, cp):
                np.testing.assert_allclose(c.grad.data, _np(t.grad), rtol=1e-5, atol=1e-7)


def test_module_repr_matches_torch():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                             torch.nn.BatchNorm1d(3), torch.nn.LayerNorm(3),
                             torch.nn.Embedding(5, 2, padding_idx=0), torch.nn.Flatten(),
                             torch.nn.LeakyReLU(0.2), torch.nn.GELU(approximate="tanh"),
                             torch.nn.Softmax(dim=1), torch.nn.Softplus(),
                             torch.nn.ModuleList([torch.nn.Tanh(), torch.nn.Tanh()]),
                             torch.nn.Identity(), torch.nn.ELU(), torch.nn.Hardtanh(),
                             torch.nn.GroupNorm(2, 4), torch.nn.Dropout2d(), torch.nn.PReLU(),
                             torch.nn.LayerNorm(3, bias=False), torch.nn.BatchNorm2d(3, affine=False),
                             torch.nn.Unflatten(1, (2, 2)))
    cm = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(3),
                       nn.LayerNorm(3), nn.Embedding(5, 2, padding_idx=0), nn.Flatten(),
                       nn.LeakyReLU(0.2), nn.GELU(approximate="tanh"), nn.Softmax(dim=1),
                       nn.Softplus(), nn.ModuleList([nn.Tanh(), nn.Tanh()]), nn.Identity(),
                       nn.ELU(), nn.Hardtanh(), nn.GroupNorm(2, 4), nn.Dropout2d(), nn.PReLU(),
                       nn.LayerNorm(3, bias=False), nn.BatchNorm2d(3, affine=False),
                       nn.Unflatten(1, (2, 2)))
    assert repr(cm) == repr(tm)


def test_default_init_distribution_matches_torch_bounds():
    torch.manual_seed(0)
    cr.manual_seed(0)
    tm, cm = torch.nn.Linear(50, 40), nn.Linear(50, 40)
    bound = 1 / np.sqrt(50)
    for t, c in ((tm.weight, cm.weight), (tm.bias, cm.bias)):
        assert np.abs(c.data).max() <= bound and np.abs(_np(t)).max() <= bound
        # both uniform on the same interval: same variance bound**2 / 3 (loosely)
        assert abs(c.data.var() - bound ** 2 / 3) < 0.3 * bound ** 2 / 3


def test_instance_norm_matches_torch():
    x = _x(3, 2, 4, 5)
    weight, bias = np.array([0.5, 2.0], np.float32), np.array([1.0, -1.0], np.float32)
    rm_t, rv_t = torch.zeros(2), torch.ones(2)
    rm_c, rv_c = cr.zeros(2), cr.ones(2)
    yt = torch.nn.functional.instance_norm(torch.tensor(x), rm_t, rv_t, torch.tensor(weight),
                                           torch.tensor(bias), momentum=0.3)
    yc = F.instance_norm(cr.tensor(x), rm_c, rv_c, weight, bias, momentum=0.3)
    np.testing.assert_allclose(yc.data, _np(yt), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(rm_c.data, _np(rm_t), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv_c.data, _np(rv_t), rtol=1e-5, atol=1e-6)
