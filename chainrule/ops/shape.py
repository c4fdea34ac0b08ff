"""Shape functions. Structural primitives come in transpose pairs so higher order stays closed:
reshape<->reshape, transpose<->transpose, broadcast_to<->sum_to, concatenate<->slicing,
pad<->slicing, flip<->flip, tril<->tril. The rest are compositions.
"""
import builtins

import numpy as np

from ..core.apply import apply
from ..core.backward import sum_to_shape
from ..core.primitive import Primitive, linear, nondifferentiable
from ..tensor import Tensor
from ._util import (as_tensor_like, axis_error, data_of, dtype_of, normalize_axes, numeric_input,
                    shape_of)
from .indexing import getitem


def _shape_arg(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


# --------------------------------------------------------------------------- reshape family
def _reshape_forward(x, shape):
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {np.shape(x)} "
                         f"({np.size(x)} elements) into shape {shape}") from None


_RESHAPE = linear("reshape", _reshape_forward,
                  transpose=lambda grad, x, shape: reshape(grad, shape_of(x)),
                  formula="1: upstream reshaped back to {shape}").primitive


def reshape(x, shape, *more):
    """x with a new shape (one entry may be -1). ``reshape(x, 2, 3)`` is accepted too."""
    shape = _shape_arg(shape) + tuple(more) if more else _shape_arg(shape)
    if shape_of(x) == shape:
        return x if hasattr(x, "node") else apply(_RESHAPE, x, shape=shape)
    return apply(_RESHAPE, x, shape=shape)


reshape.primitive = _RESHAPE


def _transpose_forward(x, axes=None):
    return np.transpose(x, axes)


def _inverse_axes(axes):
    return tuple(np.argsort(axes))


_TRANSPOSE = linear(
    "transpose", _transpose_forward,
    transpose=lambda grad, x, axes=None: transpose(grad, None if axes is None else _inverse_axes(axes)),
    formula="1: upstream transposed back").primitive


def transpose(x, axes=None, *more):
    """Permute axes (default: reverse them), as np.transpose."""
    if more:
        axes = (axes,) + more
    if axes is not None:
        axes = tuple(int(a) % builtins.max(len(shape_of(x)), 1) for a in axes)
        if sorted(axes) != list(range(len(shape_of(x)))):
            raise ValueError(f"transpose: axes {axes} don't match a tensor of shape {shape_of(x)}")
    return apply(_TRANSPOSE, x, axes=axes)


transpose.primitive = _TRANSPOSE
permute_dims = transpose


def swapaxes(x, axis1, axis2):
    """Interchange two axes."""
    nd = len(shape_of(x))
    axes = list(range(nd))
    a, b = normalize_axes(axis1, nd, "swapaxes")[0], normalize_axes(axis2, nd, "swapaxes")[0]
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, tuple(axes))


def moveaxis(x, source, destination):
    """Move axes to new positions (np.moveaxis)."""
    nd = len(shape_of(x))
    source = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    destination = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must have "
                         "the same number of elements")
    src = [normalize_axes(s, nd, "moveaxis (source)")[0] for s in source]
    dst = [normalize_axes(d, nd, "moveaxis (destination)")[0] for d in destination]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in source {source} or destination {destination}")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def squeeze(x, axis=None):
    """Remove axes of length one (all of them, or those in ``axis``)."""
    shape = shape_of(x)
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = normalize_axes(axis, len(shape), "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size "
                                 f"not equal to one (axis {a} of shape {shape})")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(x, new)


