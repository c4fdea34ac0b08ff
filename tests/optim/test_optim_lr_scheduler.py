"""Learning-rate schedulers: trajectories against closed forms computed by hand, momentum
cycling, state dicts (also through chainrule.save/load), errors."""
import math

import numpy as np
import pytest

from chainrule import optim
from chainrule.io import load, save
from chainrule.nn import Parameter
from chainrule.optim import lr_scheduler as sched


def sgd(lr=1.0, groups=1, momentum=0.0):
    params = [Parameter(np.zeros(1)) for _ in range(groups)]
    return optim.SGD([{"params": [p]} for p in params], lr=lr, momentum=momentum)


def trajectory(scheduler, n):
    """lr of every group at epochs 0..n-1 (the value in force during each epoch)."""
    out = []
    for _ in range(n):
        out.append(scheduler.get_last_lr())
        assert out[-1] == [g["lr"] for g in scheduler.optimizer.param_groups]
        scheduler.optimizer.step()
        scheduler.step()
    return np.array(out)


def test_step_lr():
    s = sched.StepLR(sgd(1.0), step_size=2, gamma=0.5)
    np.testing.assert_allclose(trajectory(s, 7)[:, 0], [1, 1, .5, .5, .25, .25, .125], rtol=1e-15)


def test_multi_step_lr_with_repeated_milestone():
    s = sched.MultiStepLR(sgd(1.0), milestones=[2, 5, 5], gamma=0.1)
    np.testing.assert_allclose(trajectory(s, 7)[:, 0], [1, 1, .1, .1, .1, 1e-3, 1e-3], rtol=1e-12)


def test_exponential_lr():
    s = sched.ExponentialLR(sgd(2.0), gamma=0.9)
    np.testing.assert_allclose(trajectory(s, 5)[:, 0], 2.0 * 0.9 ** np.arange(5), rtol=1e-13)


def test_cosine_annealing_follows_the_closed_form_over_several_periods():
    base, eta_min, t_max = 0.5, 0.01, 4
    s = sched.CosineAnnealingLR(sgd(base), T_max=t_max, eta_min=eta_min)
    t = np.arange(13)
    expected = eta_min + (base - eta_min) * (1 + np.cos(np.pi * t / t_max)) / 2
    np.testing.assert_allclose(trajectory(s, 13)[:, 0], expected, rtol=1e-12, atol=1e-15)
    # by hand: halfway down at T_max / 2, eta_min at T_max
    s = sched.CosineAnnealingLR(sgd(1.0), T_max=2)
    np.testing.assert_allclose(trajectory(s, 3)[:, 0], [1.0, 0.5, 0.0], atol=1e-15)


def test_cosine_annealing_is_recursive():
    """The recursive form composes with an outside change of the lr (as PyTorch's)."""
    s = sched.CosineAnnealingLR(sgd(1.0), T_max=10)
    s.optimizer.step()
    s.step()                                              # epoch 1
    s.optimizer.param_groups[0]["lr"] *= 0.5              # an outside change
    s.optimizer.step()
    s.step()                                              # epoch 2
    lr1 = (1 + math.cos(math.pi / 10)) / 2
    expected = (1 + math.cos(2 * math.pi / 10)) / (1 + math.cos(math.pi / 10)) * (0.5 * lr1)
    assert s.get_last_lr()[0] == pytest.approx(expected, rel=1e-14)


