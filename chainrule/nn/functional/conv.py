"""Convolution: one N-d convolution, its adjoint (the transposed convolution) and the weight
correlation -- three primitives that differentiate into one another, so every derivative
of every order stays inside the set.

With the geometry fixed (stride, per-side padding, dilation, groups), write
``conv(x, w)`` for the convolution (a cross-correlation, as in every deep-learning
library): x ``(N, C, *S)``, w ``(O, C/G, *K)`` -> ``(N, O, *P)``. It is bilinear, and

* ``conv_transpose(y, w)`` is its adjoint in x:  <conv(x, w), y> = <x, conv_transpose(y, w)>
* ``conv_weight(x, y)``   is its adjoint in w:  <conv(x, w), y> = <w, conv_weight(x, y)>

so the three rules are

=====================  =========================  =========================
primitive              VJP (first input)          VJP (second input)
=====================  =========================  =========================
conv(x, w)             conv_transpose(grad, w)    conv_weight(x, grad)
conv_transpose(y, w)   conv(grad, w)              conv_weight(grad, y)
conv_weight(x, y)      conv_transpose(y, grad)    conv(x, grad)
=====================  =========================  =========================

and each JVP is the bilinear product rule (``conv(tx, w) + conv(x, tw)``).

The NumPy kernels are im2col/GEMM on strided views, float32 end to end: the
windows of the padded input are one ``as_strided`` view, copied once into a column
matrix and multiplied by the weight (per sample, or in one GEMM per group with the
batch axis moved last, whichever the shapes favour); the adjoint multiplies by the
transposed weight and adds the columns back (col2im) with one strided slice
addition per kernel offset (no ``np.add.at``).
"""
import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import ops
from ...core.apply import apply
from ...core.primitive import Primitive
from ...ops._util import data_of, shape_of

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
_KERNEL = {1: "kL", 2: "kH, kW", 3: "kD, kH, kW"}


# --------------------------------------------------------------------------- argument parsing
def _tuple(value, n, what, op, minimum=0):
    """An int or a length-n sequence of ints as an n-tuple, each at least ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        out = tuple(int(v) for v in value)
    else:
        raise ValueError(f"{op}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in out):
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return out


def _padding_pairs(padding, n, kernel, stride, dilation, op):
    """Per-side padding ((lo, hi), ...) from an int, a per-axis tuple, per-side pairs,
    ``"valid"`` or ``"same"`` (stride 1 only; an odd total puts the extra zero on the right,
    as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            pairs = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ValueError(f"{op}: padding must be 'valid', 'same', an int or a tuple, got "
                         f"{padding!r}")
    if isinstance(padding, (tuple, list)) and len(padding) == n and all(
            isinstance(p, (tuple, list)) for p in padding):
        pairs = []
        for p in padding:
            lo, hi = _tuple(tuple(p), 2, "padding (lo, hi) pair", op)
            pairs.append((lo, hi))
        return tuple(pairs)
    return tuple((p, p) for p in _tuple(padding, n, "padding", op))


def _out_size(size, kernel, stride, padding, dilation):
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), d in zip(size, kernel, stride, padding, dilation))


# --------------------------------------------------------------------------- NumPy kernels
# The columns come in one of two layouts, chosen per call:
#   sample-major (N, G, C/G*prod(K), prod(P)): one GEMM per sample (a batched matmul) that
#       reads the input and writes the output in their own (N, C, ...) layout, so nothing is
#       transposed; but the im2col copy and the col2im additions run over rows only P[-1]
#       long (1 element when strided);
#   batch-inner  (G, C/G*prod(K), prod(P)*N): the input and the output are transposed once
#       (N moved last); then there is one large GEMM per group, and every copy and addition
#       runs over rows of at least N elements.
# A short row costs a fixed overhead (about 10 ns to copy, 40 ns to add into); a transpose
# about 1 ns per element. _batch_inner weighs the two (measured: benchmarks/conv_algos.py).
_ROW_COST = {"copy": 10, "add": 40}
_WEIGHT_CHUNK = 1 << 22  # elements of per-sample weight gradients summed at a time


