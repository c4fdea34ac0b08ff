"""Plain NumPy references for the op table's nn.functional and internal rows (``specs.py``).

Each follows PyTorch's documented formula in the most direct form -- explicit loops over
output positions and kernel offsets for convolution and pooling, one time step at a time
for the recurrent networks -- so that it shares no code (and no cleverness) with chainrule.
They compute in float64 and return the inputs' dtype (float32 in, float32 out).
"""
import itertools
import math

import numpy as np


# --------------------------------------------------------------------------- helpers
def _dtype(*xs):
    return np.result_type(*[np.asarray(x) for x in xs if x is not None])


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def _cast(out, *like):
    return np.asarray(out).astype(_dtype(*like))


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return np.sum(loss) if reduction == "sum" else np.mean(loss)


# --------------------------------------------------------------------------- activations
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elementwise(formula):
    def ref(x, *args, **kw):
        return _cast(formula(_f64(x), *args, **kw), x)
    ref.__name__ = formula.__name__
    return ref


@_elementwise
def relu(x):
    return np.maximum(x, 0.0)


@_elementwise
def relu6(x):
    return np.clip(x, 0.0, 6.0)


@_elementwise
def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, negative_slope * x)


@_elementwise
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


@_elementwise
def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))


@_elementwise
def celu(x, alpha=1.0):
    return np.maximum(0.0, x) + np.minimum(0.0, alpha * np.expm1(x / alpha))


@_elementwise
def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


@_elementwise
def sigmoid(x):
    return _sigmoid(x)


@_elementwise
def tanh(x):
    return np.tanh(x)


@_elementwise
def hardsigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


@_elementwise
def hardtanh(x, min_val=-1.0, max_val=1.0):
    return np.clip(x, min_val, max_val)


@_elementwise
def hardswish(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


@_elementwise
def softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, _softplus(beta * x) / beta)


@_elementwise
def softsign(x):
    return x / (1.0 + np.abs(x))


@_elementwise
def silu(x):
    return x * _sigmoid(x)


@_elementwise
def mish(x):
    return x * np.tanh(_softplus(x))


@_elementwise
def logsigmoid(x):
    return -_softplus(-x)


@_elementwise
def tanhshrink(x):
    return x - np.tanh(x)


@_elementwise
def threshold(x, threshold, value):
    return np.where(x > threshold, x, value)


@_elementwise
def softmax(x, dim):
    return np.exp(_log_softmax(x, dim))


@_elementwise
def softmin(x, dim):
    return np.exp(_log_softmax(-x, dim))


@_elementwise
def log_softmax(x, dim):
    return _log_softmax(x, dim)


@_elementwise
def glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a * _sigmoid(b)


def prelu(x, weight):
    xd, w = _f64(x), _f64(weight)
    if w.size > 1:
        axis = 0 if xd.ndim == 1 else 1
        w = w.reshape((w.size,) + (1,) * (xd.ndim - axis - 1))
    return _cast(np.where(xd > 0, xd, w * xd), x, weight)


# --------------------------------------------------------------------------- basic
def linear(x, weight, bias=None):
    out = _f64(x) @ _f64(weight).T
    if bias is not None:
        out = out + _f64(bias)
    return _cast(out, x, weight, bias)


def bilinear(x1, x2, weight, bias=None):
    out = np.einsum("...i,kij,...j->...k", _f64(x1), _f64(weight), _f64(x2))
    if bias is not None:
        out = out + _f64(bias)
    return _cast(out, x1, x2, weight, bias)


def dropout(x, p, seed, mask_shape=None):
    """Inverted dropout with the keep mask drawn as chainrule documents: ``cr.manual_seed(seed)``
    then ``generator().random(mask_shape) >= p`` (mask_shape: the input's, or per channel)."""
    x = np.asarray(x)
    keep = np.random.default_rng(seed).random(x.shape if mask_shape is None else mask_shape) >= p
    return (x * (keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype))).astype(x.dtype)


def embedding(weight, indices):
    return np.asarray(weight)[indices]


def one_hot(indices, num_classes):
    return np.eye(num_classes, dtype=np.int64)[indices]


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


