"""Activation functions (PyTorch's names, options and subgradients). Shape: output = input's shape.

Piecewise functions with one formula per piece are primitives built with ``unary``
(one node; the derivative is written in differentiable ops, so second derivatives
work); the rest are compositions of differentiable ops. Subgradients at kinks
follow PyTorch: relu'(0) = 0, leaky_relu'(0) = negative_slope, hardtanh/relu6 and
hardsigmoid pass no gradient at their corners (strict inequalities, as PyTorch's
backward kernels).

``inplace=`` is accepted for PyTorch compatibility; results are always new tensors.
"""
import math
import warnings

import numpy as np

from ... import ops
from ...core.primitive import unary
from ...ops._util import data_of
from ...ops.special import _erf
from ...tensor import Tensor

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "sigmoid",
           "hardsigmoid", "hard_sigmoid", "hardtanh", "hardswish", "tanh", "softplus", "softsign",
           "silu", "swish", "mish", "logsigmoid", "softmax", "softmin", "log_softmax", "prelu",
           "glu", "tanhshrink", "threshold", "linear_activation"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _as_float(x, fn):
    """x as something the primitives accept: Tensors/ndarrays pass; ints become the default float."""
    d = data_of(x)
    if isinstance(d, np.ndarray):
        if d.dtype.kind == "f":
            # an ndarray as a Tensor: NumPy arithmetic on a 0-d array would give np.float64
            # scalars, which the ops type weakly (a 0-d float64 input computed in float32)
            return x if isinstance(x, Tensor) else Tensor._wrap(d)
        if d.dtype.kind in "iub":
            from ...dtypes import get_default_dtype
            return ops.astype(x, get_default_dtype())
        raise TypeError(f"{fn}: expected a numeric tensor, got dtype {d.dtype}")
    if isinstance(x, (int, float, list, tuple, np.generic)):
        return Tensor(x)
    raise TypeError(f"{fn}: expected a Tensor, got {type(x).__name__}")


def _mask(cond, like):
    """A boolean condition as a constant array of ``like``'s dtype."""
    return cond.astype(data_of(like).dtype)


# --------------------------------------------------------------------------- relu family
def relu(input, inplace=False):
    """max(x, 0); relu'(0) = 0 (API.md §2; as PyTorch)."""
    return ops.relu(_as_float(input, "relu"))


def _hardtanh_forward(x, min_val=-1.0, max_val=1.0):
    return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)


_hardtanh = unary(
    "hardtanh", _hardtanh_forward,
    # gradient only strictly inside (min_val, max_val), as PyTorch's hardtanh_backward
    lambda x, out, min_val=-1.0, max_val=1.0:
    _mask((data_of(x) > min_val) & (data_of(x) < max_val), x),
    uses=("x",))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clip(x, min_val, max_val); gradient 1 strictly inside, 0 at and beyond the corners."""
    if max_val < min_val:
        raise ValueError(f"hardtanh: max_val ({max_val}) cannot be less than min_val ({min_val})")
    return _hardtanh(_as_float(input, "hardtanh"), min_val=float(min_val), max_val=float(max_val))


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (PyTorch's hardtanh(x, 0, 6): no gradient at 0 and 6)."""
    return hardtanh(input, 0.0, 6.0)


def _leaky_forward(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)


_leaky_relu = unary(
    "leaky_relu", _leaky_forward,
    # leaky_relu'(0) = negative_slope (PyTorch's backward uses x > 0 for the identity branch)
    lambda x, out, negative_slope=0.01: np.where(data_of(x) > 0, 1.0, negative_slope)
    .astype(data_of(x).dtype),
    uses=("x",))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    return _leaky_relu(_as_float(input, "leaky_relu"), negative_slope=float(negative_slope))


def _elu_forward(x, alpha=1.0, scale=1.0, input_scale=1.0):
    negative = alpha * np.expm1(np.minimum(x, 0) * input_scale)
    return (scale * np.where(x > 0, x, negative)).astype(x.dtype, copy=False)


def _elu_derivative(x, out, alpha=1.0, scale=1.0, input_scale=1.0):
    # x > 0: scale; x <= 0: scale * alpha * input_scale * exp(input_scale * x)
    #                      = input_scale * (out + scale * alpha)   (differentiable through out)
    positive = data_of(x) > 0
    return ops.where(positive, scale, input_scale * (out + scale * alpha))


