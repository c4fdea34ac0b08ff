"""Findings 10 and 11: ``step()`` is all-or-nothing across groups; ``load_state_dict``
validates every state entry (all-or-nothing) and ``Optimizer`` refuses a set of params."""
import copy

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}


def _param(values):
    return cr.tensor(np.array(values, dtype=np.float32), requires_grad=True)


def _two_groups(name):
    a, b, c = _param([1.0, 2.0]), _param([3.0]), _param([[4.0, 5.0]])
    opt = OPTIMIZERS[name]([{"params": [a, b]}, {"params": [c], "lr": 0.01}])
    for p in (a, b, c):
        p.grad = cr.tensor(np.ones(p.shape, dtype=np.float32))
    opt.step()                       # state exists for every parameter
    return opt, (a, b, c)


def _snapshot(opt, params):
    return ([p.data.copy() for p in params], [p._version for p in params],
            copy.deepcopy({id(p): v for p, v in opt.state.items()}))


def _assert_same(before, after):
    for x, y in zip(before[0], after[0]):
        np.testing.assert_array_equal(x, y)
    assert before[1] == after[1]
    assert before[2].keys() == after[2].keys()
    for pid in before[2]:
        sa, sb = before[2][pid], after[2][pid]
        assert sa.keys() == sb.keys()
        for k in sa:
            np.testing.assert_array_equal(np.asarray(sa[k]), np.asarray(sb[k]), err_msg=k)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_f16_10_step_is_atomic_across_groups(name):
    opt, params = _two_groups(name)
    for p in params:
        p.grad = cr.tensor(np.full(p.shape, 0.5, dtype=np.float32))
    params[2].grad = cr.tensor(np.ones((3, 3), dtype=np.float32))   # bad grad in group 2
    before = _snapshot(opt, params)
    with pytest.raises(ValueError, match=rf"{name}\.step: parameter 0 of group 1 of shape "
                                         r"\(1, 2\) has a gradient of shape \(3, 3\)"):
        opt.step()
    _assert_same(before, _snapshot(opt, params))   # group 1 untouched, state unchanged


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_f16_10_step_refuses_a_non_numeric_grad_before_any_update(name):
    opt, params = _two_groups(name)
    params[0].grad = cr.tensor(np.ones(2, dtype=np.float32))
    params[2].grad = np.array([["a", "b"]])
    before = _snapshot(opt, params)
    with pytest.raises(TypeError, match=rf"{name}\.step: parameter 0 of group 1 has a gradient "
                                        "of unsupported type"):
        opt.step()
    _assert_same(before, _snapshot(opt, params))


def test_f16_11_set_of_params_is_refused():
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "
                                        "iterable of Tensors or dicts, but got set"):
        optim.SGD({_param([1.0]), _param([2.0])}, lr=0.1)
    with pytest.raises(TypeError, match="but got frozenset"):
        optim.Adam(frozenset([_param([1.0])]))


BUFFER = {"SGD": "momentum_buffer", "Adam": "exp_avg_sq", "AdamW": "exp_avg",
          "RMSprop": "square_avg", "Adagrad": "sum"}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("bad, message", [
    (None, "expected an array of the parameter's shape \\(1,\\), got NoneType"),
    ((), "expected an array of the parameter's shape \\(1,\\), got tuple"),
    ([1.0], "expected an array of the parameter's shape \\(1,\\), got list"),
    ("abc", "expected an array of the parameter's shape \\(1,\\), got str"),
    (np.array([np.nan], dtype=np.float32), "holds 1 non-finite value"),
    (np.array([np.inf]), "holds 1 non-finite value"),
    (np.array([1.0, 2.0]), "shape \\(2,\\) does not match"),
    (np.array([True]), "unsupported dtype bool"),
])
def test_f16_11_load_state_dict_validates_every_buffer(name, bad, message):
    if name == "SGD" and bad is None:
        pytest.skip("SGD's momentum_buffer may be None (PyTorch saves it so)")
    opt, params = _two_groups(name)
    sd = opt.state_dict()
    key = BUFFER[name]
    sd["state"][1][key] = bad                 # parameter index 1 (b, shape (1,))
    before = _snapshot(opt, params)
    groups_before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                                   for g in opt.param_groups])
    with pytest.raises(ValueError, match=rf"{name}\.load_state_dict: parameter 1, state key "
                                         rf"'{key}': {message}"):
        opt.load_state_dict(sd)
    _assert_same(before, _snapshot(opt, params))
    assert groups_before == [{k: v for k, v in g.items() if k != "params"}
                             for g in opt.param_groups]
    opt.step()                                # still usable


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
@pytest.mark.parametrize("step", [float("nan"), float("inf"), -1, 1.5])
def test_f16_11_bad_step_is_refused_naming_the_optimizer(name, step):
    opt, _ = _two_groups(name)
    sd = opt.state_dict()
    sd["state"][2]["step"] = step
    with pytest.raises(ValueError, match=rf"{name}\.load_state_dict: parameter 2, state key "
                                         "'step': expected a non-negative whole number"):
        opt.load_state_dict(sd)


def test_f16_11_sgd_momentum_buffer_none_still_loads_and_steps():
    opt, params = _two_groups("SGD")
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = None
    opt.load_state_dict(sd)
    opt.step()
    assert isinstance(opt.state[params[0]]["momentum_buffer"], np.ndarray)



@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_f16_10_step_refuses_a_broken_state_before_any_update(name):
    opt, params = _two_groups(name)
    for p in params:
        p.grad = cr.tensor(np.ones(p.shape, dtype=np.float32))
    opt.state[params[2]][BUFFER[name]] = [1.0, 2.0]       # group 2's state set by hand
    before = _snapshot(opt, params[:2])
    with pytest.raises(ValueError, match=rf"{name}\.step: the state '{BUFFER[name]}' of "
                                         "parameter 0 of group 1 is list"):
        opt.step()
    _assert_same(before, _snapshot(opt, params[:2]))
