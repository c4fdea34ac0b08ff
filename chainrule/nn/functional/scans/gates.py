"""The math the three scans share: time order, per-gate views of the weights, the input
projection of every step at once (chainrule ops for the derivatives, NumPy for the forward)
and the gradients that do not depend on the recurrence.

Shapes: x (seq_len, batch, I); a weight (G*H, n), per gate (G, H, n); gate-major values
(G, seq_len, batch, H); pre-activation gradients batch-major (seq_len * batch, G*H) or
gate-major (G, seq_len * batch, H); the NumPy forward's projection (seq_len, G, batch, H),
or (seq_len, batch, G*H) by rows.
"""
import numpy as np

from .... import ops
from .buffers import _POOL


def _steps(length, reverse):
    """Time indices in the order the forward recurrence visits them."""
    return range(length - 1, -1, -1) if reverse else range(length)


def _backward_steps(length, reverse):
    return range(length) if reverse else range(length - 1, -1, -1)


def _is_raw(value):
    return isinstance(value, np.ndarray)


def _flat(x):
    """(seq_len, batch, n) -> (seq_len * batch, n)."""
    shape = x.shape
    return ops.reshape(x, (shape[0] * shape[1], shape[2]))


def _previous(seq, first, reverse):
    """(seq_len, batch, n): the state each step starts from (``first``, then the outputs before it)."""
    if reverse:
        return ops.concatenate([seq[1:], first[None]], axis=0)
    return ops.concatenate([first[None], seq[:-1]], axis=0)