def pad(x, pad, mode="constant", value=0.0):
    """PyTorch's flat (last-axis-first) padding; negative amounts crop."""
    x = np.asarray(x)
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grow = [(max(a, 0), max(b, 0)) for a, b in widths]
    kw = dict(constant_values=value) if mode == "constant" else {}
    out = np.pad(x, grow, mode=_PAD_MODES[mode], **kw)
    key = tuple(slice(-a if a < 0 else 0, n + b if b < 0 else n)
                for (a, b), n in zip(widths, out.shape))
    return out[key]


def normalize(x, p=2.0, dim=1, eps=1e-12):
    xd = _f64(x)
    norm = np.sum(np.abs(xd) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return _cast(xd / np.maximum(norm, eps), x)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    a, b = _f64(x1), _f64(x2)
    n1 = np.maximum(np.sqrt(np.sum(a * a, axis=dim)), eps)
    n2 = np.maximum(np.sqrt(np.sum(b * b, axis=dim)), eps)
    return _cast(np.sum(a * b, axis=dim) / (n1 * n2), x1, x2)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = np.abs(_f64(x1) - _f64(x2) + eps)
    return _cast(np.sum(d ** p, axis=-1, keepdims=keepdim) ** (1.0 / p), x1, x2)


# --------------------------------------------------------------------------- convolution
def _conv_pairs(padding, nd, kernel, dilation):
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        pairs = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    return tuple(p if isinstance(p, tuple) else (p, p) for p in _tuple(padding, nd))


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, *P] = sum over c in o's group and kernel offsets k of
    x_padded[n, c, P * stride + k * dilation] * w[o, c, k] (+ bias[o])."""
    xd, w = _f64(x), _f64(weight)
    batched = xd.ndim == w.ndim
    if not batched:
        xd = xd[None]
    nd = w.ndim - 2
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    kernel = w.shape[2:]
    pairs = _conv_pairs(padding, nd, kernel, dilation)
    xp = np.pad(xd, [(0, 0), (0, 0)] + list(pairs))
    n, c = xd.shape[:2]
    o = w.shape[0]
    out_size = tuple((xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                     for i in range(nd))
    out = np.zeros((n, o) + out_size)
    c_group, o_group = c // groups, o // groups
    for oc in range(o):
        g = oc // o_group
        for pos in itertools.product(*(range(s) for s in out_size)):
            total = np.zeros(n)
            for k in itertools.product(*(range(s) for s in kernel)):
                at = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                total += xp[(slice(None), slice(g * c_group, (g + 1) * c_group)) + at] \
                    @ w[(oc, slice(None)) + k]
            out[(slice(None), oc) + pos] = total
    if bias is not None:
        out += _f64(bias).reshape((1, o) + (1,) * nd)
    return _cast(out if batched else out[0], x, weight, bias)


def conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1):
    """Each input element x[n, ci, P] adds x * w[ci, co, k] at output position
    P * stride + k * dilation - padding (co in ci's group); the output has size
    (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    xd, w = _f64(x), _f64(weight)
    batched = xd.ndim == w.ndim
    if not batched:
        xd = xd[None]
    nd = w.ndim - 2
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    pad_, out_pad = _tuple(padding, nd), _tuple(output_padding, nd)
    kernel = w.shape[2:]
    n, c_in = xd.shape[:2]
    co_group = w.shape[1]
    size = xd.shape[2:]
    out_size = tuple((s - 1) * st - 2 * p + d * (k - 1) + q + 1
                     for s, st, p, d, k, q in zip(size, stride, pad_, dilation, kernel, out_pad))
    full = np.zeros((n, co_group * groups) + tuple(o + 2 * p for o, p in zip(out_size, pad_)))
    ci_group = c_in // groups
    for ci in range(c_in):
        g = ci // ci_group
        for pos in itertools.product(*(range(s) for s in size)):
            for k in itertools.product(*(range(s) for s in kernel)):
                at = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                full[(slice(None), slice(g * co_group, (g + 1) * co_group)) + at] += \
                    xd[(slice(None), ci) + pos][:, None] * w[(ci, slice(None)) + k]
    out = full[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad_, out_size))]
    if bias is not None:
        out = out + _f64(bias).reshape((1, -1) + (1,) * nd)
    return _cast(out if batched else out[0], x, weight, bias)


