"""Losses: values against NumPy formulas, every option, gradients (first and second order),
stability at the extremes, and the errors a new user meets."""
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

rng = np.random.default_rng(0)


def _log_softmax(x, axis=1):
    shifted = x - x.max(axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


def _t(*shape, seed=None):
    r = rng if seed is None else np.random.default_rng(seed)
    return cr.tensor(r.standard_normal(shape))


X = np.random.default_rng(1).standard_normal((5, 4))
Y = np.array([0, 3, 1, 1, 2])
W = np.array([0.5, 2.0, 1.0, 3.0])


# --------------------------------------------------------------------------- cross-entropy values
def test_cross_entropy_worked_example():
    logits = cr.tensor([[2.0, 1.0, 0.1]])
    loss = F.cross_entropy(logits, cr.tensor([0]))
    expected = -math.log(math.exp(2) / (math.exp(2) + math.exp(1) + math.exp(0.1)))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert loss.shape == ()


def test_cross_entropy_reductions_weights_and_ignore_index():
    logp = _log_softmax(X)
    nll = -logp[np.arange(5), Y]
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), Y, reduction="none").data, nll)
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), Y, reduction="sum").item(), nll.sum())
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), Y).item(), nll.mean())
    # weighted mean divides by the total weight of the targets
    wy = W[Y]
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), Y, weight=W).item(),
                               (wy * nll).sum() / wy.sum())
    # ignored targets contribute nothing, to the sum or to the denominator
    y = Y.copy()
    y[1] = -100
    keep = y != -100
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), y, weight=W).item(),
                               (wy * nll)[keep].sum() / wy[keep].sum())
    per = F.cross_entropy(cr.tensor(X), y, reduction="none").data
    assert per[1] == 0
    y3 = Y.copy()
    y3[Y == 1] = 7
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), y3, ignore_index=7).item(),
                               nll[Y != 1].mean())


def test_cross_entropy_all_targets_ignored_is_nan_like_pytorch():
    loss = F.cross_entropy(cr.tensor(X), np.full(5, -100))
    assert np.isnan(loss.item())
    assert F.cross_entropy(cr.tensor(X), np.full(5, -100), reduction="sum").item() == 0


def test_cross_entropy_label_smoothing_formula():
    eps = 0.2
    logp = _log_softmax(X)
    smooth = -(1 - eps) * logp[np.arange(5), Y] - eps / 4 * logp.sum(1)
    np.testing.assert_allclose(
        F.cross_entropy(cr.tensor(X), Y, label_smoothing=eps, reduction="none").data, smooth)
    # with class weights (PyTorch's formula: both terms divided by the targets' total weight)
    wsmooth = -(1 - eps) * W[Y] * logp[np.arange(5), Y] - eps / 4 * (logp * W).sum(1)
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), Y, weight=W, label_smoothing=eps).item(),
                               wsmooth.sum() / W[Y].sum())


def test_cross_entropy_probability_targets():
    probs = np.random.default_rng(2).dirichlet(np.ones(4), size=5)
    logp = _log_softmax(X)
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), cr.tensor(probs)).item(),
                               -(probs * logp).sum(1).mean())
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), probs, weight=W, reduction="sum").item(),
                               -(probs * W * logp).sum())
    # one-hot probabilities equal index targets
    onehot = np.eye(4)[Y]
    np.testing.assert_allclose(F.cross_entropy(cr.tensor(X), onehot).item(),
                               F.cross_entropy(cr.tensor(X), Y).item())


def test_cross_entropy_spatial_targets_and_unbatched():
    x = rng.standard_normal((2, 3, 4, 5))
    y = rng.integers(0, 3, size=(2, 4, 5))
    logp = _log_softmax(x, 1)
    picked = np.take_along_axis(logp, y[:, None], 1)[:, 0]
    out = F.cross_entropy(cr.tensor(x), y, reduction="none")
    assert out.shape == (2, 4, 5)
    np.testing.assert_allclose(out.data, -picked)
    unbatched = F.cross_entropy(cr.tensor(X[0]), np.array(Y[0]), reduction="none")
    assert unbatched.shape == ()
    np.testing.assert_allclose(unbatched.item(), -_log_softmax(X[:1])[0, Y[0]])


