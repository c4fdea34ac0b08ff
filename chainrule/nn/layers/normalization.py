"""BatchNorm1d/2d/3d, LayerNorm and GroupNorm (PyTorch's parameters, buffers and state-dict keys)."""
import numbers

import numpy as np

from .. import functional as F
from .. import init
from ...dtypes import get_default_dtype
from ...ops._util import data_of
from ...tensor import Tensor
from ..module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm"]


def _dtype(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


class _BatchNorm(Module):
    """Batch normalisation over every axis but channels (axis 1); one class for 1d/2d/3d.

    Parameters (``affine=True``): weight (C,) = 1, bias (C,) = 0 (keyword ``bias=False``: none).
    Buffers (``track_running_stats=True``): running_mean (C,) = 0, running_var (C,) = 1,
    num_batches_tracked (int64 scalar) = 0.
    Training: normalise with the batch statistics (biased variance) and update
    ``running = (1 - momentum) * running + momentum * batch`` with the unbiased variance;
    ``momentum=None`` uses the cumulative average (factor 1 / num_batches_tracked).
    Eval: normalise with the running statistics.
    """

    _spatial = None      # number of spatial axes of the batched input
    _layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got "
                             f"{num_features!r}")
        if momentum is not None and not isinstance(momentum, numbers.Real):
            raise TypeError(f"{type(self).__name__}: momentum must be a number or None, got "
                            f"{type(momentum).__name__}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.empty((self.num_features,), dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty((self.num_features,), dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._version += 1

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _upgrade_state_dict(self, state_dict, prefix):
        # Checkpoints from before num_batches_tracked existed load as PyTorch loads them.
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict and \
                prefix + "running_mean" in state_dict:
            state_dict[key] = np.array(0, dtype=np.int64)

    def _check_input(self, shape):
        name = f"{type(self).__name__}({self.num_features})"
        ndims = (self._spatial + 2,) if self._spatial else (2, 3)
        if len(shape) not in ndims:
            expected = " or ".join(f"{n}-D" for n in ndims)
            hint = ""
            if len(shape) == 4 and not self._spatial:
                hint = " -- use BatchNorm2d for images (N, C, H, W)"
            elif len(shape) in (2, 3) and self._spatial == 2:
                hint = " -- use BatchNorm1d for (N, C) or (N, C, L) inputs"
            elif len(shape) == 5 and self._spatial != 3:
                hint = " -- use BatchNorm3d for (N, C, D, H, W) inputs"
            raise ValueError(f"{name}: expected {expected} input {self._layout}, got "
                             f"{len(shape)}-D input of shape {shape}{hint}")
        if shape[1] != self.num_features:
            hint = ""
            if shape[-1] == self.num_features and len(shape) > 2:
                hint = (" -- the input looks channels-last; chainrule is channels-first "
                        "(N, C, ...): move the channel axis with cr.moveaxis(x, -1, 1)")
            raise ValueError(f"{name}: input has {shape[1]} channels on axis 1 (input shape "
                             f"{shape}), expected {self.num_features}{hint}")

    def forward(self, input):
        self._check_input(np.shape(data_of(input)))
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data[...] += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) or (N, C, L) inputs."""

    _spatial = 0
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) inputs."""

    _spatial = 2
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm for (N, C, D, H, W) inputs."""

    _spatial = 3
    _layout = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, then * weight + bias.

    Parameters (``elementwise_affine=True``): weight = 1 and (``bias=True``) bias = 0, both of
    shape normalized_shape. Shape: input (*, *normalized_shape); output like input.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        shape = np.shape(data_of(input))
        k = len(self.normalized_shape)
        if shape[len(shape) - k:] != self.normalized_shape or len(shape) < k:
            raise ValueError(f"LayerNorm({self.normalized_shape}): input of shape {shape} does "
                             f"not end with normalized_shape {self.normalized_shape}: expected "
                             f"(*, {', '.join(map(str, self.normalized_shape))})")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise groups of ``num_channels / num_groups`` channels per sample.

    Parameters (``affine=True``): weight (C,) = 1, bias (C,) = 0. Shape: input (N, C, *).
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        shape = np.shape(data_of(input))
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected input "
                             f"(N, {self.num_channels}, *), got shape {shape}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
