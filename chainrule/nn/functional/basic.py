"""Basic layers' math: linear, dropout, embedding, one_hot, pad, normalize, cosine_similarity.

``linear`` and ``embedding`` are primitives (one node each; their rules are written in
differentiable ops, so higher order works); the rest compose existing ops.
"""
import numbers

import numpy as np

from ... import ops
from ...core.apply import apply
from ...core.primitive import Primitive
from ...dtypes import get_default_dtype
from ...ops._util import data_of
from ...random import generator
from ...tensor import Tensor

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding",
           "one_hot", "pad", "normalize", "cosine_similarity", "pairwise_distance"]


def _shape(x):
    return tuple(np.shape(data_of(x)))


# --------------------------------------------------------------------------- linear
class _Linear(Primitive):
    """out = x @ weight.T + bias. x (..., in), weight (out, in), bias (out,) or None.

    grad_x = grad @ weight; grad_weight = grad^T x (batch axes flattened);
    grad_bias = grad (the engine sums it to (out,)).
    """

    name = "linear"
    formula = ("upstream @ {y}", "upstreamᵀ @ {x}", "1: upstream summed over the batch")
    needs_inputs = True

    def forward(self, x, weight, bias=None):
        out = np.matmul(x, weight.T)
        if bias is not None:
            if out.dtype == bias.dtype:
                out += bias
            else:
                out = out + bias
        return out

    def vjp(self, needs, grad, out, x, weight, bias=None):
        grad_x = ops.matmul(grad, weight) if needs[0] else None
        grad_w = None
        if needs[1]:
            if x.ndim == 1:
                grad_w = ops.outer(grad, x)
            elif x.ndim == 2:
                grad_w = ops.matmul(ops.transpose(grad), x)
            else:
                grad_w = ops.matmul(ops.transpose(ops.reshape(grad, (-1, grad.shape[-1]))),
                                    ops.reshape(x, (-1, x.shape[-1])))
        grad_b = grad if bias is not None and needs[2] else None
        return grad_x, grad_w, grad_b

    def jvp(self, tangents, out, x, weight, bias=None):
        tangent_x, tangent_w, tangent_b = tangents
        result = None
        if tangent_x is not None:
            result = ops.matmul(tangent_x, ops.transpose(weight))
        if tangent_w is not None:
            term = ops.matmul(x, ops.transpose(tangent_w))
            result = term if result is None else result + term
        if tangent_b is not None:
            result = tangent_b if result is None else result + tangent_b
        return result


_LINEAR = _Linear()


def _float_like(x, like, fn):
    """Integer/bool inputs become ``like``'s float dtype (NumPy promotion would give float64)."""
    d = data_of(x)
    if not isinstance(d, np.ndarray):
        if isinstance(x, (numbers.Number, list, tuple)):
            return Tensor(np.asarray(x, dtype=data_of(like).dtype))
        raise TypeError(f"{fn}: expected a Tensor input, got {type(x).__name__}")
    if d.dtype.kind in "iub":
        return ops.astype(x, data_of(like).dtype)
    if d.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating-point input, got dtype {d.dtype}")
    return x


def linear(input, weight, bias=None):
    """input @ weight.T + bias.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,);
    output (*, out_features).
    """
    x = _float_like(input, weight, "linear")
    w_shape = _shape(weight)
    x_shape = _shape(x)
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input of shape {x_shape} does not fit weight of shape {w_shape}: "
                         f"expected the last axis of the input to have {w_shape[1]} features")
    if bias is not None and _shape(bias) != (w_shape[0],):
        raise ValueError(f"linear: bias of shape {_shape(bias)} does not fit weight of shape "
                         f"{w_shape}: expected ({w_shape[0]},)")
    return apply(_LINEAR, x, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """out_k = x1 @ weight[k] @ x2 + bias_k.

    Shape: x1 (*, in1), x2 (*, in2), weight (out, in1, in2), bias (out,); output (*, out).
    """
    out = ops.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


# --------------------------------------------------------------------------- dropout
def _check_p(p, fn):
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p!r}")


