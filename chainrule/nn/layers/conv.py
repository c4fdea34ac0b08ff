"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d and SeparableConv1d/2d.

PyTorch's constructor arguments, defaults, parameter names and shapes, so state dicts
move between the two by name:

* ``ConvNd.weight`` (out_channels, in_channels/groups, *kernel_size), ``bias`` (out_channels,)
* ``ConvTransposeNd.weight`` (in_channels, out_channels/groups, *kernel_size)
* ``SeparableConvNd``: ``depthwise.weight`` (in*depth_multiplier, 1, *k),
  ``pointwise.weight`` (out_channels, in*depth_multiplier, 1, ...), ``pointwise.bias``

Initialisation is PyTorch's: ``kaiming_uniform_(weight, a=sqrt(5))`` (that is
U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and the bias from the same range.
"""

import numpy as np

from .. import functional as F
from .. import init
from ...dtypes import get_default_dtype
from ...ops._util import shape_of
from ..functional.conv import _check_input, _padding_pairs, _tuple
from ..module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "SeparableConv1d", "SeparableConv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _factory_dtype(dtype, device, layer):
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{layer}: device {device!r} is not available (only 'cpu')")
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{layer}: parameters must have a floating dtype, got {dtype}")
    return dtype


def _positive_int(value, what, layer):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")
    return int(value)


class _ConvNd(Module):
    """Shared by the convolution layers: hyperparameters, parameters, init, repr, input checks."""

    ndim = None
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, output_padding=0, device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        nd = self.ndim
        self.in_channels = _positive_int(in_channels, "in_channels", layer)
        self.out_channels = _positive_int(out_channels, "out_channels", layer)
        self.groups = _positive_int(groups, "groups", layer)
        if self.in_channels % self.groups:
            raise ValueError(f"{layer}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if self.out_channels % self.groups:
            raise ValueError(f"{layer}: out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", layer, minimum=1)
        self.stride = _tuple(stride, nd, "stride", layer, minimum=1)
        self.dilation = _tuple(dilation, nd, "dilation", layer, minimum=1)
        if isinstance(padding, str):
            # validates the string (and 'same' with a stride) now rather than at the first call
            _padding_pairs(padding, nd, self.kernel_size, self.stride, self.dilation, layer)
            self.padding = padding
        elif (isinstance(padding, (tuple, list)) and padding
              and isinstance(padding[0], (tuple, list))):
            self.padding = _padding_pairs(padding, nd, self.kernel_size, self.stride,
                                          self.dilation, layer)
        else:
            self.padding = _tuple(padding, nd, "padding", layer)
        self.output_padding = _tuple(output_padding, nd, "output_padding", layer)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{layer}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.padding_mode = padding_mode
        dtype = _factory_dtype(dtype, device, layer)
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(weight, a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
        init.default_linear_init_(self.weight, self.bias)

    def _name(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size})")

    def _check(self, input):
        _check_input(input, self.ndim, self.in_channels, self._name())

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * self.ndim:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.ndim:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.ndim:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _ConvolutionNd(_ConvNd):
    """Convolution over ``ndim`` spatial axes.

    Shape: input (N, C_in, *S) or unbatched (C_in, *S); output (N, C_out, *S_out) with
    S_out = floor((S + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1.
    ``padding``: an int, a tuple, ``"valid"`` or ``"same"``; ``padding_mode``: "zeros",
    "reflect", "replicate" or "circular" (the input is padded first, as PyTorch).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input):
        self._check(input)
        padding = self.padding
        if self.padding_mode != "zeros":
            pairs = _padding_pairs(padding, self.ndim, self.kernel_size, self.stride,
                                   self.dilation, self._name())
            flat = tuple(p for lo_hi in reversed(pairs) for p in lo_hi)  # PyTorch's order
            input = F.pad(input, flat, mode=self.padding_mode)
            padding = 0
        return self._conv(input, self.weight, self.bias, self.stride, padding, self.dilation,
                          self.groups)


class Conv1d(_ConvolutionNd):
    __doc__ = _ConvolutionNd.__doc__
    ndim = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_ConvolutionNd):
    __doc__ = _ConvolutionNd.__doc__
    ndim = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_ConvolutionNd):
    __doc__ = _ConvolutionNd.__doc__
    ndim = 3
    _conv = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """Transposed convolution over ``ndim`` spatial axes (the adjoint of the convolution with the
    same hyperparameters; often called a fractionally strided convolution).

    Shape: input (N, C_in, *S) or unbatched (C_in, *S); output (N, C_out, *S_out) with
    S_out = (S - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1.
    ``forward(input, output_size=None)``: an explicit output size picks the output_padding.
    """

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        layer = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'{layer}: only "zeros" padding mode is supported, got '
                             f'{padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"{layer}: string padding ({padding!r}) is not supported; give an "
                             f"int or a tuple")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, output_padding=output_padding, device=device,
                         dtype=dtype)
        for p, s, d in zip(self.output_padding, self.stride, self.dilation):
            if p >= s and p >= d:
                raise ValueError(f"{layer}: output_padding {self.output_padding} must be smaller "
                                 f"than either stride {self.stride} or dilation {self.dilation}")

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        nd = self.ndim
        output_size = tuple(int(n) for n in output_size)
        unbatched = len(shape_of(input)) == nd + 1
        if len(output_size) == nd + 2 or (len(output_size) == nd + 1 and unbatched):
            output_size = output_size[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"{self._name()}: output_size must have {nd} or {nd + 2} elements, "
                             f"got {output_size}")
        size = shape_of(input)[-nd:]
        padding = []
        for n, out, s, p, d, k in zip(size, output_size, self.stride, self.padding,
                                      self.dilation, self.kernel_size):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= out < smallest + s:
                raise ValueError(
                    f"{self._name()}: requested output size {output_size} is not reachable from "
                    f"input spatial size {tuple(size)}: each entry must lie in [smallest, "
                    f"smallest + stride - 1], here {smallest} .. {smallest + s - 1}")
            padding.append(out - smallest)
        return tuple(padding)

    def forward(self, input, output_size=None):
        self._check(input)
        return self._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                    self._output_padding(input, output_size), self.groups,
                                    self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = _ConvTransposeNd.__doc__
    ndim = 1
    _conv_transpose = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = _ConvTransposeNd.__doc__
    ndim = 2
    _conv_transpose = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = _ConvTransposeNd.__doc__
    ndim = 3
    _conv_transpose = staticmethod(F.conv_transpose3d)


