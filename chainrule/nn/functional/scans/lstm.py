"""The LSTM scan (gates i, f, g, o; optionally projected by W_hr): one layer in one direction
as one primitive (forward, vjp and jvp side by side), with its NumPy backward loop.

x (seq_len, batch, I), h0 (batch, P), c0 (batch, H), w_ih (4H, I), w_hh (4H, P), bias (4H,)
and w_hr (P, H) when projecting (P = H otherwise) -> one flat array: every h_t
(seq_len, batch, P) then every c_t (seq_len, batch, H) (``_unpack_lstm`` splits it).
"""
import numpy as np

from .... import ops
from ....core.primitive import Primitive
from ....ops.elementwise import zeros_like_any
from .buffers import _POOL, _Gathered, _recycle
from .gates import (_backward_steps, _by_gate, _by_gate_bias, _flat, _input_grads, _is_raw,
                    _np_projection_rows, _previous, _project, _recurrent_weight_grad,
                    _stack_gates, _steps, _tangent_projection)


class _LSTMScan(Primitive):
    """One LSTM layer in one direction, optionally with a projection W_hr.

    Inputs: x (seq_len, batch, I), h0 (batch, P), c0 (batch, H), w_ih (4H, I), w_hh (4H, P),
    bias (4H,) (b_ih + b_hh, zeros without bias) and w_hr (P, H) when projecting (P = H
    otherwise). Output, flat: every h_t (seq_len, batch, P) then every c_t (seq_len, batch, H),
    so that each is a contiguous block (see ``_unpack_lstm``).
    """

    name = "lstm_scan"
    needs_inputs = True
    needs_output = True

    def forward(self, x, h0, c0, w_ih, w_hh, bias, w_hr=None, reverse=False, workspace=None):
        length, batch = x.shape[0], x.shape[1]
        hidden, proj = w_hh.shape[0] // 4, h0.shape[-1]
        dtype = w_hh.dtype
        # Gates batch-major: step t is one contiguous (batch, 4H) block [i | f | g | o], so the
        # projection, the recurrent GEMM and the saved derivative factors need no transposes.
        # Sigmoid gates are computed as 0.5 tanh(x / 2) + 0.5: the 1/2 is folded into the weights.
        scale = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype), hidden)   # (4H,)
        offset = 1 - scale
        square = scale * scale       # sigmoid' = (1 - u^2) / 4 and tanh' = 1 - u^2 with u = tanh(.)
        gates = _np_projection_rows(x, w_ih, bias, scale)   # (T, B, 4H) -> activated i, f, g, o
        w = np.ascontiguousarray(w_hh.T * scale)            # (P, 4H)
        w_r = None if w_hr is None else np.ascontiguousarray(w_hr.T)
        out = _POOL.output((length * batch * (proj + hidden),), dtype)
        split = length * batch * proj
        hs = out[:split].reshape(length, batch, proj)
        cs = out[split:].reshape(length, batch, hidden)
        keep = workspace is not None
        if keep:
            # d pre-activations / d (c, c, c, m), batch-major (seq_len, batch, 4H), as the
            # backward's one GEMM per step wants them
            coef = _POOL.empty((length, batch, 4 * hidden), dtype)
            through_c = _POOL.empty(cs.shape, dtype)       # d c / d m = o (1 - tanh(c)^2)
            m_all = _POOL.empty(cs.shape, dtype) if w_hr is not None else None
        product = np.empty((batch, 4 * hidden), dtype)
        tanh_c = np.empty((batch, hidden), dtype)
        cell = np.empty((batch, hidden), dtype)
        gate_i, gate_f = slice(0, hidden), slice(hidden, 2 * hidden)
        gate_g, gate_o = slice(2 * hidden, 3 * hidden), slice(3 * hidden, None)
        h, c = h0, c0
        for t in _steps(length, reverse):
            a = gates[t]
            np.matmul(h, w, out=product)
            a += product
            np.tanh(a, out=a)
            if keep:
                k = coef[t]
                np.multiply(a, a, out=k)
            a *= scale
            a += offset
            i, f, g, o = a[:, gate_i], a[:, gate_f], a[:, gate_g], a[:, gate_o]
            c_new = cs[t]
            np.multiply(f, c, out=c_new)
            np.multiply(i, g, out=cell)
            c_new += cell
            np.tanh(c_new, out=tanh_c)
            if w_r is None:
                np.multiply(o, tanh_c, out=hs[t])
            else:
                m = m_all[t] if keep else cell
                np.multiply(o, tanh_c, out=m)
                np.matmul(m, w_r, out=hs[t])
            if keep:
                np.subtract(1, k, out=k)
                k *= square                                 # each gate's derivative
                k[:, gate_i] *= g
                k[:, gate_f] *= c
                k[:, gate_g] *= i
                k[:, gate_o] *= tanh_c
                thr = through_c[t]
                np.multiply(tanh_c, tanh_c, out=thr)
                np.subtract(1, thr, out=thr)
                thr *= o
            h, c = hs[t], c_new
        if keep:
            gate_major = gates.reshape(length, batch, 4, hidden).transpose(2, 0, 1, 3)
            workspace.values = (gate_major, coef, through_c, m_all)
        else:
            _POOL.give(gates)
        return out

    def _saved(self, out, x, h0, c0, w_ih, w_hh, bias, w_hr, reverse, workspace):
        """(gates, coef, through_c, m) in time order: the activated i, f, g, o, gate-major
        (4, seq_len, batch, H); the factors [g i(1-i), c_prev f(1-f), i(1-g^2), tanh(c) o(1-o)],
        batch-major (seq_len, batch, 4H); o (1 - tanh(c)^2); and o tanh(c) (None without
        projection), both (seq_len, batch, H)."""
        cached = workspace.take() if workspace is not None else None
        if cached is not None and _is_raw(out):
            return cached
        if cached is not None:
            _recycle(*cached)
        length, batch = x.shape[0], x.shape[1]
        hidden, proj = w_hh.shape[0] // 4, h0.shape[-1]
        hs, cs = _unpack_lstm(out, length, batch, proj, hidden)
        h_prev, c_prev = _previous(hs, h0, reverse), _previous(cs, c0, reverse)
        pre = _project(x, w_ih, 4) + _by_gate_bias(bias, 4) + _project(h_prev, w_hh, 4)
        i, f, g, o = ops.sigmoid(pre[0]), ops.sigmoid(pre[1]), ops.tanh(pre[2]), ops.sigmoid(pre[3])
        tanh_c = ops.tanh(cs)
        gates = _stack_gates([i, f, g, o])
        coef = ops.concatenate([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g),
                                tanh_c * o * (1 - o)], axis=-1)
        return gates, coef, o * (1 - tanh_c * tanh_c), (None if w_hr is None else o * tanh_c)

    def vjp(self, needs, grad, out, x, h0, c0, w_ih, w_hh, bias, w_hr=None, reverse=False,
            workspace=None):
        length, batch = x.shape[0], x.shape[1]
        hidden, proj = w_hh.shape[0] // 4, h0.shape[-1]
        gates, coef, through_c, m_all = self._saved(out, x, h0, c0, w_ih, w_hh, bias, w_hr,
                                                    reverse, workspace)
        f = gates[1]
        grad_hs, grad_cs = _unpack_lstm(grad, length, batch, proj, hidden)
        raw = _is_raw(out)
        grads_pre = _Gathered(1, length, batch, 4 * hidden, out.dtype, reverse, raw)
        grads_h = _Gathered(1, length, batch, proj, out.dtype, reverse, raw) \
            if w_hr is not None else None
        carry_h = carry_c = None
        if raw and w_hr is None:
            carry_h, carry_c = _lstm_backward_steps_np(grad_hs, grad_cs, coef, through_c, f,
                                                       w_hh, grads_pre.buffer[0], needs, reverse)
        for k, t in enumerate(() if raw and w_hr is None else _backward_steps(length, reverse)):
            grad_h = grad_hs[t] if carry_h is None else grad_hs[t] + carry_h
            grad_m = grad_h if w_hr is None else ops.matmul(grad_h, w_hr)
            grad_c = grad_cs[t] + grad_m * through_c[t]
            if carry_c is not None:
                grad_c = grad_c + carry_c
            grad_pre = ops.concatenate([grad_c, grad_c, grad_c, grad_m], axis=-1) * coef[t]
            grads_pre.put(t, grad_pre)
            if w_hr is not None:
                grads_h.put(t, grad_h)
            if k + 1 < length or needs[1]:
                carry_h = ops.matmul(grad_pre, w_hh)
            if k + 1 < length or needs[2]:
                carry_c = grad_c * f[t]
        grad_pre = grads_pre.result()[0]                   # (seq*batch, 4H)
        grad_x, grad_w_ih, grad_bias = _input_grads((needs[0], needs[3]), grad_pre, x, w_ih, needs[5])
        grad_w_hh = None
        if needs[4]:
            hs = _unpack_lstm(out, length, batch, proj, hidden)[0]
            grad_w_hh = _recurrent_weight_grad(grad_pre, hs, h0, reverse)
        grads = (grad_x, carry_h if needs[1] else None, carry_c if needs[2] else None, grad_w_ih,
                 grad_w_hh, grad_bias)
        if w_hr is not None:
            grad_w_hr = None
            if needs[6]:
                grad_w_hr = ops.matmul(ops.transpose(grads_h.result()[0]), _flat(m_all))
            grads += (grad_w_hr,)
            grads_h.release()
        grads_pre.release()
        if raw:  # nothing references the workspace any more: recycle it
            _recycle(gates, coef, through_c, m_all)
        return grads

    def jvp(self, tangents, out, x, h0, c0, w_ih, w_hh, bias, w_hr=None, reverse=False,
            workspace=None):
        tangent_x, tangent_h, tangent_c, tangent_w_ih, tangent_w_hh, tangent_bias = tangents[:6]
        tangent_w_hr = tangents[6] if w_hr is not None else None
        length, batch = x.shape[0], x.shape[1]
        hidden, proj = w_hh.shape[0] // 4, h0.shape[-1]
        gates, _, through_c, m_all = self._saved(out, x, h0, c0, w_ih, w_hh, bias, w_hr, reverse,
                                                 None)
        i, f, g, o = gates[0], gates[1], gates[2], gates[3]
        hs, cs = _unpack_lstm(out, length, batch, proj, hidden)
        c_prev = _previous(cs, c0, reverse)
        tanh_c = ops.tanh(cs)
        slope = _stack_gates([i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o)])
        base = _tangent_projection(x, w_ih, tangent_x, tangent_w_ih, tangent_bias, 4)
        if tangent_w_hh is not None:
            term = _project(_previous(hs, h0, reverse), tangent_w_hh, 4)
            base = term if base is None else base + term
        base_h = None if tangent_w_hr is None else _project(m_all, tangent_w_hr, 1)
        w_hh_t = ops.swapaxes(_by_gate(w_hh, 4), 1, 2)      # (4, P, H)
        # Missing initial-state tangents are zeros (forward mode need not be fast).
        tangent_h = zeros_like_any(h0) if tangent_h is None else tangent_h
        tangent_c = zeros_like_any(c0) if tangent_c is None else tangent_c
        results_h, results_c = [None] * length, [None] * length
        for t in _steps(length, reverse):
            pre = ops.matmul(tangent_h, w_hh_t)
            if base is not None:
                pre = pre + base[:, t]
            act = pre * slope[:, t]
            tangent_c = (tangent_c * f[t] + act[1] * c_prev[t] + act[0] * g[t] + act[2] * i[t])
            tangent_m = act[3] * tanh_c[t] + through_c[t] * tangent_c
            if w_hr is None:
                tangent_h = tangent_m
            else:
                tangent_h = ops.matmul(tangent_m, ops.transpose(w_hr))
                if base_h is not None:
                    tangent_h = tangent_h + base_h[0, t]
            results_h[t], results_c[t] = tangent_h, tangent_c
        return ops.concatenate([ops.ravel(ops.stack(results_h, axis=0)),
                                ops.ravel(ops.stack(results_c, axis=0))], axis=0)