def _by_gate(weight, gates):
    """(G*H, n) -> (G, H, n): W's row blocks, one per gate (a view)."""
    return ops.reshape(weight, (gates, weight.shape[0] // gates, weight.shape[1]))


def _project(seq, weight, gates):
    """seq (seq_len, batch, n) @ weight^T for every step at once, gate-major: (G, seq_len, batch, H)."""
    length, batch = seq.shape[0], seq.shape[1]
    product = ops.matmul(_flat(seq), ops.swapaxes(_by_gate(weight, gates), 1, 2))   # (G, T*B, H)
    return ops.reshape(product, (gates, length, batch, weight.shape[0] // gates))


def _by_gate_bias(bias, gates):
    """(G*H,) -> (G, 1, 1, H), to broadcast against gate-major (G, seq_len, batch, H)."""
    return ops.reshape(bias, (gates, 1, 1, bias.shape[0] // gates))


def _stack_gates(per_gate):
    """[(seq_len, batch, H)] * G -> (G, seq_len, batch, H)."""
    return ops.concatenate([p[None] for p in per_gate], axis=0)


def _recurrent_weight_grad(grad_pre, hs, h0, reverse):
    """sum over steps of grad_pre_t^T h_prev_t, in W_hh's layout (G*H, P), without building h_prev.

    grad_pre: the pre-activations' gradient in time order, batch-major (seq_len * batch, G*H)
    or gate-major (G, seq_len * batch, H); hs (seq_len, batch, P) the outputs; h_prev_t is h0
    at the first step visited and the neighbouring output otherwise.
    """
    batch, gate_major = h0.shape[0], grad_pre.ndim == 3
    steps = (slice(None),) if gate_major else ()
    if reverse:
        first, rest, earlier = grad_pre[steps + (slice(-batch, None),)], \
            grad_pre[steps + (slice(None, -batch),)], hs[1:]
    else:
        first, rest, earlier = grad_pre[steps + (slice(None, batch),)], \
            grad_pre[steps + (slice(batch, None),)], hs[:-1]

    result = ops.matmul(ops.swapaxes(first, -1, -2), h0)
    if hs.shape[0] > 1:
        result = result + ops.matmul(ops.swapaxes(rest, -1, -2), _flat(earlier))
    if gate_major:
        result = ops.reshape(result, (grad_pre.shape[0] * grad_pre.shape[2], h0.shape[1]))
    return result


def _input_grads(needs, grad_pre, x, w_ih, bias_needed):
    """Gradients of x (seq_len, batch, I), w_ih (G*H, I) and a bias (G*H,) from the
    pre-activations' gradient, batch-major (seq_len * batch, G*H) or gate-major
    (G, seq_len * batch, H)."""
    grad_x = grad_w_ih = grad_bias = None
    if grad_pre.ndim == 2:
        if needs[0]:
            grad_x = ops.reshape(ops.matmul(grad_pre, w_ih), x.shape)
        if needs[1]:
            grad_w_ih = ops.matmul(ops.transpose(grad_pre), _flat(x))
        if bias_needed:
            grad_bias = ops.sum(grad_pre, axis=0)
        return grad_x, grad_w_ih, grad_bias
    gates, hidden = grad_pre.shape[0], grad_pre.shape[2]
    if needs[0]:
        per_gate = ops.matmul(grad_pre, _by_gate(w_ih, gates))               # (G, T*B, I)
        grad_x = ops.reshape(ops.sum(per_gate, axis=0), x.shape)
    if needs[1]:
        grad_w_ih = ops.reshape(ops.matmul(ops.swapaxes(grad_pre, 1, 2), _flat(x)),
                                (gates * hidden, x.shape[2]))
    if bias_needed:
        grad_bias = ops.reshape(ops.sum(grad_pre, axis=1), (gates * hidden,))
    return grad_x, grad_w_ih, grad_bias


def _tangent_projection(x, w_ih, tangent_x, tangent_w_ih, tangent_bias, gates):
    """The tangent of x @ w_ih^T + bias for all steps, gate-major (G, seq_len, batch, H) (or None)."""
    result = None
    if tangent_x is not None:
        result = _project(tangent_x, w_ih, gates)
    if tangent_w_ih is not None:
        term = _project(x, tangent_w_ih, gates)
        result = term if result is None else result + term
    if tangent_bias is not None:
        term = _by_gate_bias(tangent_bias, gates)
        if result is None:
            hidden = w_ih.shape[0] // gates
            term = ops.broadcast_to(term, (gates, x.shape[0], x.shape[1], hidden))
        result = term if result is None else result + term
    return result


# --------------------------------------------------------------------------- NumPy side of the forward
def _gate_scale(kinds, dtype):
    """(G, 1, 1): 0.5 for a sigmoid gate ("s"), 1 for a tanh gate ("t")."""
    return np.array([0.5 if kind == "s" else 1.0 for kind in kinds], dtype).reshape(-1, 1, 1)


def _np_by_gate_t(weight, gates, scale=None):
    """(G*H, n) -> contiguous (G, n, H) = each gate's W^T (times ``scale``), for the GEMMs."""
    w = weight.reshape(gates, weight.shape[0] // gates, weight.shape[1]).transpose(0, 2, 1)
    return np.ascontiguousarray(w if scale is None else w * scale)


def _np_projection(x, w_ih, bias, gates, scale=None, into=_POOL.empty):
    """(seq_len, G, batch, H) = x @ w_ih^T + bias for all steps (times ``scale``, (G, 1, 1)),
    written into ``into(shape, dtype)``: one GEMM, then one pass that adds the bias and puts
    each step's gates in contiguous (batch, H) blocks."""
    length, batch, size = x.shape
    hidden = w_ih.shape[0] // gates
    if scale is not None:
        column_scale = np.repeat(scale.reshape(-1), hidden)
        w, bias = w_ih.T * column_scale, bias * column_scale
    else:
        w = w_ih.T
    w = np.ascontiguousarray(w)        # BLAS is several times slower on a transposed view
    x = x.reshape(length * batch, size)
    pre = into((length, gates, batch, hidden), w.dtype)
    if gates == 1:
        np.matmul(x, w, out=pre.reshape(length * batch, hidden))
        pre += bias
        return pre
    flat = np.matmul(x, w, out=_POOL.empty((length * batch, gates * hidden), w.dtype))
    np.add(flat.reshape(length, batch, gates, hidden).transpose(0, 2, 1, 3),
           bias.reshape(gates, 1, hidden), out=pre)
    _POOL.give(flat)
    return pre


def _np_projection_rows(x, w_ih, bias, column_scale):
    """(seq_len, batch, G*H) = (x @ w_ih^T + bias) * column_scale for all steps: one GEMM into
    a pooled buffer, then the bias added in place (contiguous; no transposed pass)."""
    length, batch, size = x.shape
    w = np.ascontiguousarray(w_ih.T * column_scale)   # BLAS is slower on a transposed view
    pre = _POOL.empty((length, batch, w.shape[1]), w.dtype)
    np.matmul(x.reshape(length * batch, size), w, out=pre.reshape(length * batch, w.shape[1]))
    pre += bias * column_scale
    return pre
