"""Normalisation: batch_norm, layer_norm, group_norm (PyTorch's formulas and running statistics).

Training-mode batch norm, layer norm, group norm and instance norm share one primitive
class (one instance per name): (x - mean) / sqrt(var + eps) over some axes, then
* weight + bias.
Its rules recompute the statistics with differentiable ops, so second derivatives work;
in the common first-order case they run on plain arrays. Eval-mode batch norm is an
affine map with constant running statistics (composed ops).
"""
import numpy as np

from ... import ops
from ...core.apply import apply
from ...core.primitive import Primitive
from ...ops._util import data_of
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _shape(x):
    return tuple(np.shape(data_of(x)))


class _NormalizeAffine(Primitive):
    """out = (x - mean) * rstd * weight + bias; mean, var (biased) over ``axes``;
    rstd = 1 / sqrt(var + eps). weight and bias (either may be None) are reshaped to
    ``param_shape``, which broadcasts against x.

    grad_x = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = grad * weight;
    grad_weight = sum of grad * xhat to param_shape; grad_bias = sum of grad.
    """

    needs_inputs = True

    def __init__(self, name):
        self.name = name  # shown in graphs: batch_norm, layer_norm, group_norm, instance_norm

    def forward(self, x, weight, bias, axes, eps, param_shape):
        mean = np.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = np.mean(centered * centered, axis=axes, keepdims=True)
        out = centered
        out *= 1.0 / np.sqrt(var + eps)
        if weight is not None:
            out *= weight.reshape(param_shape)
        if bias is not None:
            out += bias.reshape(param_shape)
        return out

    @staticmethod
    def _normalized(x, axes, eps):
        mean = ops.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = ops.mean(centered * centered, axis=axes, keepdims=True)
        rstd = 1.0 / ops.sqrt(var + eps)
        return centered * rstd, rstd

    def vjp(self, needs, grad, out, x, weight, bias, axes, eps, param_shape):
        xhat, rstd = self._normalized(x, axes, eps)
        grad_x = grad_w = grad_b = None
        if needs[0]:
            g = grad if weight is None else grad * ops.reshape(weight, param_shape)
            grad_x = rstd * (g - ops.mean(g, axis=axes, keepdims=True)
                             - xhat * ops.mean(g * xhat, axis=axes, keepdims=True))
        if weight is not None and needs[1]:
            grad_w = ops.reshape(ops.sum_to(grad * xhat, param_shape), weight.shape)
        if bias is not None and needs[2]:
            grad_b = ops.reshape(ops.sum_to(grad, param_shape), bias.shape)
        return grad_x, grad_w, grad_b

    def jvp(self, tangents, out, x, weight, bias, axes, eps, param_shape):
        tangent_x, tangent_w, tangent_b = tangents
        xhat, rstd = self._normalized(x, axes, eps)
        result = None
        if tangent_x is not None:
            # d xhat = rstd * (dx - mean(dx) - xhat * mean(xhat * dx))
            result = rstd * (tangent_x - ops.mean(tangent_x, axis=axes, keepdims=True)
                             - xhat * ops.mean(xhat * tangent_x, axis=axes, keepdims=True))
            if weight is not None:
                result = result * ops.reshape(weight, param_shape)
        if tangent_w is not None:
            term = xhat * ops.reshape(tangent_w, param_shape)
            result = term if result is None else result + term
        if tangent_b is not None:
            term = ops.reshape(tangent_b, param_shape)
            result = term if result is None else result + term
        return result


_PRIMITIVES = {name: _NormalizeAffine(name)
               for name in ("batch_norm", "layer_norm", "group_norm", "instance_norm")}


def _normalize(x, weight, bias, axes, eps, param_shape, op):
    return apply(_PRIMITIVES[op], x, weight, bias, axes=tuple(axes), eps=float(eps),
                 param_shape=tuple(param_shape))


def _float_input(x, fn):
    d = data_of(x)
    if not isinstance(d, np.ndarray):
        x = Tensor(x)
        d = x.data
    if d.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating-point input, got dtype {d.dtype}")
    return x