def _batch_inner(n, stride, out_size, cols_size, tensor_size, kind):
    if n == 1:
        return False
    row = out_size[-1] if stride[-1] == 1 else 1
    return _ROW_COST[kind] * cols_size / row > tensor_size


def _index(batch_inner, spatial):
    """An index of a (C, *spatial, N) [batch inner] or (N, C, *spatial) array by spatial slices."""
    every = slice(None)
    return (every,) + tuple(spatial) + (every,) if batch_inner else (every, every) + tuple(spatial)


def _padded(x, padding, batch_inner, value=0):
    """x (N, C, *S) padded per side, as (C, *Sp, N) [batch inner, always a contiguous copy] or
    (N, C, *Sp). A negative ``hi`` crops instead (the adjoint of an output_padding larger than
    the padding). Without padding the sample-major result is x itself."""
    size = x.shape[2:]
    if not batch_inner and all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    keep = x[(slice(None), slice(None)) + tuple(slice(0, n + min(hi, 0))
                                                for n, (_, hi) in zip(size, padding))]
    if not batch_inner and all(lo == 0 and hi <= 0 for lo, hi in padding):
        return keep
    spatial = tuple(n + lo + max(hi, 0) for n, (lo, hi) in zip(size, padding))
    n, c = x.shape[:2]
    shape = (c,) + spatial + (n,) if batch_inner else (n, c) + spatial
    if all(lo == 0 and hi <= 0 for lo, hi in padding):
        out = np.empty(shape, dtype=x.dtype)
    elif value == 0:
        out = np.zeros(shape, dtype=x.dtype)
    else:
        out = np.full(shape, value, dtype=x.dtype)
    dest = tuple(slice(lo, lo + m + min(hi, 0)) for m, (lo, hi) in zip(size, padding))
    out[_index(batch_inner, dest)] = np.moveaxis(keep, 0, -1) if batch_inner else keep
    return out


def _windows(xp, kernel, stride, dilation, out_size, batch_inner):
    """The read-only view of the windows of a padded input: (C, *K, *P, N) of xp (C, *Sp, N)
    [batch inner] or (N, C, *K, *P) of xp (N, C, *Sp).

    Built from xp's own strides, so any layout (including broadcast views) is read correctly.
    """
    st = xp.strides
    spatial = st[1:-1] if batch_inner else st[2:]
    k_strides = tuple(s * d for s, d in zip(spatial, dilation))
    p_strides = tuple(s * t for s, t in zip(spatial, stride))
    if batch_inner:
        shape = (xp.shape[0],) + tuple(kernel) + tuple(out_size) + (xp.shape[-1],)
        strides = (st[0],) + k_strides + p_strides + (st[-1],)
    else:
        shape = xp.shape[:2] + tuple(kernel) + tuple(out_size)
        strides = st[:2] + k_strides + p_strides
    return as_strided(xp, shape, strides, writeable=False)