def expand_dims(x, axis):
    """Insert axes of length one at ``axis`` (int or tuple)."""
    shape = list(shape_of(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = len(shape) + len(axes)
    for a in normalize_axes(axes, nd, "expand_dims"):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


unsqueeze = expand_dims


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one (PyTorch's flatten; defaults flatten everything)."""
    shape = shape_of(x)
    nd = len(shape)
    if nd == 0:
        return reshape(x, (1,))
    s, e = start_dim % nd, end_dim % nd
    merged = 1
    for n in shape[s:e + 1]:
        merged *= n
    return reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def ravel(x):
    """The flattened 1-D tensor."""
    return reshape(x, (-1,))


def _tensors(xs, op):
    """Checked inputs as Tensors (an ndarray or number in gives a Tensor out, as every op)."""
    return [as_tensor_like(numeric_input(x, op)) for x in xs]


def atleast_1d(*xs):
    xs = _tensors(xs, "atleast_1d")
    out = [x if len(shape_of(x)) >= 1 else reshape(x, (1,)) for x in xs]
    return out[0] if len(out) == 1 else out


def atleast_2d(*xs):
    xs = _tensors(xs, "atleast_2d")
    out = []
    for x in xs:
        nd = len(shape_of(x))
        out.append(x if nd >= 2 else reshape(x, (1,) * (2 - nd) + shape_of(x)))
    return out[0] if len(out) == 1 else out


def atleast_3d(*xs):
    xs = _tensors(xs, "atleast_3d")
    out = []
    for x in xs:
        shape = shape_of(x)
        if len(shape) == 0:
            x = reshape(x, (1, 1, 1))
        elif len(shape) == 1:
            x = reshape(x, (1, shape[0], 1))
        elif len(shape) == 2:
            x = reshape(x, shape + (1,))
        out.append(x)
    return out[0] if len(out) == 1 else out


# --------------------------------------------------------------------------- broadcasting
def _sum_to_forward(x, shape):
    return np.asarray(sum_to_shape(np.asarray(x), shape), order="C")  # (ascontiguousarray makes 0-d 1-d)


_BROADCAST_TO = linear("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                       transpose=lambda grad, x, shape: sum_to(grad, shape_of(x)),
                       formula="1: upstream summed over the broadcast axes").primitive
_SUM_TO = linear("sum_to", _sum_to_forward,
                 transpose=lambda grad, x, shape: broadcast_to(grad, shape_of(x)),
                 formula="1: upstream broadcast back to {shape}").primitive


def broadcast_to(x, shape):
    """x broadcast to ``shape`` (a read-only view); the gradient sums over the broadcast axes."""
    shape = _shape_arg(shape)
    try:
        np.broadcast_shapes(shape_of(x), shape)
        if np.broadcast_shapes(shape_of(x), shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {shape_of(x)} to "
                         f"shape {shape}") from None
    return apply(_BROADCAST_TO, x, shape=shape)


def sum_to(x, shape):
    """Sum x over the axes that broadcasting to x's shape would have added (the adjoint of broadcast_to)."""
    return apply(_SUM_TO, x, shape=_shape_arg(shape))


broadcast_to.primitive, sum_to.primitive = _BROADCAST_TO, _SUM_TO


def broadcast_arrays(*xs):
    shape = np.broadcast_shapes(*(shape_of(x) for x in xs))
    return [broadcast_to(x, shape) for x in xs]


# --------------------------------------------------------------------------- dtype and copies
def _astype_forward(x, dtype):
    return np.asarray(x).astype(dtype)


_ASTYPE = linear("astype", _astype_forward, weak=False, elementwise=True, formula="1",
                 transpose=lambda grad, x, dtype: astype(grad, dtype_of(x))).primitive
_ASTYPE_ND = nondifferentiable("astype", _astype_forward).primitive


def astype(x, dtype):
    """Cast to ``dtype``; differentiable between floating dtypes (integer results carry no gradient)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and np.dtype(dtype_of(x)).kind == "f":
        if dtype_of(x) == dtype and hasattr(x, "node"):
            return x
        return apply(_ASTYPE, x, dtype=dtype)
    return apply(_ASTYPE_ND, x, dtype=dtype)


astype.primitive = _ASTYPE

copy = linear("copy", lambda x: np.array(x, copy=True), transpose=lambda grad, x: grad,
              elementwise=True, formula="1",
              doc="A copy of x with its own data (the gradient passes through unchanged).")
identity = copy


# --------------------------------------------------------------------------- joining and splitting
def _concatenate_transpose(grad, *xs, axis=0):
    grads = []
    start = 0
    for x in xs:
        n = shape_of(x)[axis]
        key = (slice(None),) * (axis % len(shape_of(x))) + (slice(start, start + n),)
        grads.append(getitem(grad, key))
        start += n
    return tuple(grads)


_CONCATENATE = linear("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis),
                      transpose=_concatenate_transpose, nargs=None,
                      formula="1 on its own slice of upstream").primitive


def concatenate(xs, axis=0, *, dim=None):
    """Join a sequence of tensors along an existing axis (axis=None flattens first)."""
    if dim is not None:
        axis = dim
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate: need at least one tensor to concatenate")
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    shapes = [shape_of(x) for x in xs]
    nd = len(shapes[0])
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = normalize_axes(axis, nd, "concatenate")[0]
    for i, s in enumerate(shapes):
        if len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
            raise ValueError(f"concatenate: all input shapes must match except on axis {axis}, "
                             f"but input 0 has shape {shapes[0]} and input {i} has shape {s}")
    return apply(_CONCATENATE, *xs, axis=axis)


concatenate.primitive = _CONCATENATE
concat = cat = concatenate


def stack(xs, axis=0, *, dim=None):
    """Join tensors of one shape along a new axis. ``cr.stack`` builds a differentiable array from a list."""
    if dim is not None:
        axis = dim
    xs = list(xs)
    if not xs:
        raise ValueError("stack: need at least one tensor to stack")
    shapes = {shape_of(x) for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input tensors must have the same shape, got {sorted(shapes)}")
    xs = [as_tensor_like(x) for x in xs]
    nd = len(shape_of(xs[0])) + 1
    axis = normalize_axes(axis, nd, "stack")[0]
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def array(data, dtype=None):
    """A differentiable tensor from (nested) lists of Tensors, ndarrays and numbers (np.array).

    Lists holding Tensors are stacked (so the result is differentiable in each); the
    dtype is NumPy's for ndarray elements, and Python floats alone give the default dtype.
    """
    if isinstance(data, (list, tuple)) and any(_contains_tensor(d) for d in data):
        out = stack([array(d) for d in data])
        return astype(out, dtype) if dtype is not None else out
    if hasattr(data, "node"):
        return data if dtype is None else astype(data, dtype)
    if dtype is None and isinstance(data, (list, tuple)) and _contains_ndarray(data):
        return Tensor(np.array(data))
    return Tensor(data, dtype=dtype)


def _contains_ndarray(d):
    if isinstance(d, (np.ndarray, np.generic)):
        return True
    if isinstance(d, (list, tuple)):
        return any(_contains_ndarray(e) for e in d)
    return False


def _contains_tensor(d):
    if hasattr(d, "node"):
        return True
    if isinstance(d, (list, tuple)):
        return any(_contains_tensor(e) for e in d)
    return False


def hstack(xs):
    xs = atleast_1d(*xs) if len(xs) > 1 else [atleast_1d(xs[0])]
    return concatenate(xs, axis=0 if len(shape_of(xs[0])) == 1 else 1)


def vstack(xs):
    xs = atleast_2d(*xs) if len(xs) > 1 else [atleast_2d(xs[0])]
    return concatenate(xs, axis=0)


row_stack = vstack


def dstack(xs):
    xs = atleast_3d(*xs) if len(xs) > 1 else [atleast_3d(xs[0])]
    return concatenate(xs, axis=2)


def column_stack(xs):
    cols = [reshape(x, (-1, 1)) if len(shape_of(x)) == 1 else x for x in xs]
    return concatenate(cols, axis=1)


def append(x, values, axis=None):
    """np.append: flattens both when axis is None."""
    if axis is None:
        return concatenate([ravel(x), ravel(values)], axis=0)
    return concatenate([x, values], axis=axis)


def _split_points(n, indices_or_sections, op, equal):
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{op}: number of sections must be larger than 0")
        if equal and n % sections:
            raise ValueError(f"{op}: array split does not result in an equal division: "
                             f"axis of length {n} into {sections} sections")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        points = np.cumsum([0] + sizes)
        return list(zip(points[:-1], points[1:]))
    bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    return [(builtins.min(builtins.max(a, 0), n), builtins.min(builtins.max(b, 0), n))
            for a, b in zip(bounds[:-1], bounds[1:])]


def _split(x, indices_or_sections, axis, op, equal):
    nd = len(shape_of(x))
    axis = normalize_axes(axis, nd, op)[0]
    n = shape_of(x)[axis]
    out = []
    for a, b in _split_points(n, indices_or_sections, op, equal):
        out.append(getitem(x, (slice(None),) * axis + (slice(int(a), int(builtins.max(a, b))),)))
    return out


def split(x, indices_or_sections, axis=0):
    """np.split: ``split(x, 3)`` = 3 equal sections; a list gives the split points."""
    return _split(x, indices_or_sections, axis, "split", equal=True)


def array_split(x, indices_or_sections, axis=0):
    """np.array_split: like split, sections may differ in size by one."""
    return _split(x, indices_or_sections, axis, "array_split", equal=False)


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=1 if len(shape_of(x)) > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


# --------------------------------------------------------------------------- pad
def _pad_width(pad_width, nd, shape=None):
    try:
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2)) if nd \
            else np.zeros((0, 2), int)
    except (ValueError, TypeError):
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {shape}: "
                         f"expected an int, a (before, after) pair, or one pair per axis "
                         f"({nd} pairs)") from None
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {np.asarray(pad_width).tolist()}")
    return tuple((int(a), int(b)) for a, b in pw)


class _PadConstant(Primitive):
    """Constant padding; its transpose is the slice that removes the padding."""

    name = "pad"
    needs_inputs = False

    def forward(self, x, pad_width, constant_values=0):
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)

    def vjp(self, needs, grad, out, x, pad_width, constant_values=0):
        key = tuple(slice(a, a + n) for (a, _), n in zip(pad_width, shape_of(x)))
        return (getitem(grad, key),)

    def jvp(self, tangents, out, x, pad_width, constant_values=0):
        return pad(tangents[0], pad_width)


_PAD = _PadConstant()


def pad(x, pad_width, mode="constant", constant_values=0):
    """np.pad with NumPy's per-axis ``pad_width``; modes constant, edge, reflect, symmetric, wrap."""
    nd = len(shape_of(x))
    pw = _pad_width(pad_width, nd, shape_of(x))
    if mode == "constant":
        return apply(_PAD, x, pad_width=pw, constant_values=constant_values)
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad: unsupported mode {mode!r} (constant, edge, reflect, symmetric, wrap)")
    out = x
    for axis, (a, b) in enumerate(pw):
        if a or b:
            idx = np.pad(np.arange(shape_of(x)[axis]), (a, b), mode=mode)
            out = take(out, idx, axis=axis)
    return out


pad.primitive = _PAD


# --------------------------------------------------------------------------- reordering
def _flip_forward(x, axis=None):
    try:
        return np.flip(x, axis)
    except (ValueError, TypeError) as error:
        raise axis_error("flip", axis, np.ndim(x), error) from None


_FLIP = linear("flip", _flip_forward,
               transpose=lambda grad, x, axis=None: flip(grad, axis),
               formula="1: upstream flipped back").primitive


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (None: all axes)."""
    if isinstance(axis, list):
        axis = tuple(axis)
    return apply(_FLIP, x, axis=axis)


flip.primitive = _FLIP


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def rot90(x, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of ``axes`` (np.rot90)."""
    (x,) = _tensors((x,), "rot90")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"rot90: k must be an integer, got {type(k).__name__} {k!r}")
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise ValueError(f"rot90: axes must be a pair of axes, got {axes!r}")
    k %= 4
    a, b = axes
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    if k == 1:
        return swapaxes(flip(x, b), a, b)
    return flip(swapaxes(x, a, b), b)


def roll(x, shift, axis=None):
    """Roll elements along ``axis`` (None: the flattened array, as NumPy)."""
    (x,) = _tensors((x,), "roll")
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape_of(x))
    if isinstance(axis, (tuple, list)):
        shifts = shift if isinstance(shift, (tuple, list)) else [shift] * len(axis)
        out = x
        for s, a in zip(shifts, axis):
            out = roll(out, s, a)
        return out
    n = shape_of(x)[axis]
    return take(x, (np.arange(n) - shift) % builtins.max(n, 1), axis=axis)


def tile(x, reps):
    """np.tile as broadcast + reshape (so the gradient is a sum)."""
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    if any(int(r) < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    reps = tuple(int(r) for r in reps)
    shape = shape_of(x)
    nd = builtins.max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + tuple(shape)
    reps = (1,) * (nd - len(reps)) + reps
    x = reshape(x, shape)
    interleaved = tuple(v for pair in zip((1,) * nd, shape) for v in pair)
    expanded = broadcast_to(reshape(x, interleaved),
                            tuple(v for pair in zip(reps, shape) for v in pair))
    return reshape(expanded, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x, repeats, axis=None):
    """np.repeat: repeat each element ``repeats`` times along ``axis`` (None: flattened)."""
    if axis is None:
        x = ravel(x)
        axis = 0
    nd = len(shape_of(x))
    axis = normalize_axes(axis, nd, "repeat")[0]
    counts = np.asarray(data_of(repeats))
    if counts.dtype.kind not in "iu" and counts.dtype != bool:
        raise TypeError(f"repeat: repeats must be integers, got dtype {counts.dtype}")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative, got {counts.tolist()}")
    if counts.size == 1:
        repeats = int(counts.reshape(()))
    elif counts.shape != (shape_of(x)[axis],):
        raise ValueError(f"repeat: repeats of shape {counts.shape} do not match axis {axis} of "
                         f"length {shape_of(x)[axis]} (tensor of shape {shape_of(x)}): expected "
                         f"one count per element or a single count")
    if isinstance(repeats, (int, np.integer)):
        shape = shape_of(x)
        expanded = expand_dims(x, axis + 1)
        target = shape[:axis + 1] + (int(repeats),) + shape[axis + 1:]
        return reshape(broadcast_to(expanded, target),
                       shape[:axis] + (shape[axis] * int(repeats),) + shape[axis + 1:])
    idx = np.repeat(np.arange(shape_of(x)[axis]), counts)
    return take(x, idx, axis=axis)


def take(x, indices, axis=None, mode="raise"):
    """np.take: elements at ``indices`` along ``axis`` (None: of the flattened array).

    ``mode`` as NumPy: "raise" (out-of-range indices raise IndexError), "wrap" (indices wrap
    around modulo the axis size) or "clip" (indices are clipped to [0, size - 1]; negative
    indices become 0). Repeated indices accumulate their gradients."""
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    idx = _index_array(indices, "take")
    shape = shape_of(x)
    if axis is None:
        x = ravel(x)
        axis_ = 0
    else:
        axis_ = normalize_axes(axis, len(shape_of(x)), "take")[0]
    n = shape_of(x)[axis_]
    if mode == "raise":
        _check_bounds(idx, n, axis_ if axis is not None else None, shape, "take")
    elif idx.size:
        if n == 0:
            raise IndexError(f"take: cannot take from an empty axis (size 0) with mode={mode!r}")
        idx = np.mod(idx, n) if mode == "wrap" else np.clip(idx, 0, n - 1)
    return getitem(x, (slice(None),) * axis_ + (idx,))


def _index_array(indices, op):
    idx = np.asarray(data_of(indices))
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            return idx.astype(np.int64)
        raise IndexError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    return idx


def _check_bounds(idx, n, axis, shape, op):
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < -n else int(idx.max())
        where_ = "the flattened tensor" if axis is None else f"axis {axis}"
        raise IndexError(f"{op}: index {bad} is out of bounds for {where_} with size {n} "
                         f"(tensor of shape {tuple(shape)})")


def take_along_axis(x, indices, axis):
    """np.take_along_axis: pick values with an index array shaped like x (broadcasting)."""
    idx = _index_array(indices, "take_along_axis")
    shape = shape_of(x)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: with axis=None the indices must be 1-D, got "
                             f"shape {idx.shape}")
        _check_bounds(idx, int(np.prod(shape)), None, shape, "take_along_axis")
        return getitem(ravel(x), (idx,))
    nd = len(shape)
    axis = normalize_axes(axis, nd, "take_along_axis")[0]
    if idx.ndim != nd:
        raise ValueError(f"take_along_axis: indices must have the same number of dimensions as "
                         f"the tensor ({nd}, shape {shape}), got shape {idx.shape}")
    _check_bounds(idx, shape[axis], axis, shape, "take_along_axis")
    try:
        np.broadcast_shapes(shape[:axis] + shape[axis + 1:], idx.shape[:axis] + idx.shape[axis + 1:])
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast against "
                         f"a tensor of shape {shape} outside axis {axis}") from None
    key = []
    for d in range(nd):
        if d == axis:
            key.append(idx)
        else:
            r = np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
            key.append(r)
    return getitem(x, tuple(key))