def conv_weight(x, y, stride, padding, dilation, groups, kernel_size):
    """The adjoint of conv in its weight: grad_w[o, c, k] = sum over n and output positions P
    of x_padded[n, g(o) * C/G + c, P * stride + k * dilation] * y[n, o, P]."""
    xd, yd = _f64(x), _f64(y)
    xp = np.pad(xd, [(0, 0), (0, 0)] + [(lo, max(hi, 0)) for lo, hi in padding])
    n, c = xd.shape[:2]
    o = yd.shape[1]
    c_group, o_group = c // groups, o // groups
    out = np.zeros((o, c_group) + tuple(kernel_size))
    for oc in range(o):
        g = oc // o_group
        for k in itertools.product(*(range(s) for s in kernel_size)):
            for pos in itertools.product(*(range(s) for s in yd.shape[2:])):
                at = tuple(p * s + kk * d for p, s, kk, d in zip(pos, stride, k, dilation))
                window = xp[(slice(None), slice(g * c_group, (g + 1) * c_group)) + at]  # (N, C/G)
                out[(oc, slice(None)) + k] += yd[(slice(None), oc) + pos] @ window
    return _cast(out, x, y)


# --------------------------------------------------------------------------- pooling
def _pool_out(n, k, s, p, d, ceil_mode):
    span = d * (k - 1) + 1
    o = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def max_pool(x, nd, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
    """Max over each window (positions outside the input never win: -inf padding); with
    ``return_indices`` also where each maximum is, flat over the unpadded spatial axes."""
    xd = _f64(x)
    batched = xd.ndim == nd + 2
    if not batched:
        xd = xd[None]
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None else _tuple(stride, nd)
    pad_, dil = _tuple(padding, nd), _tuple(dilation, nd)
    size = xd.shape[2:]
    out_size = tuple(_pool_out(*a, ceil_mode) for a in zip(size, kernel, stride, pad_, dil))
    out = np.full(xd.shape[:2] + out_size, -np.inf)
    where = np.zeros(xd.shape[:2] + out_size, dtype=np.int64)
    for pos in itertools.product(*(range(o) for o in out_size)):
        for k in itertools.product(*(range(s) for s in kernel)):
            at = tuple(q * s + kk * d - p for q, s, kk, d, p in zip(pos, stride, k, dil, pad_))
            if all(0 <= a < n for a, n in zip(at, size)):
                idx = (slice(None), slice(None)) + pos
                value = xd[(slice(None), slice(None)) + at]
                better = value > out[idx]
                out[idx] = np.where(better, value, out[idx])
                where[idx] = np.where(better, np.ravel_multi_index(at, size), where[idx])
    out = _cast(out if batched else out[0], x)
    if return_indices:
        return out, where if batched else where[0]
    return out


def avg_pool(x, nd, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    """Mean over each window; the divisor is the window clipped to the padded input (only its
    real elements without count_include_pad), or divisor_override."""
    xd = _f64(x)
    batched = xd.ndim == nd + 2
    if not batched:
        xd = xd[None]
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None else _tuple(stride, nd)
    pad_ = _tuple(padding, nd)
    size = xd.shape[2:]
    out_size = tuple(_pool_out(n, k, s, p, 1, ceil_mode)
                     for n, k, s, p in zip(size, kernel, stride, pad_))
    out = np.zeros(xd.shape[:2] + out_size)
    for pos in itertools.product(*(range(o) for o in out_size)):
        starts = [q * s - p for q, s, p in zip(pos, stride, pad_)]
        ends = [min(a + k, n + p) for a, k, n, p in zip(starts, kernel, size, pad_)]
        real = tuple(slice(max(a, 0), min(b, n)) for a, b, n in zip(starts, ends, size))
        total = np.sum(xd[(slice(None), slice(None)) + real], axis=tuple(range(2, 2 + nd)))
        if divisor_override is not None:
            divisor = divisor_override
        elif count_include_pad:
            divisor = math.prod(b - a for a, b in zip(starts, ends))
        else:
            divisor = math.prod(r.stop - r.start for r in real)
        out[(slice(None), slice(None)) + pos] = total / divisor
    return _cast(out if batched else out[0], x)


def _adaptive(x, nd, output_size, reduce, return_indices=False):
    xd = _f64(x)
    batched = xd.ndim == nd + 2
    if not batched:
        xd = xd[None]
    size = xd.shape[2:]
    out_size = tuple(n if o is None else o for o, n in zip(_tuple(output_size, nd), size))
    out = np.zeros(xd.shape[:2] + out_size)
    where = np.zeros(xd.shape[:2] + out_size, dtype=np.int64)
    for pos in itertools.product(*(range(o) for o in out_size)):
        window = tuple(slice((i * n) // o, -((-(i + 1) * n) // o))
                       for i, n, o in zip(pos, size, out_size))
        values = xd[(slice(None), slice(None)) + window]
        out[(slice(None), slice(None)) + pos] = reduce(values, axis=tuple(range(2, 2 + nd)))
        if return_indices:   # the maximum's position, flat over the input's spatial axes
            local = np.argmax(values.reshape(values.shape[:2] + (-1,)), axis=-1)
            coords = np.unravel_index(local, values.shape[2:])
            where[(slice(None), slice(None)) + pos] = np.ravel_multi_index(
                tuple(c + w.start for c, w in zip(coords, window)), size)
    out = _cast(out if batched else out[0], x)
    if return_indices:
        return out, where if batched else where[0]
    return out


def adaptive_avg_pool(x, nd, output_size):
    return _adaptive(x, nd, output_size, np.mean)


def adaptive_max_pool(x, nd, output_size, return_indices=False):
    return _adaptive(x, nd, output_size, np.max, return_indices)


def gather_planes(x, indices):
    """x (N, C, *S) read at per-(n, c)-plane flat indices (N, C, *O)."""
    x = np.asarray(x)
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    return np.take_along_axis(flat, indices.reshape(n, c, -1), axis=2).reshape(indices.shape)


def scatter_planes(g, indices, size):
    """The transpose of gather_planes: g added into zeros (N, C, *size) at the indices."""
    g = np.asarray(g)
    n, c = g.shape[:2]
    out = np.zeros((n, c, math.prod(size)), dtype=g.dtype)
    for i in range(n):
        for j in range(c):
            np.add.at(out[i, j], indices[i, j].ravel(), g[i, j].ravel())
    return out.reshape((n, c) + tuple(size))


def window_sum_transpose(g, kernel, stride, padding, dilation, input_size):
    """Each g[n, c, P] added over its window P * stride + k * dilation - lo (inside the input)."""
    gd = _f64(g)
    out = np.zeros(gd.shape[:2] + tuple(input_size))
    for pos in itertools.product(*(range(s) for s in gd.shape[2:])):
        for k in itertools.product(*(range(s) for s in kernel)):
            at = tuple(q * s + kk * d - lo for q, s, kk, d, (lo, _)
                       in zip(pos, stride, k, dilation, padding))
            if all(0 <= a < n for a, n in zip(at, input_size)):
                out[(slice(None), slice(None)) + at] += gd[(slice(None), slice(None)) + pos]
    return _cast(out, g)


# --------------------------------------------------------------------------- normalization
def _standardize(x, axes, eps):
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _affine(out, weight, bias, shape):
    if weight is not None:
        out = out * _f64(weight).reshape(shape)
    if bias is not None:
        out = out + _f64(bias).reshape(shape)
    return out


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, eps=1e-5):
    xd = _f64(x)
    shape = (1, xd.shape[1]) + (1,) * (xd.ndim - 2)
    if training:
        out = _standardize(xd, (0,) + tuple(range(2, xd.ndim)), eps)
    else:
        out = (xd - _f64(running_mean).reshape(shape)) / np.sqrt(_f64(running_var).reshape(shape)
                                                                  + eps)
    return _cast(_affine(out, weight, bias, shape), x, weight, bias)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    xd = _f64(x)
    k = len(normalized_shape)
    out = _standardize(xd, tuple(range(xd.ndim - k, xd.ndim)), eps)
    return _cast(_affine(out, weight, bias, normalized_shape), x, weight, bias)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    xd = _f64(x)
    grouped = xd.reshape(xd.shape[0], num_groups, -1)
    out = _standardize(grouped, (2,), eps).reshape(xd.shape)
    shape = (1, xd.shape[1]) + (1,) * (xd.ndim - 2)
    return _cast(_affine(out, weight, bias, shape), x, weight, bias)


def instance_norm(x, weight=None, bias=None, eps=1e-5):
    xd = _f64(x)
    out = _standardize(xd, tuple(range(2, xd.ndim)), eps)
    shape = (1, xd.shape[1]) + (1,) * (xd.ndim - 2)
    return _cast(_affine(out, weight, bias, shape), x, weight, bias)


# --------------------------------------------------------------------------- losses
def cross_entropy(x, target, weight=None, reduction="mean", label_smoothing=0.0,
                  ignore_index=-100):
    """Integer targets: per sample (1 - e) * -w[y] logp[y] + e / C * sum_c -w[c] logp[c]
    (0 where ignored); "mean" divides by the sum of w[y] over the kept targets.
    Float targets (the input's shape): -sum_c w[c] t'[c] logp[c] with t' = (1 - e) t + e / C;
    "mean" divides by the number of samples (N * d1 * ...)."""
    xd = _f64(x)
    unbatched = xd.ndim == 1
    if unbatched:
        xd = xd[None]
        target = np.asarray(target)[None]
    n_classes = xd.shape[1]
    logp = _log_softmax(xd, 1)
    w = np.ones(n_classes) if weight is None else _f64(weight)
    w_b = w.reshape((1, n_classes) + (1,) * (xd.ndim - 2))
    target = np.asarray(target)
    if target.dtype.kind == "f":
        t = target.astype(np.float64) * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -np.sum(w_b * t * logp, axis=1)
        denominator = loss.size
    else:
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
        loss = (1 - label_smoothing) * -w[safe] * picked
        loss = loss + label_smoothing / n_classes * -np.sum(w_b * logp, axis=1)
        loss = np.where(valid, loss, 0.0)
        denominator = np.sum(w[safe] * valid)
    if reduction == "none":
        out = loss[0] if unbatched else loss
    elif reduction == "sum":
        out = np.sum(loss)
    else:
        out = np.sum(loss) / denominator
    return _cast(out, x)


def nll_loss(x, target, weight=None, reduction="mean", ignore_index=-100):
    xd = _f64(x)
    w = np.ones(xd.shape[1]) if weight is None else _f64(weight)
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    loss = np.where(valid, -w[safe] * np.take_along_axis(xd, safe[:, None], axis=1)[:, 0], 0.0)
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = np.sum(loss)
    else:
        out = np.sum(loss) / np.sum(w[safe] * valid)
    return _cast(out, x)


def multi_margin_loss(x, target, p=1, margin=1.0, weight=None, reduction="mean"):
    xd = _f64(x)
    n, c = xd.shape
    loss = np.zeros(n)
    for i in range(n):
        y = target[i]
        w = 1.0 if weight is None else weight[y]
        for j in range(c):
            if j != y:
                loss[i] += w * max(0.0, margin - xd[i, y] + xd[i, j]) ** p / c
    return _cast(_reduce(loss, reduction), x)


def mse_loss(x, t, reduction="mean"):
    return _cast(_reduce((_f64(x) - _f64(t)) ** 2, reduction), x, t)


def l1_loss(x, t, reduction="mean"):
    return _cast(_reduce(np.abs(_f64(x) - _f64(t)), reduction), x, t)


def huber_loss(x, t, reduction="mean", delta=1.0):
    d = np.abs(_f64(x) - _f64(t))
    loss = np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))
    return _cast(_reduce(loss, reduction), x, t)