def test_cross_entropy_is_stable_for_huge_and_masked_logits():
    x = cr.tensor(np.array([[1000.0, 0.0, -1000.0], [0.0, -np.inf, 2.0]]), requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor([0, 2]), reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, -_log_softmax(np.array([[0.0, 2.0]]))[0, 1]],
                               atol=1e-12)
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("kwargs", [{}, {"weight": W}, {"label_smoothing": 0.1},
                                    {"weight": W, "label_smoothing": 0.3, "ignore_index": 1},
                                    {"reduction": "sum"}, {"reduction": "none"}])
def test_cross_entropy_gradcheck_and_gradgradcheck(kwargs):
    f = lambda x: F.cross_entropy(x, Y, **kwargs)
    x = cr.tensor(X)
    assert cr.gradcheck(f, (x,))
    assert cr.gradgradcheck(f, (x,))


def test_cross_entropy_probability_targets_differentiable_in_both():
    f = lambda x, t: F.cross_entropy(x, F.softmax(t, dim=1), label_smoothing=0.1, weight=W)
    args = (cr.tensor(X), _t(5, 4))
    assert cr.gradcheck(f, args)
    assert cr.gradgradcheck(f, args)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = cr.tensor(X, requires_grad=True)
    F.cross_entropy(x, Y, reduction="sum").backward()
    probs = np.exp(_log_softmax(X))
    np.testing.assert_allclose(x.grad.data, probs - np.eye(4)[Y], atol=1e-12)


# --------------------------------------------------------------------------- cross-entropy errors
def test_cross_entropy_float_class_targets_explained():
    with pytest.raises(TypeError) as info:
        F.cross_entropy(cr.tensor(X), cr.tensor(Y.astype(np.float32)))
    msg = str(info.value)
    assert "integer" in msg and "(5,)" in msg and "astype(cr.int64)" in msg


def test_cross_entropy_target_shape_errors_give_hints():
    with pytest.raises(ValueError, match=r"expected target of shape \(5,\).*squeeze"):
        F.cross_entropy(cr.tensor(X), Y[:, None])
    with pytest.raises(ValueError, match="one-hot"):
        F.cross_entropy(cr.tensor(X), np.eye(4, dtype=np.int64)[Y])
    with pytest.raises(ValueError, match=r"expected target of shape \(5,\)"):
        F.cross_entropy(cr.tensor(X), Y[:3])
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.cross_entropy(cr.tensor(X[:, 0]), (Y > 1).astype(np.int64))
    with pytest.raises(ValueError, match="probability targets must have the input's shape"):
        F.cross_entropy(cr.tensor(X), np.ones((5, 3)) / 3)


def test_cross_entropy_out_of_range_targets_explained():
    with pytest.raises(ValueError, match=r"target 4 is out of bounds for 4 classes.*1-based"):
        F.cross_entropy(cr.tensor(X), Y + 1)
    with pytest.raises(ValueError, match="target -1 is out of bounds"):
        F.cross_entropy(cr.tensor(X), np.array([0, -1, 0, 0, 0]))
    with pytest.raises(TypeError, match="logits or probabilities"):
        F.cross_entropy(cr.tensor(Y), cr.tensor(X))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(cr.tensor(X), Y, reduction="avg")
    with pytest.raises(ValueError, match="4 class weights"):
        F.cross_entropy(cr.tensor(X), Y, weight=np.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(cr.tensor(X), Y, label_smoothing=1.5)


# --------------------------------------------------------------------------- nll / multi-margin
def test_nll_loss_values_and_gradients():
    logp = _log_softmax(X)
    y = Y.copy()
    y[0] = -100
    keep = y != -100
    expected = -(W[Y] * logp[np.arange(5), Y])[keep].sum() / W[Y][keep].sum()
    np.testing.assert_allclose(F.nll_loss(cr.tensor(logp), y, weight=W).item(), expected)
    np.testing.assert_allclose(F.nll_loss(cr.tensor(logp), Y, reduction="none").data,
                               -logp[np.arange(5), Y])
    f = lambda x: F.nll_loss(x, y, weight=W)
    assert cr.gradcheck(f, (cr.tensor(logp),)) and cr.gradgradcheck(f, (cr.tensor(logp),))
    # log_softmax + nll_loss == cross_entropy
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(cr.tensor(X), dim=1), Y).item(),
                               F.cross_entropy(cr.tensor(X), Y).item())