def _im2col(x, kernel, stride, padding, dilation, out_size, groups, batch_inner):
    """Columns (G, C/G*prod(K), prod(P)*N) [batch inner] or (N, G, C/G*prod(K), prod(P)):
    one copy of the windows."""
    view = _windows(_padded(x, padding, batch_inner), kernel, stride, dilation, out_size,
                    batch_inner)
    n, c = x.shape[:2]
    rows, positions = (c // groups) * math.prod(kernel), math.prod(out_size)
    if batch_inner:
        return view.reshape(groups, rows, positions * n)
    return view.reshape(n, groups, rows, positions)


def _grad_columns(y, groups, batch_inner):
    """y (N, O, *P) in the columns' layout: (G, O/G, prod(P)*N) [a transposed copy] or
    (N, G, O/G, prod(P)) [a view when y is contiguous]."""
    n, o = y.shape[:2]
    positions = math.prod(y.shape[2:])
    if batch_inner:
        return np.moveaxis(y, 0, -1).reshape(groups, o // groups, positions * n)
    return y.reshape(n, groups, o // groups, positions)


def _common(*arrays):
    dtype = np.result_type(*arrays)
    return [a.astype(dtype, copy=False) for a in arrays]


def _conv_forward(x, w, stride, padding, dilation, groups):
    x, w = _common(x, w)
    n, c = x.shape[:2]
    o, kernel = w.shape[0], w.shape[2:]
    out_size = _out_size(x.shape[2:], kernel, stride, padding, dilation)
    positions = n * math.prod(out_size)
    inner = _batch_inner(n, stride, out_size, c * math.prod(kernel) * positions,
                         x.size + o * positions, "copy")
    cols = _im2col(x, kernel, stride, padding, dilation, out_size, groups, inner)
    out = np.matmul(w.reshape(groups, o // groups, -1), cols)
    if inner:                                   # (G, O/G, P*N) -> (N, O, *P)
        out = out.reshape((o,) + tuple(out_size) + (n,))
        return np.ascontiguousarray(np.moveaxis(out, -1, 0))
    return out.reshape((n, o) + tuple(out_size))  # (N, G, O/G, P) is already (N, O, *P)


def _conv_transpose_forward(y, w, stride, padding, dilation, groups, input_size):
    """The adjoint in x of conv: (N, O, *P) -> (N, C, *input_size); col2im by kernel offsets."""
    y, w = _common(y, w)
    n, o = y.shape[:2]
    kernel, out_size = tuple(w.shape[2:]), tuple(y.shape[2:])
    c = w.shape[1] * groups
    inner = _batch_inner(n, stride, out_size, c * math.prod(kernel) * n * math.prod(out_size),
                         y.size + n * c * math.prod(input_size), "add")
    w_t = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)      # (G, C/G*K, O/G)
    cols = np.matmul(w_t, _grad_columns(y, groups, inner))
    spatial = tuple(s + lo + max(hi, 0) for s, (lo, hi) in zip(input_size, padding))
    if inner:
        cols = cols.reshape((c,) + kernel + out_size + (n,))
        buf = np.zeros((c,) + spatial + (n,), dtype=cols.dtype)
        lead = (slice(None),)
    else:
        cols = cols.reshape((n, c) + kernel + out_size)
        buf = np.zeros((n, c) + spatial, dtype=cols.dtype)
        lead = (slice(None), slice(None))
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = tuple(slice(k * d, k * d + (p - 1) * s + 1, s)
                       for k, d, p, s in zip(offset, dilation, out_size, stride))
        buf[_index(inner, target)] += cols[lead + offset]
    if inner:
        crop = buf[_index(True, tuple(slice(lo, lo + s)
                                      for s, (lo, _) in zip(input_size, padding)))]
        return np.ascontiguousarray(np.moveaxis(crop, -1, 0))
    if all(lo == 0 and hi <= 0 for lo, hi in padding):
        return buf
    return np.ascontiguousarray(buf[_index(False, tuple(slice(lo, lo + s) for s, (lo, _)
                                                        in zip(input_size, padding)))])


def _conv_weight_forward(x, y, stride, padding, dilation, groups, kernel_size):
    """The adjoint in w of conv: x (N, C, *S), y (N, O, *P) -> (O, C/G, *K)."""
    x, y = _common(x, y)
    n, c = x.shape[:2]
    o, out_size = y.shape[1], y.shape[2:]
    rows = (c // groups) * math.prod(kernel_size)
    inner = _batch_inner(n, stride, out_size, rows * groups * n * math.prod(out_size),
                         x.size + y.size, "copy")
    cols = _im2col(x, kernel_size, stride, padding, dilation, out_size, groups, inner)
    grad = _grad_columns(y, groups, inner)
    # cols @ y^T (then a small transpose): OpenBLAS runs this long-inner-dimension product
    # faster than y @ cols^T
    if inner:
        grad_w = np.matmul(cols, grad.transpose(0, 2, 1))              # (G, C/G*K, O/G)
    else:                                  # one product per sample, summed a chunk at a time
        chunk = max(1, _WEIGHT_CHUNK // (rows * o))
        grad_w = np.zeros((groups, rows, o // groups), dtype=cols.dtype)
        for i in range(0, n, chunk):
            grad_w += np.matmul(cols[i:i + chunk], grad[i:i + chunk].transpose(0, 1, 3, 2)).sum(0)
    return np.ascontiguousarray(grad_w.transpose(0, 2, 1)).reshape(
        (o, c // groups) + tuple(kernel_size))


# --------------------------------------------------------------------------- primitives
class _Conv(Primitive):
    """conv(x, w): x (N, C, *S), w (O, C/G, *K) -> (N, O, *P); bilinear."""

    name = "conv"
    formula = ("upstream convolved back with {y} (a transposed convolution)",
               "upstream correlated with {x}")

    def forward(self, x, w, stride, padding, dilation, groups):
        return _conv_forward(x, w, stride, padding, dilation, groups)

    def vjp(self, needs, grad, out, x, w, **geometry):
        grad_x = (_conv_transpose(grad, w, input_size=shape_of(x)[2:], **geometry)
                  if needs[0] else None)
        grad_w = (_conv_weight(x, grad, kernel_size=shape_of(w)[2:], **geometry)
                  if needs[1] else None)
        return grad_x, grad_w

    def jvp(self, tangents, out, x, w, **geometry):
        tangent_x, tangent_w = tangents
        result = None if tangent_x is None else _conv(tangent_x, w, **geometry)
        if tangent_w is not None:
            term = _conv(x, tangent_w, **geometry)
            result = term if result is None else result + term
        return result


class _ConvTranspose(Primitive):
    """conv_transpose(y, w): y (N, O, *P), w (O, C/G, *K) -> (N, C, *input_size); bilinear.

    ``stride, padding, dilation, groups`` are those of the convolution it is the adjoint of.
    """

    name = "conv_transpose"

    def forward(self, y, w, stride, padding, dilation, groups, input_size):
        return _conv_transpose_forward(y, w, stride, padding, dilation, groups, input_size)

    def vjp(self, needs, grad, out, y, w, input_size, **geometry):
        grad_y = _conv(grad, w, **geometry) if needs[0] else None
        grad_w = (_conv_weight(grad, y, kernel_size=shape_of(w)[2:], **geometry)
                  if needs[1] else None)
        return grad_y, grad_w

    def jvp(self, tangents, out, y, w, input_size, **geometry):
        tangent_y, tangent_w = tangents
        result = (None if tangent_y is None
                  else _conv_transpose(tangent_y, w, input_size=input_size, **geometry))
        if tangent_w is not None:
            term = _conv_transpose(y, tangent_w, input_size=input_size, **geometry)
            result = term if result is None else result + term
        return result


class _ConvWeight(Primitive):
    """conv_weight(x, y): x (N, C, *S), y (N, O, *P) -> (O, C/G, *kernel_size); bilinear."""

    name = "conv_weight"

    def forward(self, x, y, stride, padding, dilation, groups, kernel_size):
        return _conv_weight_forward(x, y, stride, padding, dilation, groups, kernel_size)

    def vjp(self, needs, grad, out, x, y, kernel_size, **geometry):
        grad_x = (_conv_transpose(y, grad, input_size=shape_of(x)[2:], **geometry)
                  if needs[0] else None)
        grad_y = _conv(x, grad, **geometry) if needs[1] else None
        return grad_x, grad_y

    def jvp(self, tangents, out, x, y, kernel_size, **geometry):
        tangent_x, tangent_y = tangents
        result = (None if tangent_x is None
                  else _conv_weight(tangent_x, y, kernel_size=kernel_size, **geometry))
        if tangent_y is not None:
            term = _conv_weight(x, tangent_y, kernel_size=kernel_size, **geometry)
            result = term if result is None else result + term
        return result


_CONV, _CONV_TRANSPOSE, _CONV_WEIGHT = _Conv(), _ConvTranspose(), _ConvWeight()


def _conv(x, w, **geometry):
    return apply(_CONV, x, w, **geometry)


def _conv_transpose(y, w, **geometry):
    return apply(_CONV_TRANSPOSE, y, w, **geometry)


def _conv_weight(x, y, **geometry):
    return apply(_CONV_WEIGHT, x, y, **geometry)


# --------------------------------------------------------------------------- checks
def _check_float(value, what, op):
    data = data_of(value)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(value).__name__}")
    if data.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a floating-point tensor, got dtype {data.dtype}")


def _check_input(x, nd, channels, op, weight_note=""):
    """Validate x's rank and channel count; returns whether it is batched.

    A tensor with one axis less than (N, C, *S) is an unbatched (C, *S) sample, as PyTorch.
    """
    shape = tuple(shape_of(x))
    if len(shape) not in (nd + 1, nd + 2):
        msg = (f"{op}: expected a {nd + 2}-D input {_LAYOUT[nd]} or an unbatched {nd + 1}-D input "
               f"(C, {_SPATIAL[nd]}), got shape {shape}")
        if len(shape) == nd and channels == 1:
            msg += f"; for one single-channel sample add the channel axis: shape {(1,) + shape}"
        raise ValueError(msg)
    batched = len(shape) == nd + 2
    got = shape[1] if batched else shape[0]
    if got != channels:
        layout = f"(N, {channels}, {_SPATIAL[nd]})"
        plural = "s" if channels != 1 else ""
        msg = (f"{op}: expected input with {channels} channel{plural} {layout}{weight_note}, "
               f"got shape {shape}")
        if not batched:
            msg += f"; a {nd + 1}-D input is read as one unbatched sample (C, {_SPATIAL[nd]})"
            if channels == 1:
                msg += (f" -- for a batch of {shape[0]} single-channel samples use shape "
                        f"{(shape[0], 1) + shape[1:]}")
        raise ValueError(msg)
    return batched


def _check_kernel_fits(size, kernel, padding, dilation, op):
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, padding))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < s for p, s in zip(padded, span)):
        raise ValueError(
            f"{op}: kernel size {tuple(kernel)} (dilated extent {span}) is larger than the padded "
            f"input {padded} (input {tuple(size)} plus padding {tuple(padding)})")


def _add_bias(out, bias, channels, nd, op):
    if bias is None:
        return out
    _check_float(bias, "bias", op)
    if tuple(shape_of(bias)) != (channels,):
        raise ValueError(f"{op}: expected bias of shape ({channels},), got {tuple(shape_of(bias))}")
    return out + ops.reshape(bias, (1, channels) + (1,) * nd)


# --------------------------------------------------------------------------- public functions
def _conv_nd(nd, op, input, weight, bias, stride, padding, dilation, groups):
    _check_float(input, "input", op)
    _check_float(weight, "weight", op)
    w_shape = tuple(shape_of(weight))
    if len(w_shape) != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-D weight (out_channels, in_channels/groups, "
                         f"{_KERNEL[nd]}), got shape {w_shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    out_channels = w_shape[0]
    if out_channels % groups:
        raise ValueError(f"{op}: out_channels ({out_channels}, weight shape {w_shape}) must be "
                         f"divisible by groups ({groups})")
    in_channels = w_shape[1] * groups
    note = f" to match weight of shape {w_shape}" + (f" and groups={groups}" if groups > 1 else "")
    batched = _check_input(input, nd, in_channels, op, note)
    kernel = w_shape[2:]
    stride = _tuple(stride, nd, "stride", op, minimum=1)
    dilation = _tuple(dilation, nd, "dilation", op, minimum=1)
    pads = _padding_pairs(padding, nd, kernel, stride, dilation, op)
    x = input if batched else ops.expand_dims(input, 0)
    _check_kernel_fits(shape_of(x)[2:], kernel, pads, dilation, op)
    out = _conv(x, weight, stride=stride, padding=pads, dilation=dilation, groups=groups)
    out = _add_bias(out, bias, out_channels, nd, op)
    return out if batched else ops.squeeze(out, 0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation). input (N, C_in, L) or (C_in, L);
    weight (C_out, C_in/groups, kL); bias (C_out,) -> (N, C_out, L_out).

    ``padding``: an int, ``(p,)``, per-side ``((lo, hi),)``, ``"valid"`` or ``"same"``.
    """
    return _conv_nd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation). input (N, C_in, H, W) or (C_in, H, W);
    weight (C_out, C_in/groups, kH, kW); bias (C_out,) -> (N, C_out, H_out, W_out),
    H_out = floor((H + pad_top + pad_bottom - dilation*(kH-1) - 1) / stride) + 1.

    ``padding``: an int, a per-axis tuple, per-side pairs ``((top, bottom), (left, right))``,
    ``"valid"`` or ``"same"`` (stride 1; an odd total pads one more on the bottom/right).
    """
    return _conv_nd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation). input (N, C_in, D, H, W) or (C_in, D, H, W);
    weight (C_out, C_in/groups, kD, kH, kW); bias (C_out,) -> (N, C_out, D_out, H_out, W_out)."""
    return _conv_nd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(nd, op, input, weight, bias, stride, padding, output_padding, groups,
                       dilation):
    _check_float(input, "input", op)
    _check_float(weight, "weight", op)
    w_shape = tuple(shape_of(weight))
    if len(w_shape) != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-D weight (in_channels, out_channels/groups, "
                         f"*kernel_size), got shape {w_shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    in_channels = w_shape[0]
    if in_channels % groups:
        raise ValueError(f"{op}: in_channels ({in_channels}, weight shape {w_shape}) must be "
                         f"divisible by groups ({groups})")
    batched = _check_input(input, nd, in_channels, op, f" to match weight of shape {w_shape}")
    kernel = w_shape[2:]
    stride = _tuple(stride, nd, "stride", op, minimum=1)
    dilation = _tuple(dilation, nd, "dilation", op, minimum=1)
    if isinstance(padding, str):
        raise ValueError(f"{op}: string padding ({padding!r}) is not supported for transposed "
                         f"convolutions; give an int or a tuple")
    pad = _tuple(padding, nd, "padding", op)
    out_pad = _tuple(output_padding, nd, "output_padding", op)
    for p, s, d in zip(out_pad, stride, dilation):
        if p >= s and p >= d:
            raise ValueError(f"{op}: output_padding {out_pad} must be smaller than either stride "
                             f"{stride} or dilation {dilation}")
    x = input if batched else ops.expand_dims(input, 0)
    size = shape_of(x)[2:]
    out_size = tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1
                     for n, s, p, d, k, q in zip(size, stride, pad, dilation, kernel, out_pad))
    if any(n < 1 for n in out_size):
        raise ValueError(f"{op}: the output size {out_size} computed from input {tuple(size)}, "
                         f"kernel {kernel}, stride {stride}, padding {pad}, dilation "
                         f"{dilation} and output_padding {out_pad} is too small")
    # The adjoint of a convolution of an out_size input with padding (p, p - output_padding):
    # that convolution maps out_size back to exactly `size`.
    pads = tuple((p, p - q) for p, q in zip(pad, out_pad))
    out = _conv_transpose(x, weight, stride=stride, padding=pads, dilation=dilation,
                          groups=groups, input_size=out_size)
    out = _add_bias(out, bias, w_shape[1] * groups, nd, op)
    return out if batched else ops.squeeze(out, 0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (the adjoint of conv1d in its input). input (N, C_in, L);
    weight (C_in, C_out/groups, kL) -> (N, C_out, L_out),
    L_out = (L - 1)*stride - 2*padding + dilation*(kL - 1) + output_padding + 1."""
    return _conv_transpose_nd(1, "conv_transpose1d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution (the adjoint of conv2d in its input). input (N, C_in, H, W);
    weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out),
    H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1."""
    return _conv_transpose_nd(2, "conv_transpose2d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution (the adjoint of conv3d in its input). input (N, C_in, D, H, W);
    weight (C_in, C_out/groups, kD, kH, kW) -> (N, C_out, D_out, H_out, W_out)."""
    return _conv_transpose_nd(3, "conv_transpose3d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)
