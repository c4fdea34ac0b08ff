"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d and GlobalAvgPool (PyTorch's arguments, defaults and reprs).

Shape: input (N, C, *S) or unbatched (C, *S); output (N, C, *S_out). The math, the
gradient routing and the tie rules are documented in ``nn.functional.pooling``.
"""
from .. import functional as F
from ... import ops
from ...ops._util import shape_of
from ..module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "GlobalAvgPool"]


class _MaxPoolNd(Module):
    """Max over each window; the gradient goes to each window's maximum (ties: the first in
    row-major order). stride defaults to kernel_size; padding is -inf and at most half the
    kernel; ``return_indices`` also returns the flat index of each maximum.

    Shape: (N, C, *S) or (C, *S) -> (N, C, *S_out),
    S_out = floor((S + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1 (ceil with
    ``ceil_mode``).
    """

    _pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        return self._pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    __doc__ = _MaxPoolNd.__doc__
    _pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    __doc__ = _MaxPoolNd.__doc__
    _pool = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    __doc__ = _MaxPoolNd.__doc__
    _pool = staticmethod(F.max_pool3d)


class _AvgPoolNd(Module):
    """Mean over each window. stride defaults to kernel_size; zero padding (at most half the
    kernel) counts in the divisor unless ``count_include_pad=False``; ``divisor_override``
    replaces the divisor.

    Shape: (N, C, *S) or (C, *S) -> (N, C, *S_out),
    S_out = floor((S + 2*padding - kernel_size) / stride) + 1 (ceil with ``ceil_mode``).
    """

    _pool = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return self._pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    __doc__ = _AvgPoolNd.__doc__
    _pool = staticmethod(F.avg_pool1d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        # PyTorch keeps AvgPool1d's sizes as 1-tuples (it shows in the repr)
        single = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)
        super().__init__(single(kernel_size), single(stride if stride is not None else kernel_size),
                         single(padding), ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    __doc__ = _AvgPoolNd.__doc__
    _pool = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    __doc__ = _AvgPoolNd.__doc__
    _pool = staticmethod(F.avg_pool3d)


class _AdaptiveAvgPoolNd(Module):
    """Average pooling to a fixed output size over PyTorch's windows
    [floor(i*S/out), ceil((i+1)*S/out)); an int means the same size on every axis and None
    keeps an axis. Shape: (N, C, *S) or (C, *S) -> (N, C, *output_size)."""

    _pool = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        return self._pool(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    __doc__ = _AdaptiveAvgPoolNd.__doc__
    _pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    __doc__ = _AdaptiveAvgPoolNd.__doc__
    _pool = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    __doc__ = _AdaptiveAvgPoolNd.__doc__
    _pool = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    """Max pooling to a fixed output size over PyTorch's adaptive windows; the gradient goes to
    each window's maximum. Shape: (N, C, *S) or (C, *S) -> (N, C, *output_size)."""

    _pool = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"

    def forward(self, input):
        return self._pool(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    __doc__ = _AdaptiveMaxPoolNd.__doc__
    _pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    __doc__ = _AdaptiveMaxPoolNd.__doc__
    _pool = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    __doc__ = _AdaptiveMaxPoolNd.__doc__
    _pool = staticmethod(F.adaptive_max_pool3d)


class GlobalAvgPool(Module):
    """The mean over every spatial axis: (N, C, *S) -> (N, C), or (N, C, 1, ..., 1) with
    ``keepdim=True`` (Keras' GlobalAveragePooling; = AdaptiveAvgPoolNd(1) then flatten)."""

    def __init__(self, keepdim=False):
        super().__init__()
        self.keepdim = keepdim

    def extra_repr(self):
        return f"keepdim={self.keepdim}" if self.keepdim else ""

    def forward(self, input):
        shape = shape_of(input)
        if len(shape) < 3:
            raise ValueError(f"GlobalAvgPool: expected an input (N, C, *spatial) with at least one "
                             f"spatial axis, got shape {tuple(shape)}")
        return ops.mean(input, axis=tuple(range(2, len(shape))), keepdims=self.keepdim)
