"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameter names and shapes.

Parameters per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, P), ``bias_ih_l{k}``, ``bias_hh_l{k}``
(G*H,), and for a projected LSTM ``weight_hr_l{k}`` (P, H); G = 1 (RNN), 4 (LSTM: i, f, g, o),
3 (GRU: r, z, n). All start uniform in (-1/sqrt(H), 1/sqrt(H)), as PyTorch's.
"""
import math
import numbers
import warnings

import numpy as np

from ...dtypes import get_default_dtype
from ...random import generator
from .. import functional as F
from ..module import Module, Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _positive_int(value, what, layer):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{layer}: {what} must be an integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{layer}: {what} must be positive, got {value}")
    return int(value)


def _uniform_(params, hidden_size):
    """PyTorch's default: every weight and bias uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
    bound = 1.0 / math.sqrt(hidden_size)
    rng = generator()
    for p in params:
        p.data[...] = rng.uniform(-bound, bound, size=p.shape)  # drawn in float64, then cast
        p._version += 1


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (``mode`` one of RNN_TANH, RNN_RELU, LSTM, GRU)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r} (expected one of {sorted(_GATES)})")
        layer = type(self).__name__
        input_size = _positive_int(input_size, "input_size", layer)
        hidden_size = _positive_int(hidden_size, "hidden_size", layer)
        num_layers = _positive_int(num_layers, "num_layers", layer)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{layer}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{layer}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning, stacklevel=3)
        if not isinstance(proj_size, numbers.Integral) or proj_size < 0:
            raise ValueError(f"{layer}: proj_size should be a non-negative integer, got {proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{layer}: proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{layer}: proj_size has to be smaller than hidden_size "
                             f"(got proj_size={proj_size}, hidden_size={hidden_size})")
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = int(proj_size)
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{layer}: dtype must be a floating dtype, got {dtype}")

        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for k in range(num_layers):
            layer_input = input_size if k == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{k}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(np.zeros(shape, dtype)))
                    names.append(base + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_(self.parameters(), self.hidden_size)

    def flatten_parameters(self):
        """A no-op, for code written for PyTorch (weights are never flattened here)."""

    @property
    def all_weights(self):
        """Per layer and direction, the list of its parameters (PyTorch's order)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    def _weight_groups(self):
        """(w_ih, w_hh, b_ih, b_hh[, w_hr]) per layer and direction, for nn.functional."""
        groups = []
        for names in self._all_weights:
            params = [getattr(self, name) for name in names]
            if not self.bias:
                params[2:2] = [None, None]
            groups.append(tuple(params))
        return groups

    def _name(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def _functional(self, input, hx):
        mode = self.mode
        common = dict(num_layers=self.num_layers, dropout=self.dropout, training=self.training,
                      bidirectional=self.bidirectional, batch_first=self.batch_first,
                      name=self._name())
        weights = self._weight_groups()
        if mode == "LSTM":
            return F.lstm(input, hx, weights, **common)
        if mode == "GRU":
            return F.gru(input, hx, weights, **common)
        return F.rnn(input, hx, weights, nonlinearity=mode[4:].lower(), **common)

    def forward(self, input, hx=None):
        return self._functional(input, hx)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; D = 2 if bidirectional else 1.

    Shape:
        input (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched;
        h_0 (num_layers*D, N, H) or (num_layers*D, H), zeros when omitted.
        Returns (output, h_n): output (L, N, D*H) (batch first with batch_first),
        h_n (num_layers*D, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        s = super().extra_repr()
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class LSTM(RNNBase):
    """Long short-term memory, stacked (PyTorch's equations; gates i, f, g, o).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0)``; D = 2 if bidirectional else 1; P = proj_size or H
    (with proj_size, h_t = W_hr (o_t * tanh(c_t))).

    Shape:
        input (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched;
        hx = (h_0 (num_layers*D, N, P), c_0 (num_layers*D, N, H)), zeros when omitted.
        Returns (output, (h_n, c_n)): output (L, N, D*P) (batch first with batch_first),
        h_n (num_layers*D, N, P), c_n (num_layers*D, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit, stacked (PyTorch's equations; gates r, z, n;
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; D = 2 if bidirectional else 1.

    Shape:
        input (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched;
        h_0 (num_layers*D, N, H) or (num_layers*D, H), zeros when omitted.
        Returns (output, h_n): output (L, N, D*H) (batch first with batch_first),
        h_n (num_layers*D, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """The shared machinery of the cells: ``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H),
    ``bias_ih``, ``bias_hh`` (G*H,)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        self.input_size = _positive_int(input_size, "input_size", layer)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", layer)
        self.bias = bool(bias)
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{layer}: dtype must be a floating dtype, got {dtype}")
        gate_size = num_chunks * self.hidden_size
        self.weight_ih = Parameter(np.zeros((gate_size, self.input_size), dtype))
        self.weight_hh = Parameter(np.zeros((gate_size, self.hidden_size), dtype))
        if self.bias:
            self.bias_ih = Parameter(np.zeros(gate_size, dtype))
            self.bias_hh = Parameter(np.zeros(gate_size, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_(self.parameters(), self.hidden_size)

    def _name(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Shape: input (N, H_in) or (H_in,); hx (N, H) or (H,), zeros when omitted; returns h' like hx.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} "
                             f"(expected 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        return cell(input, hx, *self._weights(), name=self._name())


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): c' = f * c + i * g, h' = o * tanh(c').

    Shape: input (N, H_in) or (H_in,); hx = (h, c), each (N, H) or (H,), zeros when omitted;
    returns (h', c').
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return F.lstm_cell(input, hx, *self._weights(), name=self._name())


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h.

    Shape: input (N, H_in) or (H_in,); hx (N, H) or (H,), zeros when omitted; returns h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return F.gru_cell(input, hx, *self._weights(), name=self._name())