_elu = unary("elu", _elu_forward, _elu_derivative, uses=("x", "out"))


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _elu(_as_float(input, "elu"), alpha=float(alpha), scale=1.0, input_scale=1.0)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    return _elu(_as_float(input, "selu"), alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return _elu(_as_float(input, "celu"), alpha=float(alpha), scale=1.0, input_scale=1.0 / alpha)


# --------------------------------------------------------------------------- gelu, silu, mish
def _gelu_forward(x):
    return (0.5 * x * (1.0 + _erf(x * _INV_SQRT2))).astype(x.dtype, copy=False)


_gelu = unary("gelu", _gelu_forward,
              # d/dx x Phi(x) = Phi(x) + x phi(x)
              lambda x, out: 0.5 * (1.0 + ops.erf(x * _INV_SQRT2))
              + x * ops.exp(x * x * -0.5) * _INV_SQRT_2PI,
              uses=("x",))


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, with erf); ``approximate="tanh"``:
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = _as_float(input, "gelu")
    if approximate == "none":
        return _gelu(x)
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + ops.tanh(inner))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _silu_forward(x):
    from ...ops.special import _sigmoid
    return (x * _sigmoid(x)).astype(x.dtype, copy=False)


def _silu_derivative(x, out):
    s = ops.sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


_silu = unary("silu", _silu_forward, _silu_derivative, uses=("x",))


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return _silu(_as_float(input, "silu"))


swish = silu


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    x = _as_float(input, "mish")
    return x * ops.tanh(ops.softplus(x))


# --------------------------------------------------------------------------- sigmoid family
def sigmoid(input):
    """1 / (1 + exp(-x)), stable for large |x|."""
    return ops.sigmoid(_as_float(input, "sigmoid"))


def tanh(input):
    """Hyperbolic tangent."""
    return ops.tanh(_as_float(input, "tanh"))


def _hardsigmoid_forward(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0).astype(x.dtype, copy=False)


_hardsigmoid = unary(
    "hardsigmoid", _hardsigmoid_forward,
    # 1/6 strictly inside (-3, 3), as PyTorch's hardsigmoid_backward
    lambda x, out: _mask((data_of(x) > -3.0) & (data_of(x) < 3.0), x) * (1.0 / 6.0),
    uses=("x",))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6 (PyTorch's definition; API.md §4)."""
    return _hardsigmoid(_as_float(input, "hardsigmoid"))


hard_sigmoid = hardsigmoid


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    x = _as_float(input, "hardswish")
    return x * _hardsigmoid(x)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    x = _as_float(input, "logsigmoid")
    return -ops.softplus(-x)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta * x > threshold (as PyTorch)."""
    x = _as_float(input, "softplus")
    scaled = x if beta == 1 else x * beta
    smooth = ops.softplus(scaled)
    if beta != 1:
        smooth = smooth * (1.0 / beta)
    return ops.where(data_of(scaled) > threshold, x, smooth)


def softsign(input):
    """x / (1 + |x|)."""
    x = _as_float(input, "softsign")
    return x / (1.0 + ops.abs(x))


def tanhshrink(input):
    """x - tanh(x)."""
    x = _as_float(input, "tanhshrink")
    return x - ops.tanh(x)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    x = _as_float(input, "threshold")
    return ops.where(data_of(x) > threshold, x, value)


def prelu(input, weight):
    """x for x > 0, weight * x otherwise; ``weight`` has 1 or C (channels, axis 1) entries."""
    x = _as_float(input, "prelu")
    n = weight.shape[0] if weight.ndim else 1
    if n != 1:
        channel_axis = 0 if x.ndim == 1 else 1
        if x.ndim == 0 or x.shape[channel_axis] != n:
            raise ValueError(f"prelu: weight has {n} entries but the input (shape "
                             f"{tuple(x.shape)}) has "
                             f"{x.shape[channel_axis] if x.ndim else 'no'} channels")
        weight = ops.reshape(weight, (n,) + (1,) * (x.ndim - channel_axis - 1))
    return ops.where(data_of(x) > 0, x, weight * x)


def glu(input, dim=-1):
    """a * sigmoid(b) where (a, b) are the two halves of the input along ``dim``."""
    x = _as_float(input, "glu")
    if x.ndim == 0 or x.shape[dim] % 2:
        raise ValueError(f"glu: halving only works on an even-sized dimension; dim {dim} of "
                         f"shape {tuple(x.shape)} is not even")
    a, b = ops.split(x, 2, axis=dim)
    return a * ops.sigmoid(b)


def linear_activation(input):
    """The identity activation (Keras' "linear"): returns its input unchanged."""
    return input


identity = linear_activation


# --------------------------------------------------------------------------- softmax family
def _softmax_dim(name, ndim, dim):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(input, dtype, fn):
    x = _as_float(input, fn)
    if dtype is not None and x.dtype != np.dtype(dtype):
        x = ops.astype(x, dtype)
    return x


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably.

    ``dim=None`` picks PyTorch's legacy implicit axis (with PyTorch's warning).
    """
    x = _prepare(input, dtype, "softmax")
    return ops.softmax(x, axis=_softmax_dim("softmax", x.ndim, dim))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    x = _prepare(input, dtype, "softmin")
    return ops.softmax(-x, axis=_softmax_dim("softmin", x.ndim, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably (x - logsumexp(x))."""
    x = _prepare(input, dtype, "log_softmax")
    return ops.log_softmax(x, axis=_softmax_dim("log_softmax", x.ndim, dim))
