"""The GRU scan (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))): one layer in
one direction as one primitive (forward, vjp and jvp side by side).

x (seq_len, batch, I), h0 (batch, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) -> every
h_t, (seq_len, batch, H).
"""
import numpy as np

from .... import ops
from ....core.primitive import Primitive
from ....ops.elementwise import zeros_like_any
from .buffers import _POOL, _Gathered, _recycle
from .gates import (_backward_steps, _by_gate, _by_gate_bias, _gate_scale, _input_grads, _is_raw,
                    _np_by_gate_t, _np_projection, _previous, _project, _recurrent_weight_grad,
                    _stack_gates, _steps, _tangent_projection)


class _GRUScan(Primitive):
    """One GRU layer in one direction.

    Inputs: x (seq_len, batch, I), h0 (batch, H), w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,)
    (zeros without bias). Output: every h_t, (seq_len, batch, H).
    """

    name = "gru_scan"
    needs_inputs = True
    needs_output = True

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, workspace=None):
        length, batch = x.shape[0], x.shape[1]
        hidden = w_hh.shape[0] // 3
        dtype = w_hh.dtype
        scale = _gate_scale("sst", dtype)
        gates = _np_projection(x, w_ih, b_ih, 3, scale)   # (T, 3, B, H) -> activated r, z, n
        w = _np_by_gate_t(w_hh, 3, scale)                 # (3, H, H)
        b = b_hh.reshape(3, 1, hidden) * scale
        out = _POOL.output((length, batch, hidden), dtype)
        keep = workspace is not None
        if keep:
            coef = _POOL.empty(gates.shape, dtype)  # d (W_hh h + b_hh) / d h_t: [cr, cz, cn r]
            coef_n = _POOL.empty(out.shape, dtype)  # d (pre-activation of n) / d h_t: (1-z)(1-n^2)
        hh = np.empty((3, batch, hidden), dtype)
        product = np.empty((batch, hidden), dtype)
        h = h0
        for t in _steps(length, reverse):
            np.matmul(h, w, out=hh)
            hh += b
            a = gates[t]
            rz = a[:2]
            rz += hh[:2]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, n = a
            np.multiply(r, hh[2], out=product)
            n += product
            np.tanh(n, out=n)
            h_new = out[t]
            np.subtract(h, n, out=h_new)
            h_new *= z
            h_new += n
            if keep:
                k = coef[t]
                np.subtract(1, rz, out=k[:2])
                k[:2] *= rz                                  # r(1-r), z(1-z)
                cn = coef_n[t]
                np.multiply(n, n, out=cn)
                np.subtract(1, cn, out=cn)
                np.subtract(1, z, out=product)
                cn *= product                                # (1 - z)(1 - n^2)
                k[0] *= cn
                k[0] *= hh[2]                                # cr = cn (W_hn h + b_hn) r(1-r)
                np.subtract(h, n, out=product)
                k[1] *= product                              # cz = (h_prev - n) z(1-z)
                np.multiply(cn, r, out=k[2])                 # cn r
            h = h_new
        if keep:
            workspace.values = (gates.transpose(1, 0, 2, 3), coef.transpose(1, 0, 2, 3), coef_n)
        else:
            _POOL.give(gates)
        return out

    def _saved(self, out, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, workspace):
        """(gates, coef, coef_n): gates and coef (3, seq_len, batch, H), coef_n (seq_len, batch, H),
        in time order: the activated r, z, n; [cr, cz, cn r] with cn = (1-z)(1-n^2),
        cr = cn (W_hn h + b_hn) r(1-r), cz = (h_prev-n) z(1-z); and cn."""
        cached = workspace.take() if workspace is not None else None
        if cached is not None and _is_raw(out):
            return cached
        if cached is not None:
            _recycle(*cached)
        h_prev = _previous(out, h0, reverse)
        pre_x = _project(x, w_ih, 3) + _by_gate_bias(b_ih, 3)
        hh = _project(h_prev, w_hh, 3) + _by_gate_bias(b_hh, 3)
        r, z = ops.sigmoid(pre_x[0] + hh[0]), ops.sigmoid(pre_x[1] + hh[1])
        n = ops.tanh(pre_x[2] + r * hh[2])
        coef_n = (1 - z) * (1 - n * n)
        coef = _stack_gates([coef_n * hh[2] * r * (1 - r), (h_prev - n) * z * (1 - z), coef_n * r])
        return _stack_gates([r, z, n]), coef, coef_n

    def vjp(self, needs, grad, out, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, workspace=None):
        length, batch, hidden = out.shape
        gates, coef, coef_n = self._saved(out, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, workspace)
        z = gates[1]
        w_hh_by_gate = _by_gate(w_hh, 3)                     # (3, H, H)
        raw = _is_raw(out)
        grads_h = _Gathered(1, length, batch, hidden, out.dtype, reverse, raw)
        grads_hh = _Gathered(3, length, batch, hidden, out.dtype, reverse, raw)
        carry = None
        for k, t in enumerate(_backward_steps(length, reverse)):
            grad_h = grad[t] if carry is None else grad[t] + carry
            grad_hh = coef[:, t] * grad_h                    # d (W_hh h + b_hh), (3, batch, H)
            grads_h.put(t, grad_h)
            grads_hh.put(t, grad_hh)
            if k + 1 < length or needs[1]:
                carry = grad_h * z[t] + ops.sum(ops.matmul(grad_hh, w_hh_by_gate), axis=0)
        grad_hh = grads_hh.result()                          # (3, seq*batch, H)
        grad_x = grad_w_ih = grad_b_ih = None
        if needs[0] or needs[2] or needs[4]:
            # d (W_ih x + b_ih): equal to grad_hh for r and z; for n it lacks the factor r
            grad_n = grads_h.result() * ops.reshape(coef_n, (1, length * batch, hidden))
            grad_pre_x = ops.concatenate([grad_hh[:2], grad_n], axis=0)
            grad_x, grad_w_ih, grad_b_ih = _input_grads((needs[0], needs[2]), grad_pre_x, x, w_ih,
                                                        needs[4])
        grad_w_hh = _recurrent_weight_grad(grad_hh, out, h0, reverse) if needs[3] else None
        grad_b_hh = ops.reshape(ops.sum(grad_hh, axis=1), (3 * hidden,)) if needs[5] else None
        grads_h.release()
        grads_hh.release()
        if raw:  # nothing references the workspace any more: recycle it
            _recycle(gates, coef, coef_n)
        return grad_x, carry if needs[1] else None, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh

    def jvp(self, tangents, out, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, workspace=None):
        tangent_x, tangent_h, tangent_w_ih, tangent_w_hh, tangent_b_ih, tangent_b_hh = tangents
        length = x.shape[0]
        gates, _, _ = self._saved(out, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, None)
        r, z, n = gates[0], gates[1], gates[2]
        h_prev = _previous(out, h0, reverse)
        hh_n = _project(h_prev, w_hh, 3)[2] + _by_gate_bias(b_hh, 3)[2]
        slope_r, slope_z, slope_n = r * (1 - r), z * (1 - z), 1 - n * n
        base_x = _tangent_projection(x, w_ih, tangent_x, tangent_w_ih, tangent_b_ih, 3)
        base_hh = _tangent_projection(h_prev, w_hh, None, tangent_w_hh, tangent_b_hh, 3)
        w_hh_t = ops.swapaxes(_by_gate(w_hh, 3), 1, 2)      # (3, H, H)
        tangent_h = zeros_like_any(h0) if tangent_h is None else tangent_h
        results = [None] * length
        for t in _steps(length, reverse):
            t_hh = ops.matmul(tangent_h, w_hh_t)
            if base_hh is not None:
                t_hh = t_hh + base_hh[:, t]
            t_pre = t_hh if base_x is None else t_hh + base_x[:, t]
            t_r, t_z = t_pre[0] * slope_r[t], t_pre[1] * slope_z[t]
            t_pre_n = t_r * hh_n[t] + r[t] * t_hh[2]
            if base_x is not None:
                t_pre_n = t_pre_n + base_x[2, t]
            t_n = t_pre_n * slope_n[t]
            tangent_h = t_n + t_z * (h_prev[t] - n[t]) + z[t] * (tangent_h - t_n)
            results[t] = tangent_h
        return ops.stack(results, axis=0)


_GRU_SCAN = _GRUScan()