def test_lambda_lr_per_group():
    s = sched.LambdaLR(sgd(1.0, groups=2), [lambda e: 0.5 ** e, lambda e: e + 1])
    out = trajectory(s, 4)
    np.testing.assert_allclose(out[:, 0], [1, .5, .25, .125])
    np.testing.assert_allclose(out[:, 1], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        sched.LambdaLR(sgd(1.0, groups=2), [lambda e: 1.0])


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def test_one_cycle_cos_by_hand():
    # total 10, pct_start 0.3: phase 1 ends at step 2, phase 2 at step 9
    opt = sgd(0.123, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    initial, top, low = 1.0 / 25, 1.0, 1.0 / 25 / 1e4
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        s.step()
    expected = [initial, _anneal_cos(initial, top, 0.5), top]
    expected += [_anneal_cos(top, low, (t - 2) / 7) for t in range(3, 10)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-13)
    assert lrs[1] == pytest.approx(0.52) and lrs[-1] == pytest.approx(4e-6)
    np.testing.assert_allclose(moms[:3], [0.95, 0.90, 0.85], rtol=1e-13)
    assert moms[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s.step()


def test_one_cycle_linear_three_phase_and_beta1():
    opt = optim.Adam([Parameter(np.zeros(1))], lr=0.1)
    s = sched.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5, pct_start=0.3,
                         anneal_strategy="linear", three_phase=True, div_factor=10.0,
                         final_div_factor=100.0)
    # phases end at steps 2, 4, 9: up 0.05 -> 0.5, down -> 0.05, then -> 0.0005
    lrs, beta1 = [], []
    for _ in range(10):
        lrs.append(s.get_last_lr()[0])
        beta1.append(opt.param_groups[0]["betas"][0])
        opt.step()
        s.step()
    expected = [0.05, 0.275, 0.5, 0.275, 0.05] + [0.05 + (0.0005 - 0.05) * k / 5 for k in range(1, 6)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    np.testing.assert_allclose(beta1[:5], [0.95, 0.9, 0.85, 0.9, 0.95], rtol=1e-12)
    assert opt.param_groups[0]["betas"][1] == 0.999


def test_one_cycle_errors():
    with pytest.raises(ValueError, match="either total_steps OR"):
        sched.OneCycleLR(sgd(), max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(sgd(), max_lr=1.0, total_steps=5, anneal_strategy="step")
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(sgd(), max_lr=1.0, total_steps=5, pct_start=1.5)
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(optim.Adagrad([Parameter(np.zeros(1))]), max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        sched.OneCycleLR(sgd(groups=2), max_lr=[1.0], total_steps=5)


def test_scheduler_errors():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(sgd(), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="step_size"):
        sched.StepLR(sgd(), step_size=0)


def _make(name, opt):
    return {
        "step": lambda: sched.StepLR(opt, step_size=2, gamma=0.5),
        "multistep": lambda: sched.MultiStepLR(opt, milestones=[1, 3, 3], gamma=0.5),
        "exponential": lambda: sched.ExponentialLR(opt, gamma=0.8),
        "cosine": lambda: sched.CosineAnnealingLR(opt, T_max=3, eta_min=0.01),
        "lambda": lambda: sched.LambdaLR(opt, lambda e: 1 / (1 + e)),
        "onecycle": lambda: sched.OneCycleLR(opt, max_lr=1.0, total_steps=12),
    }[name]()


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "lambda",
                                  "onecycle"])
def test_state_dict_round_trip_continues_identically(name, tmp_path):
    opt = sgd(0.3, groups=2, momentum=0.9)
    s = _make(name, opt)
    for _ in range(4):
        opt.step()
        s.step()
    path = tmp_path / "ckpt.safetensors"
    save({"optimizer": opt.state_dict(), "scheduler": s.state_dict()}, path)
    ckpt = load(path)
    opt2 = sgd(0.3, groups=2, momentum=0.9)
    s2 = _make(name, opt2)
    opt2.load_state_dict(ckpt["optimizer"])
    s2.load_state_dict(ckpt["scheduler"])
    assert s2.get_last_lr() == s.get_last_lr() and s2.last_epoch == s.last_epoch
    for _ in range(5):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
        assert s2.get_last_lr() == s.get_last_lr()
        assert [g["momentum"] for g in opt2.param_groups] == [g["momentum"] for g in opt.param_groups]


class Warmup:
    """A callable object: its attributes are saved by LambdaLR.state_dict."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


def test_lambda_lr_state_dict_saves_callable_objects_not_functions():
    s = sched.LambdaLR(sgd(groups=2), [Warmup(4), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None]
    other = sched.LambdaLR(sgd(groups=2), [Warmup(9), lambda e: 1.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 4


def test_load_state_dict_validation():
    s = sched.StepLR(sgd(groups=2), step_size=2)
    with pytest.raises(ValueError, match="base_lrs"):
        s.load_state_dict({"last_epoch": 3, "base_lrs": [0.1]})
    with pytest.raises(ValueError, match="no 'last_epoch'"):
        s.load_state_dict({"base_lrs": [0.1, 0.1]})


def test_resume_with_last_epoch():
    opt = sgd(1.0)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        s.step()
    resumed = sched.StepLR(opt, step_size=2, gamma=0.5, last_epoch=s.last_epoch)
    assert resumed.base_lrs == [1.0] and resumed.last_epoch == 4


def test_deprecated_epoch_argument_uses_closed_form():
    s = sched.ExponentialLR(sgd(1.0), gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(3)
    assert s.get_last_lr() == [0.125]
