"""Optional PyTorch oracle for the recurrent layers and cells: the same layer, the same weights
(copied by state-dict name with ``load_state_dict`` from ndarrays), the same input and initial
states give the same output and final states, and the same gradients of the input, the initial
states and every parameter (float32 tolerances), for every option combination."""
import itertools

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 1e-5
SEQ, BATCH, INPUT, HIDDEN, PROJ = 5, 3, 4, 6, 3
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru"]


def _np(t):
    return t.detach().cpu().numpy()


def _build(kind, **options):
    """The same layer in PyTorch and in chainrule, the weights copied by name."""
    if kind.startswith("rnn"):
        pair = (torch.nn.RNN, nn.RNN, dict(nonlinearity=kind[4:]))
    elif kind.startswith("lstm"):
        pair = (torch.nn.LSTM, nn.LSTM, dict(proj_size=PROJ) if kind == "lstm_proj" else {})
    else:
        pair = (torch.nn.GRU, nn.GRU, {})
    torch_cls, cr_cls, extra = pair
    torch_module = torch_cls(INPUT, HIDDEN, **extra, **options)
    cr_module = cr_cls(INPUT, HIDDEN, **extra, **options)
    _copy_state(torch_module, cr_module)
    return torch_module, cr_module


def _copy_state(torch_module, cr_module):
    state = {k: _np(v) for k, v in torch_module.state_dict().items()}
    result = cr_module.load_state_dict(state)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert list(cr_module.state_dict().keys()) == list(torch_module.state_dict().keys())
    for k, v in cr_module.state_dict().items():
        np.testing.assert_array_equal(v.data, state[k])


def _close(got, want, what):
    assert got.dtype == np.float32, what
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def _check(torch_module, cr_module, x, states):
    """Forward both on x with the given initial states (or none); backward random cotangents
    of every output; compare outputs and every gradient."""
    is_lstm = isinstance(torch_module, torch.nn.LSTM)
    xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    sc = [cr.tensor(s, requires_grad=True) for s in states]
    hx_t = (tuple(st) if is_lstm else st[0]) if states else None
    hx_c = (tuple(sc) if is_lstm else sc[0]) if states else None
    out_t, final_t = torch_module(xt, hx_t)
    out_c, final_c = cr_module(xc, hx_c)
    finals_t = list(final_t) if is_lstm else [final_t]
    finals_c = list(final_c) if is_lstm else [final_c]
    _close(out_c.data, _np(out_t), "output")
    for n, (a, b) in enumerate(zip(finals_c, finals_t)):
        assert a.shape == tuple(b.shape)
        _close(a.data, _np(b), f"final state {n}")
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(t.shape).astype(np.float32) for t in [out_t] + finals_t]
    torch.autograd.backward([out_t] + finals_t, [torch.tensor(c) for c in cotangents])
    loss = None
    for y, c in zip([out_c] + finals_c, cotangents):
        term = (y * cr.tensor(c)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    _close(xc.grad.data, _np(xt.grad), "input gradient")
    for n, (a, b) in enumerate(zip(sc, st)):
        _close(a.grad.data, _np(b.grad), f"initial state {n} gradient")
    torch_params = dict(torch_module.named_parameters())
    cr_params = dict(cr_module.named_parameters())
    assert list(cr_params) == list(torch_params)
    for name, p in torch_params.items():
        _close(cr_params[name].grad.data, _np(p.grad), name)


def _states(torch_module, batched=True, seed=1):
    directions = 2 if torch_module.bidirectional else 1
    lead = (torch_module.num_layers * directions,) + ((BATCH,) if batched else ())
    rng = np.random.default_rng(seed)
    real = getattr(torch_module, "proj_size", 0) or HIDDEN
    states = [rng.standard_normal(lead + (real,)).astype(np.float32)]
    if isinstance(torch_module, torch.nn.LSTM):
        states.append(rng.standard_normal(lead + (HIDDEN,)).astype(np.float32))
    return states


COMBINATIONS = list(itertools.product(KINDS, [1, 2], [False, True], [False, True], [True, False],
                                      [False, True]))


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kind,num_layers,bidirectional,batch_first,bias,with_states", COMBINATIONS,
                         ids=["-".join(map(str, c)) for c in COMBINATIONS])