class _SeparableConvNd(Module):
    """Depthwise-separable convolution: a depthwise convolution (groups=in_channels, each input
    channel gets ``depth_multiplier`` filters, no bias) followed by a 1x1 pointwise convolution.

    Parameters: ``depthwise.weight`` (in*depth_multiplier, 1, *kernel_size),
    ``pointwise.weight`` (out_channels, in*depth_multiplier, 1, ...), ``pointwise.bias``.
    Shape: input (N, C_in, *S) or (C_in, *S); output (N, C_out, *S_out) with S_out as the
    depthwise convolution's.
    """

    ndim = None
    _conv_layer = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 depth_multiplier=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        self.in_channels = _positive_int(in_channels, "in_channels", layer)
        self.out_channels = _positive_int(out_channels, "out_channels", layer)
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", layer)
        middle = self.in_channels * self.depth_multiplier
        self.depthwise = self._conv_layer(self.in_channels, middle, kernel_size, stride=stride,
                                          padding=padding, dilation=dilation,
                                          groups=self.in_channels, bias=False,
                                          padding_mode=padding_mode, device=device, dtype=dtype)
        self.pointwise = self._conv_layer(middle, self.out_channels, 1, bias=bias, device=device,
                                          dtype=dtype)
        self.kernel_size = self.depthwise.kernel_size

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"depth_multiplier={self.depth_multiplier}")

    def forward(self, input):
        _check_input(input, self.ndim, self.in_channels,
                     f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                     f"kernel_size={self.kernel_size})")
        return self.pointwise(self.depthwise(input))


class SeparableConv1d(_SeparableConvNd):
    __doc__ = _SeparableConvNd.__doc__
    ndim = 1
    _conv_layer = Conv1d


class SeparableConv2d(_SeparableConvNd):
    __doc__ = _SeparableConvNd.__doc__
    ndim = 2
    _conv_layer = Conv2d
