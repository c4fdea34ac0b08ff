"""Loss functions with PyTorch's names, options, reductions and formulas.

``reduction`` is "mean" (default), "sum" or "none". Class-weighted losses follow
PyTorch exactly: "mean" divides by the total weight of the (non-ignored) targets.
Cross-entropy is one fused primitive (log-softmax and the target contraction in one
node); its rules are written in differentiable ops (softmax, log_softmax), so second
derivatives work. Everything else composes numerically stable ops (softplus for
logits, clamped logs for probabilities).
"""
import warnings

import numpy as np

from ... import ops
from ...core.apply import apply
from ...core.primitive import Primitive
from ...ops._util import data_of
from ...tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "multi_margin_loss", "mse_loss", "l1_loss", "huber_loss",
           "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "kl_div", "soft_margin_loss"]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- helpers
def _legacy_reduction(size_average, reduce, reduction, fn):
    """PyTorch's deprecated size_average/reduce flags mapped to ``reduction`` (with a warning)."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(f"{fn}: size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(reduction, fn):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return ops.sum(loss)
    return ops.mean(loss)


def _shape(x):
    return tuple(np.shape(data_of(x)))


def _float_input(x, fn, what="input"):
    d = data_of(x)
    if not isinstance(d, np.ndarray):
        x = Tensor(x)
        d = x.data
    if d.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor, got dtype {d.dtype}"
                        + (" (the model's outputs -- logits or probabilities -- come first, the "
                           "targets second)" if what == "input" and d.dtype.kind in "iu" else ""))
    return x


def _float_target(target, like):
    """A float target (Tensors kept for their gradient; others as arrays of ``like``'s dtype)."""
    if isinstance(target, Tensor):
        if target.dtype.kind != "f":
            return ops.astype(target, data_of(like).dtype)
        return target
    return np.asarray(target, dtype=data_of(like).dtype)


def _warn_broadcast(input, target, fn):
    ishape, tshape = _shape(input), _shape(target)
    if ishape != tshape:
        hint = ""
        if len(ishape) == len(tshape) + 1 and ishape[-1] == 1 or \
                len(tshape) == len(ishape) + 1 and tshape[-1] == 1:
            hint = (" -- a trailing axis of size 1 (e.g. model output (N, 1) vs target (N,)) "
                    "broadcasts to (N, N); reshape one of them")
        warnings.warn(f"{fn}: using a target size {tshape} that is different to the input size "
                      f"{ishape}. This will likely lead to incorrect results due to "
                      f"broadcasting{hint}. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


# --------------------------------------------------------------------------- cross-entropy
class _SoftmaxCrossEntropy(Primitive):
    """Per-sample ``-sum_c q[c] * log_softmax(x)[c]`` along ``axis``, optionally reduced.

    x: logits (N, C, *); q: target weights of the same shape (one-hot times class weight,
    smoothed labels, or probabilities). Output (N, *) when ``scale`` is None, else the
    scalar ``scale * sum`` of that (the "sum" and "mean" reductions, folded in).
    grad_x = grad * (softmax(x) * sum_c q - q); grad_q = -grad * log_softmax(x).
    """

    name = "cross_entropy"
    formula = ("upstream · (softmax({x})·sum({y}) - {y})", "-upstream · log_softmax({x})")
    needs_inputs = True

    def forward(self, x, q, axis=1, scale=None):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
            product = q * logp
        if not np.isfinite(logp).all():
            # 0 * -inf where a logit is -inf (a masked class) and its target weight is 0
            product = np.where(q == 0, 0, product)
        if scale is None:
            return np.negative(np.sum(product, axis=axis)).astype(x.dtype, copy=False)
        return np.asarray(-scale * np.sum(product), dtype=x.dtype)

    @staticmethod
    def _upstream(grad, axis, scale):
        if scale is None:
            return ops.expand_dims(grad, axis)
        return grad * scale

    @staticmethod
    def _total(q, axis):
        if isinstance(q, np.ndarray):   # a constant target: no graph needed
            return np.sum(q, axis=axis, keepdims=True)
        return ops.sum(q, axis=axis, keepdims=True)

    def vjp(self, needs, grad, out, x, q, axis=1, scale=None):
        grad = self._upstream(grad, axis, scale)
        grad_x = grad_q = None
        if needs[0]:
            grad_x = grad * (ops.softmax(x, axis=axis) * self._total(q, axis) - q)
        if needs[1]:
            grad_q = -grad * ops.log_softmax(x, axis=axis)
        return grad_x, grad_q

    def jvp(self, tangents, out, x, q, axis=1, scale=None):
        tangent_x, tangent_q = tangents
        reduce_axis = axis if scale is None else None
        result = None
        if tangent_x is not None:
            direction = ops.softmax(x, axis=axis) * self._total(q, axis) - q
            result = ops.sum(direction * tangent_x, axis=reduce_axis)
        if tangent_q is not None:
            term = -ops.sum(ops.log_softmax(x, axis=axis) * tangent_q, axis=reduce_axis)
            result = term if result is None else result + term
        if result is not None and scale is not None:
            result = result * scale
        return result


_CROSS_ENTROPY = _SoftmaxCrossEntropy()


def _class_weight(weight, n_classes, dtype, fn):
    if weight is None:
        return None
    w = np.asarray(data_of(weight), dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{fn}: weight should be a 1-D tensor of {n_classes} class weights "
                         f"(one per class), got shape {w.shape}")
    return w


def _class_targets(target, input_shape, ignore_index, fn):
    """Validate integer class targets for an input (N, C, *) and return them as an ndarray."""
    t = data_of(target)
    t = t if isinstance(t, np.ndarray) else np.asarray(t)
    expected = (input_shape[0],) + input_shape[2:]
    n_classes = input_shape[1]
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{fn}: class-index targets must be an integer tensor (int64), got dtype {t.dtype} "
            f"with shape {t.shape}. Cast with .astype(cr.int64), or pass class probabilities "
            f"as a float target of the input's shape {input_shape}.")
    if t.shape != expected:
        hint = ""
        if t.shape == expected + (1,):
            hint = f" -- squeeze the trailing axis: target.reshape({expected})"
        elif t.shape == input_shape:
            hint = (" -- the targets look one-hot: pass class indices (target.argmax(axis=1)) "
                    "or a float tensor of class probabilities")
        raise ValueError(f"{fn}: expected target of shape {expected} (class indices) for input "
                         f"of shape {input_shape}, got target of shape {t.shape}{hint}")
    valid = np.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
    if t.size and (t.min() < 0 or t.max() >= n_classes) and valid.any():
        tv = t[valid]
        lo, hi = int(tv.min()), int(tv.max())
        if lo < 0 or hi >= n_classes:
            bad = hi if hi >= n_classes else lo
            hint = ""
            if lo >= 1 and hi == n_classes:
                hint = " -- the labels look 1-based; subtract 1"
            also = "" if ignore_index is None else f", or ignore_index={ignore_index}"
            raise ValueError(f"{fn}: target {bad} is out of bounds for {n_classes} classes "
                             f"(valid: 0..{n_classes - 1}{also}){hint}")
    return t, valid


def _to_batched(input, target, fn, allow_probabilities):
    """(input, target, unbatched?) with the unbatched forms (C,) / () or (C,) given a batch axis."""
    ishape = _shape(input)
    if len(ishape) == 0:
        raise ValueError(f"{fn}: input must have a class axis (shape (C,), (N, C) or "
                         f"(N, C, d1, ...)), got a 0-d tensor")
    if len(ishape) == 1:
        tshape = _shape(target)
        is_float = np.asarray(data_of(target)).dtype.kind == "f"
        if tshape == () or (allow_probabilities and tshape == ishape and is_float):
            return ops.expand_dims(input, 0), _expand(target), True
        hint = ""
        if tshape == ishape:
            hint = (" (one logit per sample? For two classes use "
                    "binary_cross_entropy_with_logits with float targets)")
        raise ValueError(f"{fn}: for an unbatched input of shape {ishape} (C,), the target must be "
                         f"a single class index (shape ())"
                         + (f" or probabilities of shape {ishape}" if allow_probabilities else "")
                         + f", got shape {tshape}. For a batch, the input is (N, C){hint}.")
    return input, target, False


def _expand(target):
    if isinstance(target, Tensor):
        return ops.expand_dims(target, 0)
    return np.expand_dims(np.asarray(target), 0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits against class indices or class probabilities.

    Shape: input (N, C) or (N, C, d1, ...) or (C,) -- unnormalised logits;
    target (N) / (N, d1, ...) / () of int class indices in [0, C) (or ``ignore_index``),
    or float probabilities of the input's shape.
    Output: a scalar, or (N, d1, ...) with ``reduction="none"``.

    Per sample (index targets): ``-w[y] * log_softmax(x)[y]``, with label smoothing
    ``(1 - e) * that + e / C * sum_c -w[c] * log_softmax(x)[c]``; "mean" divides by the
    sum of w[y] over non-ignored targets (NaN when that is 0), as PyTorch.
    Probability targets: ``-sum_c w[c] * t[c] * log_softmax(x)[c]``; "mean" divides by N*d1*...
    ``weight`` (C,) is a constant (no gradient), as in PyTorch.
    """
    fn = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    _check_reduction(reduction, fn)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input = _float_input(input, fn)
    input, target, unbatched = _to_batched(input, target, fn, allow_probabilities=True)
    ishape = _shape(input)
    n_classes = ishape[1]
    dtype = data_of(input).dtype
    w = _class_weight(weight, n_classes, dtype, fn)
    w_b = None if w is None else w.reshape((1, n_classes) + (1,) * (len(ishape) - 2))
    tdata = data_of(target)
    is_prob = np.asarray(tdata).dtype.kind == "f"
    if is_prob:
        if _shape(target) != ishape:
            if _shape(target) == (ishape[0],) + ishape[2:]:
                raise TypeError(
                    f"{fn}: class-index targets must be an integer tensor (int64), got a float "
                    f"tensor of shape {_shape(target)}. Cast with .astype(cr.int64); float "
                    f"targets are class probabilities and need the input's shape {ishape}.")
            raise ValueError(f"{fn}: probability targets must have the input's shape {ishape}, "
                             f"got {_shape(target)}")
        q = _float_target(target, input)
        if label_smoothing > 0:
            q = q * (1.0 - label_smoothing) + label_smoothing / n_classes
        if w_b is not None:
            q = q * w_b
        denominator = float(np.prod(ishape)) / n_classes
    else:
        t, valid = _class_targets(target, ishape, ignore_index, fn)
        safe = np.where(valid, t, 0).astype(np.intp)
        picked = np.ones(t.shape, dtype=dtype) if w is None else w[safe]
        picked = picked * valid
        q = np.zeros(ishape, dtype=dtype)
        on_target = picked * (1.0 - label_smoothing)
        if len(ishape) == 2:
            q[np.arange(ishape[0]), safe] = on_target
        else:
            np.put_along_axis(q, safe[:, None], on_target[:, None], axis=1)
        if label_smoothing > 0:
            spread = np.full((1, n_classes) + (1,) * (len(ishape) - 2),
                             label_smoothing / n_classes, dtype=dtype)
            if w_b is not None:
                spread = spread * w_b
            q += spread * np.expand_dims(valid, 1)
        denominator = float(picked.sum())
    if reduction == "none":
        per_sample = apply(_CROSS_ENTROPY, input, q, axis=1)
        return ops.squeeze(per_sample, 0) if unbatched else per_sample
    if reduction == "sum" or not denominator:
        result = apply(_CROSS_ENTROPY, input, q, axis=1, scale=1.0)
        # all targets ignored: the mean is 0/0 = NaN (as PyTorch) but the gradient is 0
        return result + np.nan if reduction == "mean" else result
    return apply(_CROSS_ENTROPY, input, q, axis=1, scale=1.0 / denominator)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities at integer class targets.

    Shape: input (N, C) / (N, C, d1, ...) / (C,) of log-probabilities; target (N) / (N, d1, ...)
    / () of class indices. Per sample ``-w[y] * input[y]`` (0 where target == ignore_index);
    "mean" divides by the sum of w[y] over non-ignored targets.
    """
    fn = "nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    _check_reduction(reduction, fn)
    input = _float_input(input, fn)
    input, target, unbatched = _to_batched(input, target, fn, allow_probabilities=False)
    ishape = _shape(input)
    dtype = data_of(input).dtype
    w = _class_weight(weight, ishape[1], dtype, fn)
    t, valid = _class_targets(target, ishape, ignore_index, fn)
    safe = np.where(valid, t, 0).astype(np.intp)
    picked = np.ones(t.shape, dtype=dtype) if w is None else w[safe]
    picked = picked * valid
    chosen = ops.reshape(ops.take_along_axis(input, safe[:, None], axis=1), t.shape)
    per_sample = -chosen * picked
    if reduction == "none":
        return ops.squeeze(per_sample, 0) if unbatched else per_sample
    total = ops.sum(per_sample)
    if reduction == "sum":
        return total
    denominator = float(picked.sum())
    # all targets ignored: the mean is 0/0 = NaN (as PyTorch) but the gradient is 0
    return total / denominator if denominator else total + np.nan


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multiclass hinge (SVM) loss.

    Per sample: ``sum_{j != y} w[y] * max(0, margin - x[y] + x[j]) ** p / C``.
    Shape: input (N, C) or (C,); target (N,) or () of class indices. "mean" averages over N.
    """
    fn = "multi_margin_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    _check_reduction(reduction, fn)
    if p not in (1, 2):
        raise ValueError(f"{fn}: only p == 1 and p == 2 are supported, got p={p}")
    input = _float_input(input, fn)
    input, target, unbatched = _to_batched(input, target, fn, allow_probabilities=False)
    ishape = _shape(input)
    if len(ishape) != 2:
        raise ValueError(f"{fn}: expected input of shape (N, C) or (C,), got {ishape}")
    n_classes = ishape[1]
    dtype = data_of(input).dtype
    t, _ = _class_targets(target, ishape, ignore_index=None, fn=fn)
    t = t.astype(np.intp)
    w = _class_weight(weight, n_classes, dtype, fn)
    x_y = ops.take_along_axis(input, t[:, None], axis=1)            # (N, 1)
    hinge = ops.relu(margin - x_y + input)                           # (N, C); relu'(0) = 0
    if p == 2:
        hinge = hinge * hinge
    others = np.ones(ishape, dtype=dtype)
    np.put_along_axis(others, t[:, None], 0, axis=1)                 # j != y
    if w is not None:
        others = others * w[t][:, None]
    per_sample = ops.sum(hinge * (others / n_classes), axis=1)
    if reduction == "none":
        return ops.squeeze(per_sample, 0) if unbatched else per_sample
    return _reduce(per_sample, reduction)


# --------------------------------------------------------------------------- regression
def _regression_inputs(input, target, fn):
    input = _float_input(input, fn)
    target = _float_target(target, input)
    _warn_broadcast(input, target, fn)
    return input, target


def _elementwise_weight(weight, input, fn):
    if _shape(weight) != _shape(input):
        raise ValueError(f"{fn}: weights and input must have the same size, got weight "
                         f"{_shape(weight)} and input {_shape(input)}")
    return _float_target(weight, input)


def _weighted_reduce(loss, weight, reduction):
    """PyTorch's weighted mse/l1: "mean" divides by the total weight."""
    loss = loss * weight
    if reduction == "none":
        return loss
    total = ops.sum(loss)
    return total if reduction == "sum" else total / ops.sum(weight)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)**2, reduced. Shape: input and target the same (broadcasting warns).

    ``weight`` (input's shape) multiplies each term; "mean" then divides by its sum.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "mse_loss")
    _check_reduction(reduction, "mse_loss")
    input, target = _regression_inputs(input, target, "mse_loss")
    diff = input - target
    if weight is not None:
        return _weighted_reduce(diff * diff, _elementwise_weight(weight, input, "mse_loss"),
                                reduction)
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced (gradient 0 where they are equal).

    ``weight`` (input's shape) multiplies each term; "mean" then divides by its sum.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "l1_loss")
    _check_reduction(reduction, "l1_loss")
    input, target = _regression_inputs(input, target, "l1_loss")
    loss = ops.abs(input - target)
    if weight is not None:
        return _weighted_reduce(loss, _elementwise_weight(weight, input, "l1_loss"), reduction)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta); d = input - target.

    ``weight`` (input's shape) multiplies each term before the reduction (plain mean).
    """
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _regression_inputs(input, target, "huber_loss")
    diff = input - target
    absolute = ops.abs(diff)
    inside = ops.clip(diff, -delta, delta)   # not diff: 0 * inf in the unused branch is NaN
    loss = ops.where(data_of(absolute) < delta, 0.5 * inside * inside,
                     delta * (absolute - 0.5 * delta))
    if weight is not None:
        loss = loss * _elementwise_weight(weight, input, "huber_loss")
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: L1)."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _regression_inputs(input, target, "smooth_l1_loss")
    diff = input - target
    absolute = ops.abs(diff)
    if beta == 0:
        return _reduce(absolute, reduction)
    inside = ops.clip(diff, -beta, beta)     # as huber_loss: no NaN gradient at inf
    loss = ops.where(data_of(absolute) < beta, (0.5 / beta) * inside * inside,
                     absolute - 0.5 * beta)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- binary
def _same_shape(input, target, fn):
    if _shape(input) != _shape(target):
        raise ValueError(f"{fn}: target size {_shape(target)} must be the same as input size "
                         f"{_shape(input)}")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w * (t log(x) + (1 - t) log(1 - x)) for probabilities x in [0, 1].

    Each log is clamped at -100 (as PyTorch), so x = 0 or 1 gives a finite loss.
    Shape: input and target the same; ``weight`` broadcasts to them. For logits use
    ``binary_cross_entropy_with_logits`` (more stable).
    """
    fn = "binary_cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    _check_reduction(reduction, fn)
    input = _float_input(input, fn)
    target = _float_target(target, input)
    _same_shape(input, target, fn)
    x = data_of(input)
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError(f"{fn}: all elements of input should be between 0 and 1 (got values in "
                         f"[{float(np.nanmin(x))}, {float(np.nanmax(x))}]); for logits use "
                         f"binary_cross_entropy_with_logits")
    log_x = ops.clip(ops.log(input), -100.0, None)
    log_1mx = ops.clip(ops.log1p(-input), -100.0, None)
    loss = -(target * log_x + (1.0 - target) * log_1mx)
    if weight is not None:
        loss = loss * _float_target(weight, input)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable formula (never log(0)):
    ``w * ((1 - t) x + (1 + (pos_weight - 1) t) softplus(-x))``.

    Shape: input (logits) and target the same; ``weight`` broadcasts to them;
    ``pos_weight`` broadcasts along the last (class) axis.
    """
    fn = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    _check_reduction(reduction, fn)
    input = _float_input(input, fn)
    target = _float_target(target, input)
    _same_shape(input, target, fn)
    softplus_neg = ops.softplus(-input)                       # log(1 + exp(-x)), stable
    if pos_weight is None:
        loss = (1.0 - target) * input + softplus_neg
    else:
        log_weight = 1.0 + (_float_target(pos_weight, input) - 1.0) * target
        loss = (1.0 - target) * input + log_weight * softplus_neg
    if weight is not None:
        loss = loss * _float_target(weight, input)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) for targets y in {-1, 1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "soft_margin_loss")
    _check_reduction(reduction, "soft_margin_loss")
    input = _float_input(input, "soft_margin_loss")
    target = _float_target(target, input)
    return _reduce(ops.softplus(-target * input), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with ``input`` as log-probabilities: target * (log(target) - input)
    (0 where target == 0); ``log_target=True``: exp(target) * (target - input).

    ``reduction="batchmean"`` divides the sum by the batch size (the true KL divergence);
    "mean" averages over every element (as PyTorch, with its warning).
    """
    fn = "kl_div"
    reduction = _legacy_reduction(size_average, reduce, reduction, fn)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{fn}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    input = _float_input(input, fn)
    target = _float_target(target, input)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        t = data_of(target)
        positive = t > 0
        safe = ops.where(positive, target, 1.0)
        loss = ops.where(positive, target * (ops.log(safe) - input), 0.0 * input)
    if reduction == "batchmean":
        n = _shape(input)[0] if _shape(input) else 1
        return ops.sum(loss) / n
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and "
                      "the support size; 'batchmean' divides only by the batch size and matches "
                      "the KL divergence's definition.", UserWarning, stacklevel=2)
    return _reduce(loss, reduction)
