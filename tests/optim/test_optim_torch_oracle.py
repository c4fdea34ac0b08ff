"""Optional oracle: every optimizer option combination against torch.optim (float64 and float32),
with two parameter groups; state dicts compared entry by entry."""
import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.nn import Parameter

torch = pytest.importorskip("torch")


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


CASES = []
CASES += [("SGD", c) for c in grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.4],
                                   weight_decay=[0.0, 0.1], nesterov=[False, True],
                                   maximize=[False, True])
          if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]
CASES += [(name, c) for name in ("Adam", "AdamW")
          for c in grid(lr=[0.02], betas=[(0.9, 0.999), (0.6, 0.9)], eps=[1e-8, 1e-3],
                        weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True])]
CASES += [("RMSprop", c) for c in grid(lr=[0.01], alpha=[0.99, 0.8], eps=[1e-8],
                                       weight_decay=[0.0, 0.1], momentum=[0.0, 0.7],
                                       centered=[False, True], maximize=[False, True])]
CASES += [("Adagrad", c) for c in grid(lr=[0.1], lr_decay=[0.0, 0.2], weight_decay=[0.0, 0.1],
                                       initial_accumulator_value=[0.0, 0.3], eps=[1e-10, 1e-2],
                                       maximize=[False, True])]

SHAPES = [(3, 2), (4,), ()]
STEPS = 6


def _grads(step, dtype):
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _run_both(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [Parameter(x.copy()) for x in init]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in init]
    # two groups: the second overrides lr
    opt = getattr(optim, name)([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.03}], **kwargs)
    topt = getattr(torch.optim, name)([{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.03}],
                                      foreach=False, **kwargs)
    for step in range(STEPS):
        grads = _grads(step, dtype)
        for p, q, g in zip(ours, theirs, grads):
            p.grad = cr.tensor(g.copy())
            q.grad = torch.tensor(g.copy())
        if step == 2:                      # a parameter without a gradient is skipped
            ours[1].grad = None
            theirs[1].grad = None
        opt.step()
        topt.step()
    return ours, theirs, opt, topt


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_matches_torch_float64(name, kwargs):
    ours, theirs, opt, topt = _run_both(name, kwargs, np.float64)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for index, tstate in tsd["state"].items():
        assert set(sd["state"][index]) == set(tstate)
        for key, tvalue in tstate.items():
            np.testing.assert_allclose(np.asarray(sd["state"][index][key].data
                                                  if isinstance(sd["state"][index][key], cr.Tensor)
                                                  else sd["state"][index][key]),
                                       tvalue.numpy(), rtol=1e-10, atol=1e-12)
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        for key, value in group.items():
            assert tgroup[key] == value, key


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_matches_torch_float32(name):
    kwargs = {"lr": 0.05, "weight_decay": 0.01}
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = 0.9
    ours, theirs, _, _ = _run_both(name, kwargs, np.float32)
    for p, q in zip(ours, theirs):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_loads_torch_layout():
    """A torch optimizer's state dict (tensors converted to arrays) loads and continues alike."""
    kwargs = {"lr": 0.02, "amsgrad": True}
    ours, theirs, _, topt = _run_both("Adam", kwargs, np.float64)
    tsd = topt.state_dict()
    converted = {"state": {k: {n: (v.numpy() if n != "step" else float(v)) for n, v in s.items()}
                           for k, s in tsd["state"].items()},
                 "param_groups": tsd["param_groups"]}
    fresh = [Parameter(q.detach().numpy().copy()) for q in theirs]
    opt = optim.Adam([{"params": fresh[:2]}, {"params": fresh[2:], "lr": 0.03}], **kwargs)
    opt.load_state_dict(converted)
    grads = _grads(10, np.float64)
    for p, q, g in zip(fresh, theirs, grads):
        p.grad = cr.tensor(g.copy())
        q.grad = torch.tensor(g.copy())
    opt.step()
    topt.step()
    for p, q in zip(fresh, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)
