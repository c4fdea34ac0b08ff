"""Pooling: max, average and adaptive pooling over 1, 2 or 3 spatial axes (PyTorch's semantics).

Every pooling is built from two linear transpose pairs, so derivatives of every order
close over them:

* **max pooling = a gather at the argmax.** Given the indices of the maxima, the output
  is ``gather(x, indices)``, linear in x; its VJP is ``scatter(grad, indices)`` (the
  "max gate": the gradient goes to the element that won), and the scatter's VJP is the
  gather again. Ties go to the first maximum in the window's row-major scan order; a
  NaN wins over any number (the last NaN of the window), as PyTorch's CPU kernels.
* **average pooling = a window sum times a constant.** ``window_sum`` adds each
  window; its transpose ``window_sum_transpose`` spreads each gradient over its
  window. The divisor follows PyTorch (``count_include_pad``, ``ceil_mode`` windows
  clipped to the padded input, ``divisor_override``).
* **adaptive average pooling** is separable: one constant averaging matrix per axis
  (``matmul``), or a window sum when every axis divides evenly.

Shapes: input (N, C, *S) or unbatched (C, *S); output (N, C, *O).
"""
import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import ops
from ...core.apply import apply
from ...core.modes import STATE
from ...core.primitive import Primitive
from ...ops._util import data_of, shape_of
from ...tensor import Tensor
from .conv import _LAYOUT, _SPATIAL, _padded, _tuple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]


# --------------------------------------------------------------------------- geometry
def _pool_geometry(size, kernel, stride, padding, dilation, ceil_mode, op):
    """Output size and per-side padding ((lo, hi), ...) that covers exactly the windows.

    ``hi`` may exceed the padding (ceil_mode windows that run past the input) or be
    negative (trailing input that no window reaches).
    """
    out_size, pairs = [], []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if p > k // 2:
            raise ValueError(f"{op}: padding {tuple(padding)} should be at most half of the "
                             f"kernel size {tuple(kernel)}")
        span = d * (k - 1) + 1
        o = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1  # the last window must start inside the input or its left padding
        if o < 1:
            raise ValueError(f"{op}: input spatial size {tuple(size)} with kernel {tuple(kernel)}, "
                             f"stride {tuple(stride)}, padding {tuple(padding)} and dilation "
                             f"{tuple(dilation)} gives an output size below 1: the output size "
                             f"is too small")
        out_size.append(o)
        pairs.append((p, (o - 1) * s + span - n - p))
    return tuple(out_size), tuple(pairs)


def _windows(xp, kernel, stride, dilation, out_size):
    """The view (*K, N, C, *O) of the windows of a padded xp (N, C, *Sp)."""
    st = xp.strides
    spatial = st[2:]
    shape = tuple(kernel) + xp.shape[:2] + tuple(out_size)
    strides = (tuple(s * d for s, d in zip(spatial, dilation)) + st[:2]
               + tuple(s * t for s, t in zip(spatial, stride)))
    return as_strided(xp, shape, strides, writeable=False)


def _offset_slices(offset, stride, dilation, out_size):
    """Spatial slices of the padded input read by kernel offset ``offset`` for every window."""
    return tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                 for k, d, o, s in zip(offset, dilation, out_size, stride))


def _plane_strides(size):
    strides, acc = [], 1
    for n in reversed(size):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


# --------------------------------------------------------------------------- gather / scatter
def _global(indices, plane):
    """Per-plane flat indices (N, C, *O) as indices into the flattened (N, C, plane) array."""
    n, c = indices.shape[:2]
    rows = np.arange(n * c, dtype=np.intp).reshape(n, c, *([1] * (indices.ndim - 2))) * plane
    return (indices + rows).ravel()


class _Gather(Primitive):
    """x (N, C, *S) read at per-plane flat ``indices`` (N, C, *O) -> (N, C, *O); linear in x.

    ``values``, when given, is the result already computed by the caller (max pooling finds
    the maxima while searching for them), which saves a pass over the input.
    """

    needs_inputs = False

    def __init__(self, name):
        self.name = name

    def forward(self, x, indices, unique, values=None):
        if values is not None:
            return values
        plane = math.prod(x.shape[2:])
        return x.reshape(-1)[_global(indices, plane)].reshape(indices.shape)

    def vjp(self, needs, grad, out, x, indices, unique, values=None):
        return (_scatter(grad, indices=indices, size=tuple(shape_of(x)[2:]), unique=unique),)

    def jvp(self, tangents, out, x, indices, unique, values=None):
        return _gather(tangents[0], indices=indices, unique=unique)


