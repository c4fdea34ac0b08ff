"""Optimizers: trajectories against hand computations and a scalar reference of PyTorch's
algorithm boxes; param groups; zero_grad; state dicts (round trip and validation)."""
import itertools
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.io import load, save
from chainrule.nn import Parameter


def param(values, dtype=np.float64):
    return Parameter(np.array(values, dtype=dtype))


def run(opt_factory, w0, grads):
    """Apply ``grads`` (one per step, set by hand) and return the trajectory of w."""
    w = param(w0)
    opt = opt_factory([w])
    out = []
    for g in grads:
        w.grad = cr.tensor(np.array(g, dtype=np.float64))
        opt.step()
        out.append(w.data.copy())
    return np.array(out)


# ---------------------------------------------------------------------------- worked examples
def test_sgd_momentum_by_hand():
    # lr 0.1, momentum 0.9, constant gradient 1: b = 1, 1.9, 2.71; w = 0.9, 0.71, 0.439
    traj = run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9), [1.0], [[1.0]] * 3)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.71, 0.439], rtol=0, atol=1e-12)


def test_sgd_nesterov_by_hand():
    # update = g + 0.9 b: 1.9, 2.71, 3.439 -> w = 0.81, 0.539, 0.1951
    traj = run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), [1.0], [[1.0]] * 3)
    np.testing.assert_allclose(traj[:, 0], [0.81, 0.539, 0.1951], rtol=0, atol=1e-12)


def test_sgd_dampening_by_hand():
    # the first buffer is the gradient itself (no dampening); then b = 0.9 b + 0.5 g
    traj = run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5), [1.0], [[1.0]] * 3)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.76, 0.584], rtol=0, atol=1e-12)


def test_sgd_weight_decay_and_maximize_by_hand():
    traj = run(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.5), [1.0], [[0.0]] * 2)
    np.testing.assert_allclose(traj[:, 0], [0.95, 0.9025], rtol=0, atol=1e-12)
    traj = run(lambda p: optim.SGD(p, lr=0.1, maximize=True), [1.0], [[2.0]] * 2)
    np.testing.assert_allclose(traj[:, 0], [1.2, 1.4], rtol=0, atol=1e-12)


def test_adam_by_hand():
    # g1 = 1: m = 0.1, v = 0.001, both bias-corrected to 1 -> w = 1 - 0.1
    # g2 = -1: m = -0.01, v = 0.001999; m_hat = -0.01 / 0.19, v_hat = 1 -> w = 0.9 + 0.1 * 0.01 / 0.19
    traj = run(lambda p: optim.Adam(p, lr=0.1, eps=0.0), [1.0], [[1.0], [-1.0]])
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9 + 0.1 * 0.01 / 0.19], rtol=0, atol=1e-12)
    # a constant gradient moves Adam by lr per step (eps aside)
    traj = run(lambda p: optim.Adam(p, lr=0.1), [1.0], [[2.0]] * 3)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.8, 0.7], rtol=0, atol=1e-7)


def test_adamw_decoupled_weight_decay_by_hand():
    # zero gradient: the moments stay 0, only the decoupled decay acts: w *= 1 - lr * wd
    traj = run(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1), [1.0], [[0.0]] * 3)
    np.testing.assert_allclose(traj[:, 0], [0.99, 0.99 ** 2, 0.99 ** 3], rtol=0, atol=1e-12)
    assert optim.AdamW([param([1.0])]).defaults["weight_decay"] == 1e-2
    # Adam's (coupled) weight decay instead feeds wd * w into the moments: a full lr step
    traj = run(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.1, eps=0.0), [1.0], [[0.0]])
    np.testing.assert_allclose(traj[:, 0], [0.9], rtol=0, atol=1e-12)