def smooth_l1_loss(x, t, reduction="mean", beta=1.0):
    d = np.abs(_f64(x) - _f64(t))
    loss = np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)
    return _cast(_reduce(loss, reduction), x, t)


def binary_cross_entropy(x, t, weight=None, reduction="mean"):
    xd, td = _f64(x), _f64(t)
    loss = -(td * np.maximum(np.log(xd), -100) + (1 - td) * np.maximum(np.log1p(-xd), -100))
    if weight is not None:
        loss = loss * _f64(weight)
    return _cast(_reduce(loss, reduction), x, t)


def binary_cross_entropy_with_logits(x, t, weight=None, reduction="mean", pos_weight=None):
    """-w [p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], p = pos_weight."""
    xd, td = _f64(x), _f64(t)
    p = 1.0 if pos_weight is None else _f64(pos_weight)
    loss = -(p * td * -_softplus(-xd) + (1 - td) * -_softplus(xd))
    if weight is not None:
        loss = loss * _f64(weight)
    return _cast(_reduce(loss, reduction), x, t)


def soft_margin_loss(x, t, reduction="mean"):
    return _cast(_reduce(np.log1p(np.exp(-_f64(t) * _f64(x))), reduction), x, t)


def kl_div(x, t, reduction="mean", log_target=False):
    xd, td = _f64(x), _f64(t)
    if log_target:
        loss = np.exp(td) * (td - xd)
    else:
        loss = np.where(td > 0, td * (np.log(np.where(td > 0, td, 1.0)) - xd), 0.0)
    if reduction == "batchmean":
        out = np.sum(loss) / xd.shape[0]
    else:
        out = _reduce(loss, reduction)
    return _cast(out, x, t)