class _Scatter(Primitive):
    """grad (N, C, *O) added into zeros (N, C, *size) at per-plane flat ``indices``: the
    transpose of the gather. ``unique``: no index repeats within a plane (non-overlapping
    windows), so plain assignment suffices."""

    name = "pool_scatter"
    needs_inputs = False

    def forward(self, grad, indices, size, unique):
        n, c = grad.shape[:2]
        plane = math.prod(size)
        out = np.zeros(n * c * plane, dtype=grad.dtype)
        where = _global(indices, plane)
        if unique:
            out[where] = grad.reshape(-1)
        else:
            np.add.at(out, where, grad.reshape(-1))
        return out.reshape((n, c) + tuple(size))

    def vjp(self, needs, grad, out, g, indices, size, unique):
        return (_gather(grad, indices=indices, unique=unique),)

    def jvp(self, tangents, out, g, indices, size, unique):
        return _scatter(tangents[0], indices=indices, size=size, unique=unique)


_MAX_POOL, _GATHER, _SCATTER = _Gather("max_pool"), _Gather("pool_gather"), _Scatter()


def _gather(x, **params):
    return apply(_GATHER, x, **params)


def _scatter(grad, **params):
    return apply(_SCATTER, grad, **params)


# --------------------------------------------------------------------------- window sums
def _window_sum_forward(x, kernel, stride, padding, dilation):
    xp = _padded(x, padding, batch_inner=False)
    out_size = tuple((n - d * (k - 1) - 1) // s + 1
                     for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation))
    every = (slice(None), slice(None))
    out = None
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = xp[every + _offset_slices(offset, stride, dilation, out_size)]
        if out is None:
            out = np.array(window)
        else:
            out += window
    return out


def _window_sum_transpose_forward(grad, kernel, stride, padding, dilation, input_size):
    out_size = grad.shape[2:]
    spatial = tuple(n + lo + max(hi, 0) for n, (lo, hi) in zip(input_size, padding))
    buf = np.zeros(grad.shape[:2] + spatial, dtype=grad.dtype)
    every = (slice(None), slice(None))
    for offset in itertools.product(*(range(k) for k in kernel)):
        buf[every + _offset_slices(offset, stride, dilation, out_size)] += grad
    if all(lo == 0 and hi <= 0 for lo, hi in padding):
        return buf
    crop = every + tuple(slice(lo, lo + n) for n, (lo, _) in zip(input_size, padding))
    return np.ascontiguousarray(buf[crop])


class _WindowSum(Primitive):
    """x (N, C, *S) -> (N, C, *O): the sum of each (zero-padded) window; linear."""

    name = "window_sum"
    needs_inputs = False

    def forward(self, x, kernel, stride, padding, dilation):
        return _window_sum_forward(x, kernel, stride, padding, dilation)

    def vjp(self, needs, grad, out, x, **geometry):
        return (_window_sum_transpose(grad, input_size=tuple(shape_of(x)[2:]), **geometry),)

    def jvp(self, tangents, out, x, **geometry):
        return _window_sum(tangents[0], **geometry)


class _WindowSumTranspose(Primitive):
    """grad (N, C, *O) -> (N, C, *input_size): each value added over its window; linear."""

    name = "window_sum_transpose"
    needs_inputs = False

    def forward(self, grad, kernel, stride, padding, dilation, input_size):
        return _window_sum_transpose_forward(grad, kernel, stride, padding, dilation, input_size)

    def vjp(self, needs, grad, out, g, input_size, **geometry):
        return (_window_sum(grad, **geometry),)

    def jvp(self, tangents, out, g, input_size, **geometry):
        return _window_sum_transpose(tangents[0], input_size=input_size, **geometry)


_WINDOW_SUM, _WINDOW_SUM_T = _WindowSum(), _WindowSumTranspose()


def _window_sum(x, **geometry):
    return apply(_WINDOW_SUM, x, **geometry)


def _window_sum_transpose(grad, **geometry):
    return apply(_WINDOW_SUM_T, grad, **geometry)


# --------------------------------------------------------------------------- input handling
def _prepare(input, nd, op):
    """(x as a batched tensor, whether the input was batched)."""
    from .conv import _check_float
    _check_float(input, "input", op)
    data = data_of(input)
    if data.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected a {nd + 2}-D input {_LAYOUT[nd]} or an unbatched "
                         f"{nd + 1}-D input (C, {_SPATIAL[nd]}), got shape {data.shape}")
    batched = data.ndim == nd + 2
    return (input if batched else ops.expand_dims(input, 0)), batched


