"""Regression tests from an audit of chainrule.nn against PyTorch.

Each test pins a discrepancy that was found and fixed; the torch-oracle tests are
skipped when torch is not installed.
"""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


def _logits():
    return np.random.RandomState(0).randn(4, 3)


# --------------------------------------------------------------------------- all targets ignored
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_all_ignored_mean_is_nan_with_zero_gradient(label_smoothing, weighted):
    x = cr.tensor(_logits(), requires_grad=True)
    target = cr.tensor(np.array([2, 2, 2, 2]))
    weight = cr.tensor(np.array([0.5, 1.0, 2.0])) if weighted else None
    loss = F.cross_entropy(x, target, weight=weight, ignore_index=2,
                           label_smoothing=label_smoothing)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 3)))


def test_cross_entropy_all_ignored_spatial_and_module():
    x = cr.tensor(np.random.RandomState(1).randn(2, 3, 2, 2), requires_grad=True)
    target = cr.tensor(np.full((2, 2, 2), -100))
    loss = nn.CrossEntropyLoss()(x, target)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 2, 2)))


def test_nll_loss_all_ignored_mean_is_nan_with_zero_gradient():
    x = cr.tensor(_logits(), requires_grad=True)
    target = cr.tensor(np.array([1, 1, 1, 1]))
    loss = F.nll_loss(x, target, ignore_index=1)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 3)))


def test_all_ignored_sum_and_none_are_zero():
    x = cr.tensor(_logits(), requires_grad=True)
    target = cr.tensor(np.array([0, 0, 0, 0]))
    assert F.cross_entropy(x, target, ignore_index=0, reduction="sum").item() == 0.0
    np.testing.assert_array_equal(
        F.nll_loss(x, target, ignore_index=0, reduction="none").detach().numpy(), np.zeros(4))


def test_all_ignored_second_order_gradient_is_zero():
    x = cr.tensor(_logits(), requires_grad=True)
    target = cr.tensor(np.array([2, 2, 2, 2]))
    (g,) = cr.autograd.grad(F.cross_entropy(x, target, ignore_index=2, label_smoothing=0.1),
                            [x], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros((4, 3)))


def test_partially_ignored_mean_unchanged():
    # the mean divides by the number (total weight) of the kept targets only
    logits = _logits()
    x = cr.tensor(logits)
    loss = F.cross_entropy(x, cr.tensor(np.array([0, 1, 1, 2])), ignore_index=1).item()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(loss, -(logp[0, 0] + logp[3, 2]) / 2, rtol=1e-12)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_all_ignored_matches_torch(fn, reduction):
    torch = pytest.importorskip("torch")
    logits = np.random.RandomState(2).randn(2, 3, 2)
    target = np.full((2, 2), 1)
    weight = np.array([0.3, 1.0, 2.0])
    xc = cr.tensor(logits, requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    yc = getattr(F, fn)(xc, cr.tensor(target), weight=cr.tensor(weight), ignore_index=1,
                        reduction=reduction)
    yt = getattr(torch.nn.functional, fn)(xt, torch.tensor(target), weight=torch.tensor(weight),
                                          ignore_index=1, reduction=reduction)
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), equal_nan=True)
    upstream = np.ones(yt.shape)
    yc.backward(cr.tensor(upstream))
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy())


def test_optimizer_state_with_a_schedule_driven_negative_lr_round_trips():
    # OneCycleLR(three_phase=True, anneal_strategy="linear") ends a rounding error below 0 (as
    # in PyTorch); saving and loading that optimizer must work and keep the value.
    import chainrule.optim as optim
    from chainrule.optim.lr_scheduler import OneCycleLR
    p = cr.nn.Parameter(cr.ones(2))
    opt = optim.Adam([p], lr=0.1)
    sched = OneCycleLR(opt, max_lr=0.5, total_steps=8, three_phase=True, anneal_strategy="linear")
    for _ in range(8):
        opt.step()
        sched.step()
    saved_lr = opt.param_groups[0]["lr"]
    fresh = optim.Adam([p], lr=0.1)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["lr"] == saved_lr
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        bad = opt.state_dict()
        bad["param_groups"][0]["eps"] = -1.0
        optim.Adam([p], lr=0.1).load_state_dict(bad)
