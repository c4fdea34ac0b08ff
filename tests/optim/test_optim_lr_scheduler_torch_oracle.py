"""Optional oracle: every scheduler (several configurations) against torch.optim.lr_scheduler,
learning rates and cycled momentum/beta1 at every step, two param groups."""
import warnings

import numpy as np
import pytest

from chainrule import optim
from chainrule.nn import Parameter
from chainrule.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")


def _lambda_a(epoch):
    return 0.9 ** epoch


def _lambda_b(epoch):
    return 1.0 / (1 + epoch)


CONFIGS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1, "gamma": 0.9}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.85}),
    ("CosineAnnealingLR", {"T_max": 5}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.001}),
    ("LambdaLR", {"lr_lambda": _lambda_a}),
    ("LambdaLR", {"lr_lambda": [_lambda_a, _lambda_b]}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 20}),
    ("OneCycleLR", {"max_lr": [0.5, 1.0], "total_steps": 20, "anneal_strategy": "linear"}),
    ("OneCycleLR", {"max_lr": 0.5, "epochs": 4, "steps_per_epoch": 5, "three_phase": True,
                    "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 50.0}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 20, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 20, "base_momentum": 0.7,
                    "max_momentum": [0.9, 0.99]}),
]


def _optimizers(kind):
    p, q = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    tp, tq = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    groups = lambda a, b: [{"params": [a]}, {"params": [b], "lr": 0.05}]   # noqa: E731
    if kind == "sgd":
        return (optim.SGD(groups(p, q), lr=0.1, momentum=0.9),
                torch.optim.SGD(groups(tp, tq), lr=0.1, momentum=0.9))
    return (optim.Adam(groups(p, q), lr=0.1), torch.optim.Adam(groups(tp, tq), lr=0.1))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch(name, kwargs, kind):
    opt, topt = _optimizers(kind)
    ours = getattr(sched, name)(opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in range(20):
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13,
                                       err_msg=f"step {step}")
            for g, tg in zip(opt.param_groups, topt.param_groups):
                key = "betas" if kind == "adam" else "momentum"
                np.testing.assert_allclose(g[key], tg[key], rtol=1e-13)
            opt.step()
            topt.step()
            if name == "OneCycleLR" and step == 19:
                break
            ours.step()
            theirs.step()
    assert ours.last_epoch == theirs.last_epoch


@pytest.mark.parametrize("name, kwargs", [c for c in CONFIGS if c[0] != "LambdaLR"][:6])
def test_deprecated_epoch_argument_matches_torch(name, kwargs):
    opt, topt = _optimizers("sgd")
    ours = getattr(sched, name)(opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (4, 7, 2):
            ours.step(epoch)
            theirs.step(epoch)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