def _finish(out, batched):
    return out if batched else ops.squeeze(out, 0)


def _pool_args(nd, op, kernel_size, stride, padding, dilation=1):
    kernel = _tuple(kernel_size, nd, "kernel_size", op, minimum=1)
    stride = kernel if stride is None or stride == () or stride == [] else \
        _tuple(stride, nd, "stride", op, minimum=1)
    return kernel, stride, _tuple(padding, nd, "padding", op), \
        _tuple(dilation, nd, "dilation", op, minimum=1)


# --------------------------------------------------------------------------- max pooling
def _first_max(cols):
    """(max, index) over axis 0 of cols (K, M) with PyTorch's rule: a later element wins only
    when strictly greater, or when it is NaN. Arithmetic only (masked copies are slow)."""
    best = np.array(cols[0])
    count = cols.shape[0]
    index_dtype = np.dtype(np.int8 if count < 128 else np.int16 if count < 32768 else np.int32)
    index = np.zeros(best.shape, dtype=index_dtype)
    for k in range(1, count):
        row = cols[k]
        wins = row > best
        wins |= np.isnan(row)
        # updates happen at increasing k, so the last winner is the largest k * wins
        np.maximum(index, wins.astype(index_dtype) * index_dtype.type(k), out=index)
        np.maximum(best, row, out=best)  # NaN propagates, as in PyTorch
    return best, index


def _max_values(x, kernel, stride, pairs, dilation, out_size):
    """Only the maxima (N, C, *O): the window offsets folded with np.maximum (NaN propagates)."""
    xp = _padded(x, pairs, batch_inner=False, value=-np.inf)
    every = (slice(None), slice(None))
    out = None
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = xp[every + _offset_slices(offset, stride, dilation, out_size)]
        out = np.array(window) if out is None else np.maximum(out, window, out=out)
    return out


def _max_pool_search(x, kernel, stride, pairs, dilation, out_size):
    """Values (N, C, *O) and per-plane flat indices of the maxima (PyTorch's return_indices)."""
    lowest = -np.inf
    xp = _padded(x, pairs, batch_inner=False, value=lowest)
    k_count = math.prod(kernel)
    cols = _windows(xp, kernel, stride, dilation, out_size).reshape(k_count, -1)
    best, arg = _first_max(cols)
    size = x.shape[2:]
    plane = _plane_strides(size)
    # index = window origin (unpadded) + the offset of the chosen kernel element
    origin = np.zeros(out_size, dtype=np.intp)
    for axis, (o, s, (lo, _), st) in enumerate(zip(out_size, stride, pairs, plane)):
        shape = [1] * len(out_size)
        shape[axis] = o
        origin = origin + ((np.arange(o) * s - lo) * st).reshape(shape)
    offsets = np.zeros(kernel, dtype=np.intp)
    for axis, (k, d, st) in enumerate(zip(kernel, dilation, plane)):
        shape = [1] * len(kernel)
        shape[axis] = k
        offsets = offsets + (np.arange(k) * d * st).reshape(shape)
    offsets = offsets.ravel()
    n, c = x.shape[:2]
    indices = origin + np.take(offsets, arg).reshape((n, c) + tuple(out_size))
    if any(lo or hi > 0 for lo, hi in pairs) and np.isneginf(best).any():
        indices = _fix_padding_winners(indices, best, arg, kernel, stride, pairs, dilation,
                                       out_size, size, offsets, origin)
    return best.reshape((n, c) + tuple(out_size)), indices


def _real_cells(kernel, dilation, out_size, stride, pairs, size):
    """(K, P) bool: does kernel offset k of window p read a real (unpadded) element?"""
    valid = np.ones((1, 1), dtype=bool)
    for k, d, o, s, (lo, _), n in zip(kernel, dilation, out_size, stride, pairs, size):
        pos = np.arange(k)[:, None] * d + np.arange(o)[None, :] * s - lo
        ok = (pos >= 0) & (pos < n)                                   # (k, o)
        valid = (valid[:, None, :, None] & ok[None, :, None, :]).reshape(
            valid.shape[0] * k, valid.shape[1] * o)                   # row-major (k..., p...)
    return valid