def _multi_margin_reference(x, y, p, margin, weight):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                h = max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                out[i] += (1.0 if weight is None else weight[y[i]]) * h
    return out / c


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weight", [None, W])
def test_multi_margin_loss_values_and_gradients(p, weight):
    ref = _multi_margin_reference(X, Y, p, 0.8, weight)
    out = F.multi_margin_loss(cr.tensor(X), Y, p=p, margin=0.8, weight=weight, reduction="none")
    np.testing.assert_allclose(out.data, ref)
    np.testing.assert_allclose(F.multi_margin_loss(cr.tensor(X), Y, p=p, margin=0.8,
                                                   weight=weight).item(), ref.mean())
    f = lambda x: F.multi_margin_loss(x, Y, p=p, margin=0.8, weight=weight)
    assert cr.gradcheck(f, (cr.tensor(X),)) and cr.gradgradcheck(f, (cr.tensor(X),))


def test_multi_margin_loss_rejects_bad_p():
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        F.multi_margin_loss(cr.tensor(X), Y, p=3)
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)


# --------------------------------------------------------------------------- regression
A = np.random.default_rng(3).standard_normal((4, 3))
B = np.random.default_rng(4).standard_normal((4, 3))


@pytest.mark.parametrize("name, kwargs, reference", [
    ("mse_loss", {}, lambda d: d ** 2),
    ("l1_loss", {}, np.abs),
    ("huber_loss", {"delta": 0.7},
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d ** 2, 0.7 * (np.abs(d) - 0.35))),
    ("smooth_l1_loss", {"beta": 0.7},
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d ** 2 / 0.7, np.abs(d) - 0.35)),
    ("smooth_l1_loss", {"beta": 0.0}, np.abs),
])
def test_regression_losses(name, kwargs, reference):
    fn = getattr(F, name)
    expected = reference(A - B)
    np.testing.assert_allclose(fn(cr.tensor(A), cr.tensor(B), reduction="none", **kwargs).data,
                               expected)
    np.testing.assert_allclose(fn(cr.tensor(A), cr.tensor(B), **kwargs).item(), expected.mean())
    np.testing.assert_allclose(fn(cr.tensor(A), cr.tensor(B), reduction="sum", **kwargs).item(),
                               expected.sum())
    f = lambda a, b: fn(a, b, **kwargs)
    assert cr.gradcheck(f, (cr.tensor(A), cr.tensor(B)))
    if name != "l1_loss" and kwargs.get("beta", 1) != 0:
        assert cr.gradgradcheck(f, (cr.tensor(A), cr.tensor(B)))


def test_regression_loss_broadcast_warns_with_hint():
    with pytest.warns(UserWarning, match=r"different to the input size.*\(N, 1\)"):
        F.mse_loss(cr.zeros(4, 1), cr.zeros(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(cr.zeros(4), cr.zeros(4))


def test_l1_gradient_is_zero_where_equal():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    F.l1_loss(a, cr.tensor([1.0, 0.0, 5.0]), reduction="sum").backward()
    np.testing.assert_array_equal(a.grad.data, [0, 1, -1])


# --------------------------------------------------------------------------- binary
P = 1 / (1 + np.exp(-A))
T = np.random.default_rng(5).random((4, 3))


def test_binary_cross_entropy_values_weights_and_gradients():
    expected = -(T * np.log(P) + (1 - T) * np.log(1 - P))
    np.testing.assert_allclose(F.binary_cross_entropy(cr.tensor(P), cr.tensor(T),
                                                      reduction="none").data, expected)
    w = np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(F.binary_cross_entropy(cr.tensor(P), T, weight=w).item(),
                               (expected * w).mean())
    f = lambda p, t: F.binary_cross_entropy(p, t, weight=w)
    args = (cr.tensor(P), cr.tensor(T))
    assert cr.gradcheck(f, args) and cr.gradgradcheck(f, args)


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    p = cr.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, cr.tensor([0.0, 1.0, 1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [0, 0, 100, 100])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.data))


def test_binary_cross_entropy_checks_range_and_shape():
    with pytest.raises(ValueError, match="between 0 and 1.*with_logits"):
        F.binary_cross_entropy(cr.tensor([1.5, 0.2]), cr.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"target size \(2, 1\) must be the same as input size"):
        F.binary_cross_entropy(cr.tensor([0.5, 0.2]), cr.zeros(2, 1))


@pytest.mark.parametrize("pos_weight", [None, np.array([2.0, 1.0, 0.5])])
def test_binary_cross_entropy_with_logits_values_and_gradients(pos_weight):
    pw = 1.0 if pos_weight is None else pos_weight
    expected = -(pw * T * np.log(P) + (1 - T) * np.log(1 - P))
    out = F.binary_cross_entropy_with_logits(cr.tensor(A), cr.tensor(T), reduction="none",
                                             pos_weight=pos_weight)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    w = np.array([[1.0], [2.0], [0.5], [1.0]])
    f = lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pos_weight)
    args = (cr.tensor(A), cr.tensor(T))
    assert cr.gradcheck(f, args) and cr.gradgradcheck(f, args)


