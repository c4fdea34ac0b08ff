"""The Elman RNN scan, h_t = act(x_t W_ih^T + b + h_{t-1} W_hh^T) with act tanh or relu: one
layer in one direction as one primitive (forward, vjp and jvp side by side).

x (seq_len, batch, I), h0 (batch, H), w_ih (H, I), w_hh (H, H), bias (H,) -> every h_t,
(seq_len, batch, H). ``_RNN_TANH_SCAN`` and ``_RNN_RELU_SCAN`` are the two instances.
"""
import numpy as np

from .... import ops
from ....core.primitive import Primitive
from ....ops.elementwise import zeros_like_any
from ....tensor import Tensor
from .buffers import _POOL, _Gathered
from .gates import (_backward_steps, _input_grads, _is_raw, _np_projection, _previous, _project,
                    _recurrent_weight_grad, _steps, _tangent_projection)


class _RNNScan(Primitive):
    """One Elman layer in one direction: h_t = act(x_t W_ih^T + b + h_{t-1} W_hh^T).

    Inputs: x (seq_len, batch, I), h0 (batch, H), w_ih (H, I), w_hh (H, H), bias (H,)
    (b_ih + b_hh, zeros without bias). Output: every h_t, (seq_len, batch, H).
    ``reverse`` runs from the last step to the first.
    """

    needs_inputs = True
    needs_output = True

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity
        self.name = f"rnn_{nonlinearity}_scan"

    def forward(self, x, h0, w_ih, w_hh, bias, reverse=False, workspace=None):
        out = _np_projection(x, w_ih, bias, 1, into=_POOL.output)[:, 0]   # activated in place
        w = np.ascontiguousarray(w_hh.T)        # BLAS is several times slower on the transposed view
        product = np.empty(h0.shape, out.dtype)
        h = h0
        for t in _steps(x.shape[0], reverse):
            step = out[t]
            np.matmul(h, w, out=product)
            step += product
            if self.nonlinearity == "tanh":
                np.tanh(step, out=step)
            else:
                np.maximum(step, 0, out=step)
            h = step
        return out

    def _derivative(self, out):
        if self.nonlinearity == "tanh":
            return 1 - out * out
        # relu'(0) = 0 (API.md §2; as PyTorch): a constant mask
        data = out.data if isinstance(out, Tensor) else out
        return (data > 0).astype(data.dtype)

    def vjp(self, needs, grad, out, x, h0, w_ih, w_hh, bias, reverse=False, workspace=None):
        length, batch, hidden = out.shape
        derivative = self._derivative(out)
        grads_pre = _Gathered(1, length, batch, hidden, out.dtype, reverse, _is_raw(out))
        carry = None
        for k, t in enumerate(_backward_steps(length, reverse)):
            grad_h = grad[t] if carry is None else grad[t] + carry
            grad_pre = grad_h * derivative[t]
            grads_pre.put(t, grad_pre)
            if k + 1 < length or needs[1]:
                carry = ops.matmul(grad_pre, w_hh)
        grad_pre = grads_pre.result()[0]                    # (seq*batch, H)
        grad_x, grad_w_ih, grad_bias = _input_grads((needs[0], needs[2]), grad_pre, x, w_ih, needs[4])
        grad_w_hh = _recurrent_weight_grad(grad_pre, out, h0, reverse) if needs[3] else None
        grads_pre.release()
        return grad_x, carry if needs[1] else None, grad_w_ih, grad_w_hh, grad_bias

    def jvp(self, tangents, out, x, h0, w_ih, w_hh, bias, reverse=False, workspace=None):
        tangent_x, tangent_h, tangent_w_ih, tangent_w_hh, tangent_bias = tangents
        base = _tangent_projection(x, w_ih, tangent_x, tangent_w_ih, tangent_bias, 1)
        if tangent_w_hh is not None:
            term = _project(_previous(out, h0, reverse), tangent_w_hh, 1)
            base = term if base is None else base + term
        derivative = self._derivative(out)
        tangent_h = zeros_like_any(h0) if tangent_h is None else tangent_h
        results = [None] * x.shape[0]
        for t in _steps(x.shape[0], reverse):
            pre = ops.matmul(tangent_h, ops.transpose(w_hh))
            if base is not None:
                pre = pre + base[0, t]
            tangent_h = pre * derivative[t]
            results[t] = tangent_h
        return ops.stack(results, axis=0)


_RNN_TANH_SCAN, _RNN_RELU_SCAN = _RNNScan("tanh"), _RNNScan("relu")