def _fix_padding_winners(indices, best, arg, kernel, stride, pairs, dilation, out_size, size,
                         offsets, origin):
    """A window whose real elements are all -inf kept a padding cell; move it to the window's
    first real element (PyTorch never reads padding)."""
    valid = _real_cells(kernel, dilation, out_size, stride, pairs, size)
    positions = valid.shape[1]
    flat_arg = arg.reshape(-1, positions).astype(np.intp)
    chosen_real = valid[flat_arg, np.arange(positions)[None, :]]
    bad = ~chosen_real & np.isneginf(best.reshape(-1, positions))
    if bad.any():
        first_real = origin.reshape(-1) + offsets[np.argmax(valid, axis=0)]     # (P,)
        out = indices.reshape(-1, positions)
        out[bad] = np.broadcast_to(first_real, out.shape)[bad]
        indices = out.reshape(indices.shape)
    return indices


def _max_pool_nd(nd, op, input, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices):
    x, batched = _prepare(input, nd, op)
    kernel, stride, padding, dilation = _pool_args(nd, op, kernel_size, stride, padding, dilation)
    size = tuple(shape_of(x)[2:])
    out_size, pairs = _pool_geometry(size, kernel, stride, padding, dilation, ceil_mode, op)
    data = data_of(x)
    unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    if not (return_indices or STATE.levels
            or STATE.grad_enabled and getattr(x, "requires_grad", False)):
        # nothing will differentiate this call: the maxima suffice, no search for their indices
        values = _max_values(data, kernel, stride, pairs, dilation, out_size)
        return _finish(apply(_MAX_POOL, x, indices=None, unique=unique, values=values), batched)
    values, indices = _max_pool_search(data, kernel, stride, pairs, dilation, out_size)
    out = _finish(apply(_MAX_POOL, x, indices=indices, unique=unique, values=values), batched)
    if return_indices:
        return out, Tensor(indices if batched else indices[0])
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window of (N, C, L) or (C, L) -> (N, C, L_out),
    L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1 (ceil with
    ``ceil_mode``). Padding is -inf. ``return_indices``: also the flat index of each maximum."""
    return _max_pool_nd(1, "max_pool1d", input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window of (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out).

    The gradient goes to the maximum of each window (ties: the first in row-major order;
    NaN: the last NaN). ``return_indices``: also the indices of the maxima, flat over H*W
    of the unpadded input (PyTorch's format). stride defaults to kernel_size."""
    return _max_pool_nd(2, "max_pool2d", input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window of (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""
    return _max_pool_nd(3, "max_pool3d", input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


# --------------------------------------------------------------------------- average pooling
def _avg_divisor(size, kernel, stride, padding, out_size, count_include_pad):
    """PyTorch's divisor per output position: the window clipped to the padded input (or to
    the input itself without count_include_pad). A float when it is the same everywhere."""
    per_axis = []
    for n, k, s, p, o in zip(size, kernel, stride, padding, out_size):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            per_axis.append(end - start)
        else:
            per_axis.append(np.minimum(end, n) - np.maximum(start, 0))
    divisor = per_axis[0]
    for counts in per_axis[1:]:
        divisor = np.multiply.outer(divisor, counts)
    first = divisor.flat[0]
    return float(first) if (divisor == first).all() else divisor


def _avg_pool_nd(nd, op, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    x, batched = _prepare(input, nd, op)
    kernel, stride, padding, dilation = _pool_args(nd, op, kernel_size, stride, padding)
    size = tuple(shape_of(x)[2:])
    out_size, pairs = _pool_geometry(size, kernel, stride, padding, dilation, ceil_mode, op)
    sums = _window_sum(x, kernel=kernel, stride=stride, padding=pairs, dilation=dilation)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must be a non-zero int, got "
                             f"{divisor_override!r}")
        divisor = float(divisor_override)
    else:
        divisor = _avg_divisor(size, kernel, stride, padding, out_size, count_include_pad)
    if isinstance(divisor, float):
        out = sums * (1.0 / divisor)
    else:
        out = sums * (1.0 / divisor).astype(data_of(x).dtype)
    return _finish(out, batched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of (N, C, L) or (C, L) -> (N, C, L_out); zero padding, counted in
    the divisor unless ``count_include_pad=False``. stride defaults to kernel_size."""
    return _avg_pool_nd(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out).

    The divisor is PyTorch's: the window size clipped to the padded input (``ceil_mode``
    windows that run past it count only what they cover), the real elements only with
    ``count_include_pad=False``, or ``divisor_override``."""
    return _avg_pool_nd(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""
    return _avg_pool_nd(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


# --------------------------------------------------------------------------- adaptive pooling
def _adaptive_output(output_size, size, nd, op):
    if output_size is None or isinstance(output_size, (int, np.integer)):
        output_size = (output_size,) * nd
    if not isinstance(output_size, (tuple, list)) or len(output_size) != nd:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {nd} ints (None keeps "
                         f"an axis), got {output_size!r}")
    out = tuple(n if o is None else o for o, n in zip(output_size, size))
    if any(not isinstance(o, (int, np.integer)) or isinstance(o, bool) or o < 1 for o in out):
        raise ValueError(f"{op}: output_size entries must be positive ints, got {output_size!r}")
    return tuple(int(o) for o in out)


def _adaptive_bounds(n, o):
    """PyTorch's windows: [floor(i*n/o), ceil((i+1)*n/o)) for i < o."""
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _adaptive_avg_nd(nd, op, input, output_size):
    x, batched = _prepare(input, nd, op)
    size = tuple(shape_of(x)[2:])
    out_size = _adaptive_output(output_size, size, nd, op)
    spatial_axes = tuple(range(2, 2 + nd))
    if all(o == 1 for o in out_size):
        out = ops.mean(x, axis=spatial_axes, keepdims=True)
    elif all(n % o == 0 for n, o in zip(size, out_size)) and \
            math.prod(n // o for n, o in zip(size, out_size)) <= 64:
        kernel = tuple(n // o for n, o in zip(size, out_size))
        sums = _window_sum(x, kernel=kernel, stride=kernel, padding=((0, 0),) * nd,
                           dilation=(1,) * nd)
        out = sums * (1.0 / math.prod(kernel))
    else:
        # separable: average along one axis at a time with a constant (o, n) matrix
        dtype = data_of(x).dtype
        out = x
        for axis, (n, o) in enumerate(zip(size, out_size), start=2):
            if n == o:
                continue
            start, end = _adaptive_bounds(n, o)
            weights = np.zeros((o, n), dtype=dtype)
            for i in range(o):
                weights[i, start[i]:end[i]] = 1.0 / (end[i] - start[i])
            moved = ops.moveaxis(out, axis, -1)
            out = ops.moveaxis(ops.matmul(moved, weights.T), -1, axis)
    return _finish(out, batched)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to (N, C, output_size) with PyTorch's windows
    [floor(i*L/out), ceil((i+1)*L/out))."""
    return _adaptive_avg_nd(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to (N, C, *output_size); an int means a
    square output and None keeps that axis. output_size 1 is global average pooling."""
    return _adaptive_avg_nd(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to (N, C, *output_size)."""
    return _adaptive_avg_nd(3, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max_nd(nd, op, input, output_size, return_indices):
    x, batched = _prepare(input, nd, op)
    size = tuple(shape_of(x)[2:])
    out_size = _adaptive_output(output_size, size, nd, op)
    data = data_of(x)
    n, c = data.shape[:2]
    bounds = [_adaptive_bounds(m, o) for m, o in zip(size, out_size)]
    plane = _plane_strides(size)
    indices = np.empty((n * c,) + out_size, dtype=np.intp)
    rows = data.reshape((n * c,) + size)
    for position in itertools.product(*(range(o) for o in out_size)):
        lows = [int(b[0][i]) for b, i in zip(bounds, position)]
        highs = [int(b[1][i]) for b, i in zip(bounds, position)]
        window = rows[(slice(None),) + tuple(slice(a, b) for a, b in zip(lows, highs))]
        shape = window.shape[1:]
        best, arg = _first_max(window.reshape(n * c, -1).T)
        local = np.unravel_index(arg.astype(np.intp), shape)
        flat = sum((lo + l) * st for lo, l, st in zip(lows, local, plane))
        indices[(slice(None),) + position] = flat
    indices = indices.reshape((n, c) + out_size)
    out = _finish(apply(_MAX_POOL, x, indices=indices, unique=False), batched)
    if return_indices:
        return out, Tensor(indices if batched else indices[0])
    return out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to (N, C, output_size) over PyTorch's adaptive windows."""
    return _adaptive_max_nd(1, "adaptive_max_pool1d", input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) or (C, H, W) to (N, C, *output_size) over PyTorch's
    adaptive windows; the gradient goes to each window's maximum."""
    return _adaptive_max_nd(2, "adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to (N, C, *output_size)."""
    return _adaptive_max_nd(3, "adaptive_max_pool3d", input, output_size, return_indices)