def _tri_transpose(fn):
    return lambda grad, x, k=0: fn(grad, k)


_TRIL = linear("tril", lambda x, k=0: np.tril(x, k), transpose=_tri_transpose(lambda g, k: tril(g, k))).primitive
_TRIU = linear("triu", lambda x, k=0: np.triu(x, k), transpose=_tri_transpose(lambda g, k: triu(g, k))).primitive


def _tri_args(x, k, op):
    """``k`` checked (an integer; clamped to the matrix so a huge k is all or nothing, as
    NumPy would give if it could) for a checked input of at least one dimension."""
    x = numeric_input(x, op)
    shape = shape_of(x)
    if len(shape) == 0:
        raise ValueError(f"{op}: expected an input of at least 1 dimension (the last two are "
                         f"the matrix; 1-D is taken as a row, as np.{op}), got shape ()")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{op}: the diagonal offset k must be an integer, got "
                        f"{type(k).__name__} {k!r}")
    rows, cols = (shape[0], shape[0]) if len(shape) == 1 else shape[-2:]
    return x, int(builtins.max(-rows - 1, builtins.min(int(k), cols + 1)))


def tril(x, k=0):
    """Lower triangle (elements above the k-th diagonal zeroed)."""
    x, k = _tri_args(x, k, "tril")
    return apply(_TRIL, x, k=k)


