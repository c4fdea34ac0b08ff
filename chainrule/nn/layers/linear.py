"""Linear (fully connected), Bilinear and Identity layers."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ...dtypes import get_default_dtype
from ...ops._util import data_of
from ..module import Module, Parameter

__all__ = ["Linear", "Bilinear", "Identity"]


def _factory_dtype(dtype, device=None):
    """The dtype for new parameters: ``dtype`` or the default float dtype."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"device {device!r} is not available (only 'cpu')")
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"parameters must have a floating dtype, got {dtype}")
    return dtype


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ weight.T + bias.

    Parameters: weight (out_features, in_features) ~ kaiming_uniform(a=sqrt(5)), i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)); bias (out_features,) ~ the same range
    (PyTorch's defaults).

    Shape: input (*, in_features); output (*, out_features).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = _factory_dtype(dtype, device)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(weight, a=sqrt(5)); bias U(+-1/sqrt(fan_in))."""
        init.default_linear_init_(self.weight, self.bias)

    def forward(self, input):
        shape = np.shape(data_of(input))
        if not shape or shape[-1] != self.in_features:
            raise ValueError(self._shape_error(shape))
        return F.linear(input, self.weight, self.bias)

    def _shape_error(self, shape):
        if not shape:
            return (f"Linear(in_features={self.in_features}): got a 0-d input; expected shape "
                    f"(*, {self.in_features})")
        msg = (f"Linear(in_features={self.in_features}): input has {shape[-1]} features on its "
               f"last axis (input shape {shape}), expected {self.in_features}")
        if len(shape) >= 3 and int(np.prod(shape[1:])) == self.in_features:
            msg += (f" -- did you forget Flatten? nn.Flatten() turns {shape} into "
                    f"({shape[0]}, {self.in_features})")
        elif len(shape) >= 2 and shape[0] == self.in_features:
            msg += " -- is the input transposed? Linear expects (batch, features)"
        return msg

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1 @ weight[k] @ x2 + bias_k.

    Parameters: weight (out_features, in1_features, in2_features), bias (out_features,),
    both U(-1/sqrt(in1_features), 1/sqrt(in1_features)).
    Shape: x1 (*, in1_features), x2 (*, in2_features); output (*, out_features).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dtype = _factory_dtype(dtype, device)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features,
                                          self.in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        s1, s2 = np.shape(data_of(input1)), np.shape(data_of(input2))
        if not s1 or s1[-1] != self.in1_features or not s2 or s2[-1] != self.in2_features:
            raise ValueError(f"Bilinear(in1_features={self.in1_features}, in2_features="
                             f"{self.in2_features}): got inputs of shapes {s1} and {s2}")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