def _keep_mask(shape, p, dtype):
    """1/(1-p) where an element is kept (probability 1-p), 0 where dropped."""
    if p == 1:
        return np.zeros(shape, dtype=dtype)
    keep = generator().random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    Identity when ``training`` is False or p == 0. Draws from ``chainrule.random.generator()``
    (seeded by ``cr.manual_seed``). Shape: output = input's shape.
    """
    _check_p(p, "dropout")
    _check_input(input, "dropout")
    if not training or p == 0:
        return input
    dtype = data_of(input).dtype if data_of(input).dtype.kind == "f" else get_default_dtype()
    return input * _keep_mask(_shape(input), p, dtype)


def _check_input(input, fn):
    """TypeError naming ``fn`` unless ``input`` is a Tensor, an ndarray or a real number."""
    if isinstance(input, (Tensor, np.ndarray)):
        if data_of(input).dtype.kind in "biuf":
            return
        what = f"an array of dtype {data_of(input).dtype}"
    elif isinstance(input, numbers.Real):
        return
    else:
        what = type(input).__name__
    raise TypeError(f"{fn}: expected a Tensor (or an ndarray or number) of numeric dtype as "
                    f"input, got {what}")


def _feature_dropout(input, p, training, spatial, fn):
    _check_p(p, fn)
    _check_input(input, fn)
    shape = _shape(input)
    if len(shape) not in (spatial + 1, spatial + 2):
        raise ValueError(f"{fn}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D "
                         f"(batched) input (N, C, {', '.join('*' * spatial)}), got shape {shape}")
    if not training or p == 0:
        return input
    mask_shape = shape[:len(shape) - spatial] + (1,) * spatial
    dtype = data_of(input).dtype if data_of(input).dtype.kind == "f" else get_default_dtype()
    return input * _keep_mask(mask_shape, p, dtype)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, L) or (C, L); each channel kept with probability 1-p."""
    return _feature_dropout(input, p, training, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, H, W) or (C, H, W)."""
    return _feature_dropout(input, p, training, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, D, H, W) or (C, D, H, W)."""
    return _feature_dropout(input, p, training, 3, "dropout3d")


# --------------------------------------------------------------------------- embedding
class _Embedding(Primitive):
    """weight[indices]; the gradient scatters back, times ``factor`` (0 at padding_idx and the
    1/frequency scaling of ``scale_grad_by_freq``). weight (num, dim), indices any int shape."""

    name = "embedding"
    needs_inputs = False

    def forward(self, weight, indices, factor=None):
        return weight[indices]

    def vjp(self, needs, grad, out, weight, indices, factor=None):
        if factor is not None:
            grad = grad * factor
        return (ops.scatter_add(grad, (indices,), weight.shape),)

    def jvp(self, tangents, out, weight, indices, factor=None):
        tangent = ops.getitem(tangents[0], (indices,))
        return tangent if factor is None else tangent * factor