def triu(x, k=0):
    """Upper triangle (elements below the k-th diagonal zeroed)."""
    x, k = _tri_args(x, k, "triu")
    return apply(_TRIU, x, k=k)


tril.primitive, triu.primitive = _TRIL, _TRIU


def _diagonal_forward(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2).copy()


def _diag_embed_forward(d, shape, offset=0, axis1=0, axis2=1):
    out = np.zeros(shape, dtype=np.asarray(d).dtype)
    view = np.diagonal(out, offset, axis1, axis2)
    view.setflags(write=True)
    view[...] = d
    return out


_DIAGONAL = linear("diagonal", _diagonal_forward,
                   transpose=lambda grad, x, offset=0, axis1=0, axis2=1:
                   _diag_embed(grad, shape_of(x), offset, axis1, axis2)).primitive
_DIAG_EMBED = linear("diag_embed", _diag_embed_forward,
                     transpose=lambda grad, d, shape, offset=0, axis1=0, axis2=1:
                     diagonal(grad, offset, axis1, axis2)).primitive


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal(s) of x over axis1, axis2 (np.diagonal; returns a copy).

    Shape: x's shape without axis1 and axis2, plus the diagonal's length last."""
    return apply(_DIAGONAL, x, **_diagonal_params(x, offset, axis1, axis2, "diagonal"))


def _diagonal_params(x, offset, axis1, axis2, op):
    shape = shape_of(x)
    nd = len(shape)
    if nd < 2:
        raise ValueError(f"{op}: input must have at least 2 dimensions, got shape {shape}")
    a1 = normalize_axes(axis1, nd, op)[0]
    a2 = normalize_axes(axis2, nd, op)[0]
    if a1 == a2:
        raise ValueError(f"{op}: axis1 and axis2 cannot be the same (both are axis {a1})")
    return dict(offset=int(offset), axis1=a1, axis2=a2)


def _diag_embed(d, shape, offset, axis1, axis2):
    return apply(_DIAG_EMBED, d, shape=tuple(shape), offset=offset, axis1=axis1, axis2=axis2)


diagonal.primitive = _DIAGONAL


def diag(x, k=0):
    """np.diag: the k-th diagonal of a 2-D x, or a 2-D matrix with 1-D x on its k-th diagonal."""
    shape = shape_of(x)
    if len(shape) == 1:
        n = shape[0] + builtins.abs(k)
        return _diag_embed(x, (n, n), k, 0, 1)
    if len(shape) == 2:
        return diagonal(x, k)
    raise ValueError(f"diag: input must be 1-D or 2-D, got shape {shape}")


_NOVALUE = object()  # "argument not given" (None is a valid value to prepend)


def diff(x, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """n-th discrete difference along ``axis`` (np.diff); shape: x's with ``axis`` shortened by n.

    ``prepend``/``append`` (np.diff's keywords) are joined to x along ``axis`` first; a scalar
    is repeated over the other axes. They may be Tensors (then they get gradients too)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"diff: order n must be a non-negative integer, got "
                        f"{type(n).__name__} {n!r}")
    if n < 0:
        raise ValueError(f"diff: order must be a non-negative integer, got n={n!r}")
    n = int(n)
    nd = len(shape_of(x))
    if nd == 0:
        raise ValueError("diff: requires input that is at least one dimensional, got shape ()")
    axis = normalize_axes(axis, nd, "diff")[0]
    if n == 0:
        return x
    parts = []
    for value in (prepend, x, append):
        if value is _NOVALUE:
            continue
        if value is not x and len(shape_of(value)) == 0:
            shape = list(shape_of(x))
            shape[axis] = 1
            value = broadcast_to(value, tuple(shape))
        parts.append(value)
    if len(parts) > 1:
        x = concatenate(parts, axis=axis)
    # n >= the length gives the empty result (as NumPy): no more than `length` steps
    for _ in range(builtins.min(n, shape_of(x)[axis])):
        head = (slice(None),) * axis
        x = getitem(x, head + (slice(1, None),)) - getitem(x, head + (slice(None, -1),))
    return x