def test_rmsprop_by_hand():
    # v = 0.01, 0.0199; w = 1 - 0.01 / 0.1, then - 0.01 / sqrt(0.0199)
    traj = run(lambda p: optim.RMSprop(p, lr=0.01, eps=0.0), [1.0], [[1.0]] * 2)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9 - 0.01 / math.sqrt(0.0199)], rtol=0,
                               atol=1e-12)
    # centered: denominator sqrt(v - a^2) = sqrt(0.01 - 0.0001)
    traj = run(lambda p: optim.RMSprop(p, lr=0.01, eps=0.0, centered=True), [1.0], [[1.0]])
    np.testing.assert_allclose(traj[:, 0], [1 - 0.01 / math.sqrt(0.0099)], rtol=0, atol=1e-12)
    # momentum: b = g / d accumulates
    traj = run(lambda p: optim.RMSprop(p, lr=0.01, eps=0.0, momentum=0.5), [1.0], [[1.0]] * 2)
    b2 = 0.5 * 10.0 + 1 / math.sqrt(0.0199)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9 - 0.01 * b2], rtol=0, atol=1e-12)


def test_adagrad_by_hand():
    traj = run(lambda p: optim.Adagrad(p, lr=0.1, eps=0.0), [1.0], [[1.0]] * 2)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9 - 0.1 / math.sqrt(2)], rtol=0, atol=1e-12)
    traj = run(lambda p: optim.Adagrad(p, lr=0.1, eps=0.0, lr_decay=0.5), [1.0], [[1.0]] * 2)
    np.testing.assert_allclose(traj[:, 0], [0.9, 0.9 - 0.1 / 1.5 / math.sqrt(2)], rtol=0,
                               atol=1e-12)
    traj = run(lambda p: optim.Adagrad(p, lr=0.1, eps=0.0, initial_accumulator_value=3.0),
               [1.0], [[1.0]])
    np.testing.assert_allclose(traj[:, 0], [0.95], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- scalar references
def ref_sgd(w, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    buf, out = None, []
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * w
        if momentum != 0:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
        out.append(w)
    return out


def ref_adam(w, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    m = v = vmax = 0.0
    out = []
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        vv = vmax if amsgrad else v
        w = w - lr / (1 - b1 ** t) * m / (math.sqrt(vv) / math.sqrt(1 - b2 ** t) + eps)
        out.append(w)
    return out


def ref_rmsprop(w, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    v = a = b = 0.0
    out = []
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g
            d = math.sqrt(v - a * a) + eps
        else:
            d = math.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            w = w - lr * b
        else:
            w = w - lr * g / d
        out.append(w)
    return out


def ref_adagrad(w, grads, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    s = initial_accumulator_value
    out = []
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        g = g + weight_decay * w
        s = s + g * g
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(s) + eps)
        out.append(w)
    return out


GRADS = [0.7, -1.3, 0.2, 2.5, -0.4]


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


def check_against(reference, factory, kwargs):
    ours = run(lambda p: factory(p, **kwargs), [0.8], [[g] for g in GRADS])[:, 0]
    expected = reference(0.8, GRADS, **kwargs)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


SGD_CASES = [c for c in grid(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3],
                             weight_decay=[0.0, 0.2], nesterov=[False, True],
                             maximize=[False, True])
             if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_reference(kwargs):
    check_against(ref_sgd, optim.SGD, kwargs)


@pytest.mark.parametrize("kwargs", grid(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.8)],
                                        weight_decay=[0.0, 0.1], amsgrad=[False, True],
                                        maximize=[False, True]), ids=str)
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_matches_reference(cls, kwargs):
    ours = run(lambda p: cls(p, **kwargs), [0.8], [[g] for g in GRADS])[:, 0]
    expected = ref_adam(0.8, GRADS, decoupled=cls is optim.AdamW, **kwargs)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", grid(lr=[0.01], alpha=[0.99, 0.7], weight_decay=[0.0, 0.1],
                                        momentum=[0.0, 0.5], centered=[False, True],
                                        maximize=[False, True]), ids=str)