# --------------------------------------------------------------------------- recurrent
def cell(mode, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
    """One step of PyTorch's equations: returns (h', c') (c' None but for the LSTM)."""
    x, h, c, w_ih, w_hh = (_f64(a) for a in (x, h, c, w_ih, w_hh))
    gi = x @ w_ih.T + (0.0 if b_ih is None else _f64(b_ih))
    gh = h @ w_hh.T + (0.0 if b_hh is None else _f64(b_hh))
    if mode == "rnn_tanh":
        return np.tanh(gi + gh), None
    if mode == "rnn_relu":
        return np.maximum(gi + gh, 0.0), None
    if mode == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h_new = _sigmoid(o) * np.tanh(c_new)
        if w_hr is not None:
            h_new = h_new @ _f64(w_hr).T
        return h_new, c_new
    r_i, z_i, n_i = np.split(gi, 3, axis=-1)
    r_h, z_h, n_h = np.split(gh, 3, axis=-1)
    r, z = _sigmoid(r_i + r_h), _sigmoid(z_i + z_h)
    n = np.tanh(n_i + r * n_h)
    return (1 - z) * n + z * h, None


def sequence(mode, x, h0, c0, weights, num_layers=1, bidirectional=False, batch_first=False):
    """The multi-layer (bi)directional network over x (seq, batch, in) one step at a time.

    weights: per (layer, direction) (w_ih, w_hh, b_ih, b_hh[, w_hr]). Returns
    (output, h_n, c_n) (c_n None but for the LSTM), in the inputs' dtype."""
    like = [x] + [w for group in weights for w in group if w is not None]
    xd = _f64(x)
    unbatched = xd.ndim == 2
    if unbatched:
        xd = xd[:, None]
        h0 = None if h0 is None else np.asarray(h0)[:, None]
        c0 = None if c0 is None else np.asarray(c0)[:, None]
    elif batch_first:
        xd = np.swapaxes(xd, 0, 1)
    directions = 2 if bidirectional else 1
    layer_input = xd
    h_n, c_n = [], []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            w_ih, w_hh, b_ih, b_hh, *rest = list(weights[k]) + [None] * (5 - len(weights[k]))
            w_hr = rest[0]
            hidden = np.asarray(w_hh).shape[0] // {"lstm": 4, "gru": 3}.get(mode, 1)
            proj = hidden if w_hr is None else np.asarray(w_hr).shape[0]
            batch = xd.shape[1]
            h = np.zeros((batch, proj)) if h0 is None else _f64(h0)[k]
            c = np.zeros((batch, hidden)) if c0 is None else _f64(c0)[k]
            steps = range(xd.shape[0] - 1, -1, -1) if direction == 1 else range(xd.shape[0])
            hs = [None] * xd.shape[0]
            for t in steps:
                h, c_new = cell(mode, layer_input[t], h, c, w_ih, w_hh, b_ih, b_hh, w_hr)
                c = c if c_new is None else c_new
                hs[t] = h
            outputs.append(np.stack(hs))
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=-1)
    output, h_n, c_n = layer_input, np.stack(h_n), np.stack(c_n)
    if unbatched:
        output, h_n, c_n = output[:, 0], h_n[:, 0], c_n[:, 0]
    elif batch_first:
        output = np.swapaxes(output, 0, 1)
    results = (output, h_n) + ((c_n,) if mode == "lstm" else ())
    return tuple(_cast(r, *like) for r in results)