def sort(x, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted values along ``axis``; the gradient follows each value to where it came from.

    ``kind``/``stable`` are accepted as NumPy's (the sorted values do not depend on them; ties
    are broken stably, so tied values keep their own gradients in order). ``order`` (for
    structured arrays) is not supported."""
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable"):
        raise ValueError(f"sort: kind must be one of 'quicksort', 'mergesort', 'heapsort', "
                         f"'stable' or None, got {kind!r}")
    if order is not None:
        raise ValueError("sort: order= applies to structured arrays, which are not supported")
    if axis is None:
        x = ravel(x)
        axis = 0
    order = np.argsort(data_of(x), axis=axis, kind="stable")
    return take_along_axis(x, order, axis)


def meshgrid(*xs, indexing="xy"):
    nds = len(xs)
    shapes = [shape_of(x)[0] for x in xs]
    out = []
    for i, x in enumerate(xs):
        shape = [1] * nds
        shape[i] = shapes[i]
        if indexing == "xy" and nds >= 2 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        full = list(shapes)
        if indexing == "xy" and nds >= 2:
            full[0], full[1] = full[1], full[0]
        out.append(broadcast_to(reshape(x, tuple(shape)), tuple(full)))
    return out


__all__ = ["append", "array", "array_split", "astype", "atleast_1d", "atleast_2d", "atleast_3d",
           "broadcast_arrays", "broadcast_to", "cat", "column_stack", "concat", "concatenate",
           "copy", "diag", "diagonal", "diff", "dsplit", "dstack", "expand_dims", "flatten",
           "flip", "fliplr", "flipud", "hsplit", "hstack", "meshgrid", "moveaxis", "pad",
           "permute_dims", "ravel", "repeat", "reshape", "roll", "rot90", "row_stack", "sort",
           "split", "squeeze", "stack", "sum_to", "swapaxes", "take", "take_along_axis", "tile",
           "transpose", "tril", "triu", "unsqueeze", "vsplit", "vstack"]