def _lstm_backward_steps_np(grad_hs, grad_cs, coef, through_c, f, w_hh, grads_pre, needs,
                            reverse):
    """The LSTM backward recurrence (no projection) on ndarrays, into preallocated buffers.

    Writes each step's pre-activation gradient into ``grads_pre`` (seq_len * batch, 4H), in
    time order, and returns the gradients of h0 and c0 (the carries out of the first step).
    The same arithmetic as the general loop in ``_LSTMScan.vjp``, without temporaries.
    """
    length, batch, hidden = grad_cs.shape
    dtype = grads_pre.dtype
    grad_h = np.empty((batch, hidden), dtype)
    grad_c = np.empty((batch, hidden), dtype)
    carry_h = np.empty((batch, hidden), dtype)
    carry_c = np.empty((batch, hidden), dtype)
    first = True
    for k, t in enumerate(_backward_steps(length, reverse)):
        if first:
            np.copyto(grad_h, grad_hs[t])
        else:
            np.add(grad_hs[t], carry_h, out=grad_h)
        np.multiply(grad_h, through_c[t], out=grad_c)
        grad_c += grad_cs[t]
        if not first:
            grad_c += carry_c
        first = False
        row = grads_pre[t * batch:(t + 1) * batch]            # (batch, 4H): [c | c | c | m]
        blocks = row.reshape(batch, 4, hidden)
        blocks[:, :3] = grad_c[:, None]
        blocks[:, 3] = grad_h
        row *= coef[t]
        if k + 1 < length or needs[1]:
            np.matmul(row, w_hh, out=carry_h)
        if k + 1 < length or needs[2]:
            np.multiply(grad_c, f[t], out=carry_c)
    return carry_h, carry_c


def _unpack_lstm(packed, length, batch, proj, hidden):
    """The LSTM scan's flat output as (hs (seq_len, batch, P), cs (seq_len, batch, H)) views."""
    split = length * batch * proj
    return (ops.reshape(packed[:split], (length, batch, proj)),
            ops.reshape(packed[split:], (length, batch, hidden)))


_LSTM_SCAN = _LSTMScan()