def test_rmsprop_matches_reference(kwargs):
    check_against(ref_rmsprop, optim.RMSprop, kwargs)


@pytest.mark.parametrize("kwargs", grid(lr=[0.1], lr_decay=[0.0, 0.3], weight_decay=[0.0, 0.1],
                                        initial_accumulator_value=[0.0, 0.5],
                                        maximize=[False, True]), ids=str)
def test_adagrad_matches_reference(kwargs):
    check_against(ref_adagrad, optim.Adagrad, kwargs)


# ---------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
    lambda p: optim.AdamW(p, lr=0.1), lambda p: optim.RMSprop(p, centered=True, momentum=0.5),
    lambda p: optim.Adagrad(p)])
def test_float32_stays_float32_and_state_matches(make):
    w = Parameter(np.array([1.0, -2.0, 0.5], dtype=np.float32))
    opt = make([w])
    data_id = id(w.data)
    for _ in range(3):
        w.grad = cr.tensor(np.array([0.3, -0.1, 2.0], dtype=np.float32))
        opt.step()
    assert w.data.dtype == np.float32 and id(w.data) == data_id     # updated in place
    for value in opt.state[w].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_training_with_autograd_decreases_loss():
    cr.manual_seed(0)
    w = Parameter(np.array([3.0, -2.0]))
    opt = optim.Adam([w], lr=0.1)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = ((w - cr.tensor(np.array([1.0, 1.0]))) ** 2).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-2 * losses[0]