def test_layer_matches_pytorch(kind, num_layers, bidirectional, batch_first, bias, with_states):
    torch.manual_seed(0)
    torch_module, cr_module = _build(kind, num_layers=num_layers, bidirectional=bidirectional,
                                     batch_first=batch_first, bias=bias)
    shape = (BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    _check(torch_module, cr_module, x, _states(torch_module) if with_states else [])


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_states", [False, True])
def test_unbatched_layer_matches_pytorch(kind, with_states):
    torch.manual_seed(1)
    torch_module, cr_module = _build(kind, num_layers=2, bidirectional=True, batch_first=True)
    x = np.random.default_rng(3).standard_normal((SEQ, INPUT)).astype(np.float32)
    _check(torch_module, cr_module, x, _states(torch_module, batched=False) if with_states else [])


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_eval_mode_with_dropout_matches_pytorch(kind):
    torch.manual_seed(2)
    torch_module, cr_module = _build(kind, num_layers=3, dropout=0.4)
    torch_module.eval()
    cr_module.eval()
    x = np.random.default_rng(4).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    _check(torch_module, cr_module, x, [])


def test_a_longer_sequence_matches_pytorch():
    torch.manual_seed(3)
    torch_module, cr_module = _build("lstm", num_layers=2)
    x = np.random.default_rng(5).standard_normal((40, 2, INPUT)).astype(np.float32)
    _check(torch_module, cr_module, x, [])


CELLS = {"rnn_tanh": (torch.nn.RNNCell, nn.RNNCell, {"nonlinearity": "tanh"}),
         "rnn_relu": (torch.nn.RNNCell, nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (torch.nn.LSTMCell, nn.LSTMCell, {}),
         "gru": (torch.nn.GRUCell, nn.GRUCell, {})}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_states", [False, True])
def test_cell_matches_pytorch(kind, bias, batched, with_states):
    torch_cls, cr_cls, extra = CELLS[kind]
    torch.manual_seed(4)
    torch_cell = torch_cls(INPUT, HIDDEN, bias=bias, **extra)
    cr_cell = cr_cls(INPUT, HIDDEN, bias=bias, **extra)
    _copy_state(torch_cell, cr_cell)
    rng = np.random.default_rng(6)
    lead = (BATCH,) if batched else ()
    x = rng.standard_normal(lead + (INPUT,)).astype(np.float32)
    states = [rng.standard_normal(lead + (HIDDEN,)).astype(np.float32)
              for _ in range(2 if kind == "lstm" else 1)] if with_states else []
    xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    sc = [cr.tensor(s, requires_grad=True) for s in states]
    if kind == "lstm":
        outs_t = list(torch_cell(xt, tuple(st) if st else None))
        outs_c = list(cr_cell(xc, tuple(sc) if sc else None))
    else:
        outs_t = [torch_cell(xt, st[0] if st else None)]
        outs_c = [cr_cell(xc, sc[0] if sc else None)]
    for a, b in zip(outs_c, outs_t):
        assert a.shape == tuple(b.shape)
        _close(a.data, _np(b), "cell output")
    cotangents = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in outs_t]
    torch.autograd.backward(outs_t, [torch.tensor(c) for c in cotangents])
    loss = None
    for y, c in zip(outs_c, cotangents):
        term = (y * cr.tensor(c)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    _close(xc.grad.data, _np(xt.grad), "input gradient")
    for a, b in zip(sc, st):
        _close(a.grad.data, _np(b.grad), "state gradient")
    for name, p in torch_cell.named_parameters():
        _close(dict(cr_cell.named_parameters())[name].grad.data, _np(p.grad), name)