def _check_param(p, n, what, fn):
    if p is not None and _shape(p) != (n,):
        raise ValueError(f"{fn}: {what} should have shape ({n},) (one entry per channel), got "
                         f"{_shape(p)}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every axis but the channel axis 1.

    Shape: input (N, C, *); running_mean, running_var, weight, bias (C,); output like input.
    training=True: normalise with the batch mean and biased variance; if running stats are
    given, update them in place: ``r = (1 - momentum) * r + momentum * batch_stat``, with the
    *unbiased* batch variance for running_var (as PyTorch). training=False: normalise with the
    running statistics.
    """
    fn = "batch_norm"
    x = _float_input(input, fn)
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"{fn}: expected input of shape (N, C, *) with at least 2 dimensions, "
                         f"got shape {shape}")
    channels = shape[1]
    for p, what in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_param(p, channels, what, fn)
    axes = (0,) + tuple(range(2, len(shape)))
    param_shape = (1, channels) + (1,) * (len(shape) - 2)
    if training:
        count = int(np.prod(shape)) // channels if channels else 0
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {shape}")
        out = _normalize(x, weight, bias, axes, eps, param_shape, fn)
        if running_mean is not None or running_var is not None:
            if momentum is None:
                raise ValueError(f"{fn}: momentum must be a number when updating running "
                                 f"statistics (the module computes the cumulative factor)")
            data = data_of(x)
            mean = np.mean(data, axis=axes)
            if running_mean is not None:
                _update(running_mean, mean, momentum)
            if running_var is not None:
                centered = data - mean.reshape(param_shape)
                unbiased = np.sum(centered * centered, axis=axes) / (count - 1)
                _update(running_var, unbiased, momentum)
        return out
    if running_mean is None or running_var is None:
        raise ValueError(f"{fn}: running_mean and running_var are required when training=False")
    rm = np.asarray(data_of(running_mean))
    rv = np.asarray(data_of(running_var))
    dtype = data_of(x).dtype
    rstd = (1.0 / np.sqrt(rv.astype(np.float64) + eps)).astype(dtype)
    if weight is None:
        scale = rstd
    else:
        scale = weight * rstd
    shift = -rm.astype(dtype) * scale
    if bias is not None:
        shift = bias + shift
    return x * ops.reshape(scale, param_shape) + ops.reshape(shift, param_shape)


def _update(buffer, value, momentum):
    """In place: buffer = (1 - momentum) * buffer + momentum * value (dtype kept)."""
    data = buffer.data if isinstance(buffer, Tensor) else buffer
    data[...] = (1.0 - momentum) * data + momentum * value
    if isinstance(buffer, Tensor):
        buffer._version += 1


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing axes ``normalized_shape`` (biased variance), then * weight + bias.

    Shape: input (*, *normalized_shape); weight, bias of shape normalized_shape; output like input.
    """
    fn = "layer_norm"
    x = _float_input(input, fn)
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    shape = _shape(x)
    k = len(normalized_shape)
    if k == 0 or shape[len(shape) - k:] != normalized_shape or len(shape) < k:
        raise ValueError(f"{fn}: input of shape {shape} does not end with normalized_shape "
                         f"{normalized_shape}: expected input of shape (*, "
                         f"{', '.join(map(str, normalized_shape))})")
    for p, what in ((weight, "weight"), (bias, "bias")):
        if p is not None and _shape(p) != normalized_shape:
            raise ValueError(f"{fn}: {what} should have shape {normalized_shape}, got {_shape(p)}")
    axes = tuple(range(len(shape) - k, len(shape)))
    return _normalize(x, weight, bias, axes, eps, normalized_shape, fn)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of C / num_groups channels (with its spatial axes) per sample.

    Shape: input (N, C, *); weight, bias (C,); output like input.
    """
    fn = "group_norm"
    x = _float_input(input, fn)
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"{fn}: expected input of shape (N, C, *), got {shape}")
    channels = shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ValueError(f"{fn}: the number of channels ({channels}) must be divisible by "
                         f"num_groups ({num_groups})")
    _check_param(weight, channels, "weight", fn)
    _check_param(bias, channels, "bias", fn)
    grouped = ops.reshape(x, (shape[0], num_groups, -1))
    out = ops.reshape(_normalize(grouped, None, None, (2,), eps, (1, 1, 1), fn), shape)
    param_shape = (1, channels) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * ops.reshape(weight, param_shape)
    if bias is not None:
        out = out + ops.reshape(bias, param_shape)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) over its spatial axes. Shape: input (N, C, *spatial)."""
    fn = "instance_norm"
    x = _float_input(input, fn)
    shape = _shape(x)
    if len(shape) < 3:
        raise ValueError(f"{fn}: expected input of shape (N, C, *spatial), got {shape}")
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    channels = shape[1]
    _check_param(weight, channels, "weight", fn)
    _check_param(bias, channels, "bias", fn)
    axes = tuple(range(2, len(shape)))
    if running_mean is not None or running_var is not None:
        data = data_of(x)
        count = int(np.prod(shape[2:]))
        mean = np.mean(data, axis=axes)
        var = np.var(data, axis=axes) * count / max(count - 1, 1)
        if running_mean is not None:
            _update(running_mean, mean.mean(axis=0), momentum)
        if running_var is not None:
            _update(running_var, var.mean(axis=0), momentum)
    param_shape = (1, channels) + (1,) * (len(shape) - 2)
    return _normalize(x, weight, bias, axes, eps, param_shape, fn)