def test_param_groups_and_defaults():
    a, b = param([1.0]), param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad = cr.tensor(np.array([1.0]))
    b.grad = cr.tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.5])
    c = param([1.0])
    opt.add_param_group({"params": [c], "momentum": 0.9})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_parameters_without_grad_are_skipped():
    a, b = param([1.0]), param([1.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = cr.tensor(np.array([1.0]))
    opt.step()
    assert b.data[0] == 1.0 and b not in opt.state and opt.state[a]["step"] == 1


def test_named_parameters_are_accepted():
    model = cr.nn.Linear(2, 3)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_zero_grad():
    w = param([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    ((w * w).sum()).backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and np.all(w.grad.data == 0)
    ((w * w).sum()).backward()
    np.testing.assert_allclose(w.grad.data, [2.0, 4.0])
    opt.zero_grad()
    assert w.grad is None


def test_closure_is_called_and_its_loss_returned():
    w = param([2.0])
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(w.data, [1.0])


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon"),
    (lambda p: optim.AdamW(p, weight_decay=-1e-2), "Invalid weight_decay"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha"),
    (lambda p: optim.Adagrad(p, lr_decay=-1.0), "Invalid lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda p: optim.SGD([{"params": p, "lr": -2.0}], lr=0.1), "Invalid learning rate"),
])
def test_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([param([1.0])])


def test_invalid_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(param([1.0]), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    w = param([1.0])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([cr.tensor([1, 2])], lr=0.1)
    w.grad = cr.tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(1,\) has a gradient of shape \(3,\)"):
        optim.SGD([w], lr=0.1).step()


def test_repr_lists_groups():
    text = repr(optim.Adam([param([1.0])], lr=0.5))
    assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.5" in text


# ---------------------------------------------------------------------------- state dicts
FACTORIES = {
    "sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.05, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.05),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.1),
}


def _two_groups(make):
    a, b, c = param([1.0, -1.0]), param([[0.5, 2.0], [1.5, -0.3]]), param(0.7)
    opt = make([{"params": [a, b]}, {"params": [c], "lr": 0.02}])
    return (a, b, c), opt


def _steps(params, opt, k, start):
    for i in range(start, start + k):
        for j, p in enumerate(params):
            p.grad = cr.tensor(np.sin(np.arange(p.data.size) + i + j).reshape(p.data.shape))
        opt.step()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_round_trip_continues_identically(name, tmp_path):
    make = FACTORIES[name]
    params, opt = _two_groups(make)
    _steps(params, opt, 3, 0)
    path = tmp_path / "opt.safetensors"
    save({"params": [p.data for p in params], "optimizer": opt.state_dict()}, path)
    loaded = load(path)
    params2, opt2 = _two_groups(make)
    for p, saved in zip(params2, loaded["params"]):
        p.data[...] = saved.data
    opt2.load_state_dict(loaded["optimizer"])
    assert opt2.param_groups[1]["lr"] == 0.02
    _steps(params, opt, 3, 3)
    _steps(params2, opt2, 3, 3)
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p.data, q.data)      # bit for bit


def test_state_dict_layout():
    params, opt = _two_groups(lambda p: optim.Adam(p, lr=0.1))
    params[0].grad = cr.tensor(np.ones(2))
    params[2].grad = cr.tensor(np.array(1.0))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][0]["step"] == 1
    assert isinstance(sd["state"][0]["exp_avg"], cr.Tensor)
    before = sd["state"][0]["exp_avg"].data.copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].data, before)   # a copy


def _snapshot(opt):
    sd = opt.state_dict()
    return repr(sd["param_groups"]), {k: {n: np.array(v.data if isinstance(v, cr.Tensor) else v)
                                          for n, v in s.items()} for k, s in sd["state"].items()}


def _assert_same(snap_a, snap_b):
    assert snap_a[0] == snap_b[0]
    assert snap_a[1].keys() == snap_b[1].keys()
    for k in snap_a[1]:
        for n in snap_a[1][k]:
            np.testing.assert_array_equal(snap_a[1][k][n], snap_b[1][k][n])


def _mutations():
    def groups(sd):
        sd["param_groups"] = sd["param_groups"][:1]

    def group_size(sd):
        sd["param_groups"][0]["params"] = [0]

    def shape(sd):
        sd["state"][1]["exp_avg"] = np.zeros((3, 3))

    def missing_key(sd):
        del sd["state"][0]["max_exp_avg_sq"]

    def unknown_index(sd):
        sd["state"][7] = sd["state"][0]

    def bad_lr(sd):   # (a negative float loads, as in PyTorch: schedules can end below 0)
        sd["param_groups"][1]["lr"] = "fast"

    def bad_step(sd):
        sd["state"][0]["step"] = -3

    def no_state(sd):
        del sd["state"]

    return [(groups, "different number of parameter groups"),
            (group_size, "doesn't match the size"), (shape, "does not match the parameter's shape"),
            (missing_key, "lacks 'max_exp_avg_sq'"), (unknown_index, "parameter index 7"),
            (bad_lr, "learning rate must be a real number"), (bad_step, "non-negative whole number"),
            (no_state, "no 'state'")]


@pytest.mark.parametrize("mutate, message", _mutations(), ids=lambda x: getattr(x, "__name__", ""))
def test_load_mismatched_state_dict_raises_and_leaves_optimizer_untouched(mutate, message):
    make = lambda p: optim.Adam(p, lr=0.1, amsgrad=True)   # noqa: E731
    params, opt = _two_groups(make)
    _steps(params, opt, 2, 0)
    other_params, other = _two_groups(make)
    _steps(other_params, other, 1, 5)
    sd = other.state_dict()
    mutate(sd)
    before = _snapshot(opt)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    _assert_same(before, _snapshot(opt))


def test_load_state_dict_casts_to_parameter_dtype():
    w = Parameter(np.zeros(2, dtype=np.float32))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {0: {"momentum_buffer": np.array([1.0, 2.0])}},
                         "param_groups": [{"lr": 0.1, "momentum": 0.9, "params": [0]}]})
    assert opt.state[w]["momentum_buffer"].dtype == np.float32
    assert opt.param_groups[0]["nesterov"] is False     # filled from the defaults