def test_binary_cross_entropy_with_logits_never_overflows():
    x = cr.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, cr.tensor([1.0, 0.0, 0.0, 1.0]),
                                              reduction="none")
    np.testing.assert_allclose(loss.data, [0, 0, 1000, 1000])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0, 0, 1, -1])


def test_kl_div_and_soft_margin():
    logq = _log_softmax(X)
    p = np.random.default_rng(6).dirichlet(np.ones(4), size=5)
    p[0, 0] = 0
    expected = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - logq), 0)
    np.testing.assert_allclose(F.kl_div(cr.tensor(logq), p, reduction="batchmean").item(),
                               expected.sum() / 5)
    f = lambda a: F.kl_div(a, p, reduction="sum")
    assert cr.gradcheck(f, (cr.tensor(logq),)) and cr.gradgradcheck(f, (cr.tensor(logq),))
    y = np.sign(B)
    np.testing.assert_allclose(F.soft_margin_loss(cr.tensor(A), y).item(),
                               np.log1p(np.exp(-y * A)).mean())
    g = lambda a: F.soft_margin_loss(a, y)
    assert cr.gradcheck(g, (cr.tensor(A),)) and cr.gradgradcheck(g, (cr.tensor(A),))


# --------------------------------------------------------------------------- modules
def test_loss_modules_match_functional_and_hold_weights_as_buffers():
    x, t = cr.tensor(X), cr.tensor(Y)
    ce = nn.CrossEntropyLoss(weight=W, label_smoothing=0.1, ignore_index=2, reduction="sum")
    assert ce(x, t).item() == pytest.approx(
        F.cross_entropy(x, t, weight=W, label_smoothing=0.1, ignore_index=2, reduction="sum").item())
    assert list(ce.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert nn.NLLLoss()(F.log_softmax(x, 1), t).item() == pytest.approx(F.cross_entropy(x, t).item())
    assert nn.MultiMarginLoss(p=2, margin=0.5)(x, t).item() == pytest.approx(
        F.multi_margin_loss(x, t, p=2, margin=0.5).item())
    a, b = cr.tensor(A), cr.tensor(B)
    assert nn.MSELoss()(a, b).item() == pytest.approx(F.mse_loss(a, b).item())
    assert nn.L1Loss(reduction="sum")(a, b).item() == pytest.approx(F.l1_loss(a, b, reduction="sum").item())
    assert nn.HuberLoss(delta=0.5)(a, b).item() == pytest.approx(F.huber_loss(a, b, delta=0.5).item())
    assert nn.SmoothL1Loss(beta=0.5)(a, b).item() == pytest.approx(
        F.smooth_l1_loss(a, b, beta=0.5).item())
    assert nn.BCELoss()(cr.tensor(P), T).item() == pytest.approx(
        F.binary_cross_entropy(cr.tensor(P), T).item())
    bce = nn.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0, 3.0]))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert bce(a, T).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(a, T, pos_weight=np.array([1.0, 2.0, 3.0])).item())
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_legacy_size_average_and_reduce_flags():
    with pytest.warns(UserWarning, match="deprecated"):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
