"""Parameter initialisation, in place, with PyTorch's names, formulas and defaults.

Every function writes into ``tensor.data`` (the dtype of the tensor is kept), bumps
its version counter, and returns the tensor. Random draws come from the one
generator behind ``cr.manual_seed`` (``chainrule.random.generator()``), always in
float64 and then cast, so a seed gives the same values whatever the dtype.
Gradient recording never sees these writes (they are ``no_grad`` by construction).
"""
import math
import numbers

import numpy as np

from ..random import generator as _default_generator
from ..tensor import Tensor

__all__ = ["default_linear_init_", "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]


# --------------------------------------------------------------------------- helpers
def _check_tensor(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn}: expected a Tensor (e.g. a Parameter), got "
                        f"{type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"nn.init.{fn}: expected a floating-point tensor, got dtype {tensor.dtype}")


def _write(tensor, values):
    """Copy ``values`` into the tensor's buffer (dtype kept) and bump its version."""
    data = tensor.data
    if not data.flags.writeable:
        tensor.data = np.array(values, dtype=data.dtype).reshape(data.shape)
    else:
        data[...] = values
    tensor._version += 1
    return tensor


def _rng(generator):
    return _default_generator() if generator is None else generator


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + negative_slope**2)) (slope ``param``, default 0.01); selu: 3/4.
    """
    linear_fns = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Number) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    known = linear_fns + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (known: "
                     f"{', '.join(known)})")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: (shape[1], shape[0]) times the receptive field size.

    A Linear weight (out, in) gives (in, out); a conv weight (out, in/groups, *k) gives
    (in/groups * prod(k), out * prod(k)). Fewer than 2 dimensions raise ValueError.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {shape})")
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# --------------------------------------------------------------------------- simple fills
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    _check_tensor(tensor, "uniform_")
    return _write(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std**2)."""
    _check_tensor(tensor, "normal_")
    return _write(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) truncated to [a, b] (values outside are redrawn)."""
    _check_tensor(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"nn.init.trunc_normal_: need a < b, got a={a}, b={b}")
    rng = _rng(generator)
    size = int(np.prod(tensor.shape))
    out = np.empty(size)
    filled = 0
    # Rejection sampling: exact distribution; each round keeps the draws inside [a, b].
    while filled < size:
        need = size - filled
        draws = rng.normal(mean, std, size=max(2 * need, 16))
        draws = draws[(draws >= a) & (draws <= b)][:need]
        out[filled:filled + draws.size] = draws
        filled += draws.size
    return _write(tensor, out.reshape(tensor.shape))


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _check_tensor(tensor, "constant_")
    return _write(tensor, val)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (rectangular allowed)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a {3, 4, 5}-D conv weight with the Dirac delta (the identity convolution) per group."""
    _check_tensor(tensor, "dirac_")
    shape = tuple(tensor.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"nn.init.dirac_: only 3, 4 and 5-D tensors are supported, got {shape}")
    if shape[0] % groups != 0:
        raise ValueError(f"nn.init.dirac_: dim 0 ({shape[0]}) must be divisible by groups={groups}")
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    values = np.zeros(shape)
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_per_group + d, d) + centre] = 1
    return _write(tensor, values)


# --------------------------------------------------------------------------- scaled schemes
def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _write(tensor, _rng(generator).uniform(-bound, bound, size=tensor.shape))


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _write(tensor, _rng(generator).normal(0.0, std, size=tensor.shape))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan) and
    gain = calculate_gain(nonlinearity, a).

    ``mode`` picks fan_in (preserves forward variance) or fan_out (backward). PyTorch's
    Linear/Conv default is ``kaiming_uniform_(w, a=math.sqrt(5))``.
    """
    _check_tensor(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return _write(tensor, _rng(generator).uniform(-bound, bound, size=tensor.shape))


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std**2), std = gain / sqrt(fan)."""
    _check_tensor(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _write(tensor, _rng(generator).normal(0.0, std, size=tensor.shape))


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix, from the QR decomposition of a Gaussian matrix (sign-fixed).

    Tensors with more than 2 dimensions are flattened to (shape[0], -1).
    """
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: only tensors with 2 or more dimensions are "
                         f"supported, got shape {tensor.shape}")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flattened = _rng(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    d = np.sign(np.diag(r))
    d[d == 0] = 1  # make the decomposition unique (uniform over orthogonal matrices)
    q = q * d
    if rows < cols:
        q = q.T
    return _write(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D matrix with N(0, std**2) entries and a fraction ``sparsity`` of each column zeroed."""
    _check_tensor(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.sparse_: only 2-D tensors are supported, got {tensor.shape}")
    rng = _rng(generator)
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    values = rng.normal(0.0, std, size=(rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:num_zeros], c] = 0
    return _write(tensor, values)


def default_linear_init_(weight, bias=None):
    """PyTorch's default for Linear and convolutions: kaiming_uniform_(weight, a=sqrt(5)),
    bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). In place; returns ``weight``."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
    return weight