_EMBEDDING = _Embedding()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at the integer ``input`` indices.

    Shape: input (*) integers in [0, num_embeddings), weight (num_embeddings, embedding_dim);
    output (*, embedding_dim). ``padding_idx``: that row gets no gradient. ``max_norm``: the
    rows looked up are first renormalised in place to norm <= max_norm (as PyTorch).
    ``scale_grad_by_freq``: gradients are divided by each index's count in the batch.
    """
    indices = data_of(input)
    if not isinstance(indices, np.ndarray):
        indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor (int64), got dtype "
                        f"{indices.dtype}" + (" -- cast with .astype(cr.int64) (or .long())"
                                              if indices.dtype.kind == "f" else ""))
    w_shape = _shape(weight)
    if len(w_shape) != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {w_shape}")
    num = w_shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        # (as PyTorch: negative indices do not count from the end; padding_idx may be negative)
        bad = indices.max() if indices.max() >= num else indices.min()
        raise IndexError(f"embedding: index {int(bad)} is out of range for {num} embeddings "
                         f"(num_embeddings={num}, valid: 0..{num - 1}; a negative index does "
                         "not count from the end): index out of range in self")
    indices = indices.astype(np.intp, copy=False)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings ({num})")
        padding_idx = padding_idx % num
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    factor = None
    dtype = data_of(weight).dtype
    if padding_idx is not None or scale_grad_by_freq:
        factor = np.ones(indices.shape + (1,), dtype=dtype)
        if scale_grad_by_freq:
            counts = np.bincount(indices.ravel(), minlength=num)
            factor = factor / counts[indices][..., None].astype(dtype)
        if padding_idx is not None:
            factor = factor * (indices != padding_idx)[..., None].astype(dtype)
    return apply(_EMBEDDING, weight, indices=indices, factor=factor)


def _renorm_rows(weight, indices, max_norm, norm_type):
    """Scale the referenced rows of weight (in place, no gradient) to norm <= max_norm."""
    data = weight.data if isinstance(weight, Tensor) else weight
    rows = np.unique(indices)
    norms = np.linalg.norm(data[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        data[rows[big]] = (data[rows[big]] * scale[:, None]).astype(data.dtype)
        if isinstance(weight, Tensor):
            weight._version += 1


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: input (*) of class indices -> output (*, num_classes).

    ``num_classes=-1`` uses max(input) + 1. No gradient.
    """
    idx = np.asarray(data_of(tensor))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got dtype "
                        f"{idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(idx.max())}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)


# --------------------------------------------------------------------------- pad
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """PyTorch's padding: ``pad`` is a flat tuple (left, right) for the last axis, then
    (left, right) for the one before, and so on. Negative amounts crop.

    Modes: "constant" (with ``value``, default 0), "reflect" (mirror without the edge; amount
    < size), "replicate" (repeat the edge), "circular" (wrap around; amount <= size).
    Shape: each padded axis grows by left + right.
    """
    shape = _shape(input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)} ({pad})")
    if len(pad) // 2 > len(shape):
        raise ValueError(f"pad: padding length {len(pad)} is too large for a {len(shape)}-D "
                         f"input of shape {shape} (at most {2 * len(shape)})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unsupported mode {mode!r} (constant, reflect, replicate, circular)")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grow = [(max(a, 0), max(b, 0)) for a, b in widths]
    for axis, (a, b) in enumerate(grow):
        size = shape[axis]
        if mode == "reflect" and (a >= size or b >= size) and (a or b):
            raise ValueError(f"pad: reflect padding ({a}, {b}) must be less than the size of "
                             f"axis {axis} ({size}) for input of shape {shape}")
        if mode == "circular" and (a > size or b > size):
            raise ValueError(f"pad: circular padding ({a}, {b}) must be at most the size of "
                             f"axis {axis} ({size}) for input of shape {shape}")
        if mode == "replicate" and size == 0 and (a or b):
            raise ValueError(f"pad: cannot replicate-pad the empty axis {axis} of shape {shape}")
    out = input
    if any(a or b for a, b in grow):
        if mode == "constant":
            out = ops.pad(out, grow, mode="constant", constant_values=0 if value is None else value)
        else:
            out = ops.pad(out, grow, mode=_PAD_MODES[mode])
    if any(a < 0 or b < 0 for a, b in widths):
        new_shape = _shape(out)
        key = tuple(slice(-a if a < 0 else 0, n + b if b < 0 else n)
                    for (a, b), n in zip(widths, new_shape))
        out = ops.getitem(out, key)
    return out


# --------------------------------------------------------------------------- normalize
def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along ``dim``. Shape: output = input's shape."""
    norm = ops.norm(input, ord=None if p == 2 else p, axis=dim, keepdims=True)
    return input / ops.clip(norm, eps, None)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (inputs broadcast).

    Shape: the broadcast shape without ``dim``.
    """
    n1 = ops.clip(ops.norm(x1, axis=dim, keepdims=False), eps, None)
    n2 = ops.clip(ops.norm(x2, axis=dim, keepdims=False), eps, None)
    return ops.sum(x1 * x2, axis=dim) / (n1 * n2)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis."""
    return ops.norm(x1 - x2 + eps, ord=None if p == 2 else p, axis=-1, keepdims=keepdim)
