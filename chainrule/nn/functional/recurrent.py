"""Recurrent networks: Elman RNN (tanh/relu), LSTM (optionally projected) and GRU; cells and sequences.

PyTorch's equations, gate order and weight shapes (``G`` gates of size ``H``):

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                                       G = 1
    LSTM  i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x + b_ih + W_hh h + b_hh)
          c' = f * c + i * g;   h' = o * tanh(c')   (then h' = W_hr h' with proj_size)   G = 4
    GRU   r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h      G = 3

This module is the public layer: it checks the arguments (``_recurrent_checks``), stacks the
layers and directions, applies dropout between layers and handles ``batch_first`` and unbatched
input. Each layer in one direction runs as one scan primitive from ``scans/``; how their work
is laid out, for speed, is told in ``scans/__init__.py``.
"""
import numpy as np

from ... import ops
from ...core.apply import apply
from ...core.modes import is_grad_enabled
from ...creation import as_tensor_like
from ...random import generator
from ...tensor import Tensor
from ._recurrent_checks import _GATES, _check_dtype, _check_sequence, _check_state, _check_weights
from .scans import _GRU_SCAN, _LSTM_SCAN, _RNN_RELU_SCAN, _RNN_TANH_SCAN, _Workspace, _unpack_lstm

__all__ = ["rnn", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


_SCANS = {"rnn_tanh": _RNN_TANH_SCAN, "rnn_relu": _RNN_RELU_SCAN, "lstm": _LSTM_SCAN,
          "gru": _GRU_SCAN}


def _default_name(mode, input_size, hidden_size, cell=False):
    return f"{mode}{'_cell' if cell else ''}(input_size={input_size}, hidden_size={hidden_size})"


# =========================================================================== one layer, one direction
def _layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """Run one layer in one direction over x (seq_len, batch, I).

    Returns (hs (seq_len, batch, P), h_last (1, batch, P), c_last (1, batch, H) or None).
    """
    args = [x, h0] + ([c0] if mode == "lstm" else []) + [w_ih, w_hh]
    zeros = np.zeros(w_hh.shape[0], w_hh.dtype)
    if mode == "gru":
        args += [zeros if b_ih is None else b_ih, zeros if b_hh is None else b_hh]
    else:
        bias = b_ih if b_hh is None else b_hh if b_ih is None else b_ih + b_hh
        args.append(zeros if bias is None else bias)
    if w_hr is not None:
        args.append(w_hr)
    recorded = is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    out = apply(_SCANS[mode], *args, reverse=reverse,
                workspace=_Workspace() if recorded else None)
    length, batch = x.shape[0], x.shape[1]
    last = 0 if reverse else length - 1
    if mode != "lstm":
        return out, out[last:last + 1], None
    proj, hidden = h0.shape[-1], w_hh.shape[0] // 4
    hs = _unpack_lstm(out, length, batch, proj, hidden)[0]
    # The last states straight from the flat output (a smaller gradient to scatter back than via hs).
    h_at, c_at = last * batch * proj, length * batch * proj + last * batch * hidden
    h_last = ops.reshape(out[h_at:h_at + batch * proj], (1, batch, proj))
    c_last = ops.reshape(out[c_at:c_at + batch * hidden], (1, batch, hidden))
    return hs, h_last, c_last


# =========================================================================== sequences
def _run(mode, input, hx, weights, num_layers, dropout, training, bidirectional, batch_first, name):
    weights = [tuple(group) for group in weights]
    if name is None:
        if weights and len(weights[0]) >= 2:
            name = _default_name(mode, np.shape(as_tensor_like(weights[0][0]))[-1],
                                 np.shape(as_tensor_like(weights[0][1]))[0] // _GATES[mode])
        else:
            name = mode
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) \
            or num_layers < 1:
        raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
    if not 0 <= dropout <= 1:
        raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
    directions = 2 if bidirectional else 1
    weights = _check_weights(mode, weights, num_layers, directions, name)
    w_ih0, w_hh0, _, _, w_hr0 = weights[0]
    dtype = w_ih0.dtype
    hidden = w_hh0.shape[0] // _GATES[mode]
    proj = hidden if w_hr0 is None else w_hr0.shape[0]
    input_size = w_ih0.shape[1]

    x = as_tensor_like(input)
    _check_dtype(x, "input", dtype, name)
    _check_sequence(x, input_size, batch_first, name)
    batched = x.ndim == 3
    if not batched:
        x = x[:, None, :]
    elif batch_first:
        x = ops.swapaxes(x, 0, 1)
    batch = x.shape[1]
    states = num_layers * directions

    h0 = c0 = None
    if hx is not None:
        if mode == "lstm":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2 or hx[0] is None or hx[1] is None:
                raise TypeError(f"{name}: hx must be a tuple (h0, c0) of tensors, got "
                                f"{type(hx).__name__}")
            h0, c0 = as_tensor_like(hx[0]), as_tensor_like(hx[1])
        else:
            h0 = as_tensor_like(hx)
        lead = ("num_layers * num_directions", "batch") if batched else \
            ("num_layers * num_directions",)
        for what, state, size, size_name in (("h0", h0, proj, "proj_size" if proj != hidden
                                              else "hidden_size"), ("c0", c0, hidden, "hidden_size")):
            if state is None:
                continue
            _check_dtype(state, what, dtype, name)
            expected = (states, batch, size) if batched else (states, size)
            _check_state(state, what, expected, lead[:len(expected) - 1] + (size_name,), name)
        if not batched:
            h0 = h0[:, None, :]
            c0 = None if c0 is None else c0[:, None, :]

    layer_input = x
    last_h, last_c = [], []
    for layer in range(num_layers):
        if layer > 0 and training and dropout > 0:
            layer_input = layer_input * _dropout_mask(layer_input.shape, dropout, dtype)
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            h_init = np.zeros((batch, proj), dtype) if h0 is None else h0[k]
            c_init = None
            if mode == "lstm":
                c_init = np.zeros((batch, hidden), dtype) if c0 is None else c0[k]
            hs, h_last, c_last = _layer(mode, layer_input, h_init, c_init, *weights[k],
                                        reverse=direction == 1)
            outputs.append(hs)
            last_h.append(h_last)
            last_c.append(c_last)
        layer_input = outputs[0] if directions == 1 else ops.concatenate(outputs, axis=-1)

    output = layer_input
    h_n = last_h[0] if states == 1 else ops.concatenate(last_h, axis=0)
    c_n = None
    if mode == "lstm":
        c_n = last_c[0] if states == 1 else ops.concatenate(last_c, axis=0)
    if not batched:
        output, h_n = output[:, 0], h_n[:, 0]
        c_n = None if c_n is None else c_n[:, 0]
    elif batch_first:
        output = ops.swapaxes(output, 0, 1)
    return output, ((h_n, c_n) if mode == "lstm" else h_n)


def _dropout_mask(shape, p, dtype):
    """Inverted-dropout mask drawn from the library's generator: 0 with probability p, else 1/(1-p)."""
    if p >= 1:
        return np.zeros(shape, dtype)
    keep = generator().random(shape) >= p
    return (keep / (1.0 - p)).astype(dtype)


_SEQUENCE_DOC = """

    input: (seq_len, batch, input_size), or (batch, seq_len, input_size) with
        ``batch_first=True``, or (seq_len, input_size) unbatched (``batch_first`` ignored).
    hx: {hx} (zeros when None); D = 2 if bidirectional else 1.
    weights: num_layers * D groups ordered (layer 0 forward, layer 0 reverse, layer 1, ...);
        each {group}. Shapes as PyTorch's ``weight_ih_l{{k}}``, ... (G = {gates} gates):
        w_ih (G*H, input_size) for layer 0 and (G*H, D*{size_out}) above; w_hh (G*H, {size_out});
        b_ih, b_hh (G*H,){proj_shape}.
    dropout: applied to the outputs of every layer but the last when ``training``
        (drawn from ``chainrule.random.generator()``).

    Returns (output, {returns}): output (seq_len, batch, D*{size_out}) (batch first with
    ``batch_first``); {returns_shapes}. Unbatched input drops the batch axis everywhere.
    """


def rnn(input, hx, weights, nonlinearity="tanh", num_layers=1, dropout=0.0, training=False,
        bidirectional=False, batch_first=False, *, name=None):
    """Elman RNN over a sequence: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
    return _run("rnn_" + nonlinearity, input, hx, weights, num_layers, dropout, training,
                bidirectional, batch_first, name)


def lstm(input, hx, weights, num_layers=1, dropout=0.0, training=False, bidirectional=False,
         batch_first=False, *, name=None):
    """LSTM over a sequence (PyTorch's equations; gates i, f, g, o; optional projection)."""
    return _run("lstm", input, hx, weights, num_layers, dropout, training, bidirectional,
                batch_first, name)


def gru(input, hx, weights, num_layers=1, dropout=0.0, training=False, bidirectional=False,
        batch_first=False, *, name=None):
    """GRU over a sequence (PyTorch's equations; gates r, z, n)."""
    return _run("gru", input, hx, weights, num_layers, dropout, training, bidirectional,
                batch_first, name)


rnn.__doc__ += _SEQUENCE_DOC.format(
    hx="h0 (num_layers*D, batch, H)", group="(w_ih, w_hh, b_ih, b_hh) or (w_ih, w_hh) without bias",
    gates=1, size_out="H", proj_shape="", returns="h_n",
    returns_shapes="h_n (num_layers*D, batch, H), the last step of every layer and direction")
lstm.__doc__ += _SEQUENCE_DOC.format(
    hx="a tuple (h0 (num_layers*D, batch, P), c0 (num_layers*D, batch, H)); P = proj_size or H",
    group="(w_ih, w_hh, b_ih, b_hh), (w_ih, w_hh), or with the projection w_hr last",
    gates=4, size_out="P", proj_shape="; w_hr (P, H)", returns="(h_n, c_n)",
    returns_shapes="h_n (num_layers*D, batch, P), c_n (num_layers*D, batch, H)")
gru.__doc__ += _SEQUENCE_DOC.format(
    hx="h0 (num_layers*D, batch, H)", group="(w_ih, w_hh, b_ih, b_hh) or (w_ih, w_hh) without bias",
    gates=3, size_out="H", proj_shape="", returns="h_n",
    returns_shapes="h_n (num_layers*D, batch, H), the last step of every layer and direction")


# =========================================================================== cells
def _cell(mode, input, hx, w_ih, w_hh, b_ih, b_hh, name):
    w_ih, w_hh = as_tensor_like(w_ih), as_tensor_like(w_hh)
    if name is None:
        name = _default_name(mode, w_ih.shape[-1], w_hh.shape[0] // _GATES[mode], cell=True)
    w_ih, w_hh, b_ih, b_hh, _ = _check_weights(mode, [(w_ih, w_hh, b_ih, b_hh)], 1, 1, name)[0]
    hidden = w_hh.shape[1]
    input_size = w_ih.shape[1]
    x = as_tensor_like(input)
    _check_dtype(x, "input", w_ih.dtype, name)
    if x.ndim not in (1, 2) or x.shape[-1] != input_size:
        hint = ""
        if x.ndim in (1, 2) and x.shape[-1] != input_size:
            hint = f" — the last axis has {x.shape[-1]} features, input_size is {input_size}"
        elif x.ndim == 3:
            hint = " — a cell takes one time step; use the sequence layer for (seq_len, batch, input)"
        raise ValueError(f"{name}: expected input of shape (batch, {input_size}) or "
                         f"({input_size},) unbatched, got {tuple(x.shape)}{hint}")
    batched = x.ndim == 2
    if not batched:
        x = x[None]
    batch = x.shape[0]
    states = [None, None]
    if hx is not None:
        if mode == "lstm":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2 or hx[0] is None or hx[1] is None:
                raise TypeError(f"{name}: hx must be a tuple (h, c) of tensors, got "
                                f"{type(hx).__name__}")
            states = [as_tensor_like(hx[0]), as_tensor_like(hx[1])]
        else:
            states[0] = as_tensor_like(hx)
        for what, state in zip(("h", "c"), states):
            if state is None:
                continue
            _check_dtype(state, what, w_ih.dtype, name)
            if batched:
                _check_state(state, what, (batch, hidden), ("batch", "hidden_size"), name)
            else:
                _check_state(state, what, (hidden,), ("hidden_size",), name)
            if not batched:
                states[what == "c"] = state[None]
    h, c = states
    if h is None:
        h = np.zeros((batch, hidden), w_ih.dtype)
    if mode == "lstm" and c is None:
        c = np.zeros((batch, hidden), w_ih.dtype)
    hs, _, c_last = _layer(mode, x[None], h, c, w_ih, w_hh, b_ih, b_hh, None, reverse=False)
    if mode == "lstm":
        return (hs[0], c_last[0]) if batched else (hs[0, 0], c_last[0, 0])
    return hs[0] if batched else hs[0, 0]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, *, name=None):
    """One Elman step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

    input (batch, input_size) or (input_size,); hx (batch, H) or (H,) (zeros when None);
    w_ih (H, input_size), w_hh (H, H), b_ih, b_hh (H,). Returns h' like hx.
    """
    return _cell("rnn_tanh", input, hx, w_ih, w_hh, b_ih, b_hh, name)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, *, name=None):
    """One Elman step h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh); shapes as ``rnn_tanh_cell``."""
    return _cell("rnn_relu", input, hx, w_ih, w_hh, b_ih, b_hh, name)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, *, name=None):
    """One LSTM step (gates i, f, g, o). Returns (h', c').

    input (batch, input_size) or (input_size,); hx a tuple (h, c) of (batch, H) or (H,)
    (zeros when None); w_ih (4H, input_size), w_hh (4H, H), b_ih, b_hh (4H,).
    """
    return _cell("lstm", input, hx, w_ih, w_hh, b_ih, b_hh, name)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, *, name=None):
    """One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). Returns h'.

    input (batch, input_size) or (input_size,); hx (batch, H) or (H,) (zeros when None);
    w_ih (3H, input_size), w_hh (3H, H), b_ih, b_hh (3H,).
    """
    return _cell("gru", input, hx, w_ih, w_hh, b_ih, b_hh, name)
