"""Indexing: getitem and its adjoint scatter_add (a transpose pair), and index_put for ``t[idx] = v``.

Basic slicing, None, Ellipsis, integer and boolean arrays all follow NumPy's rules
(including mixed advanced indexing such as ``x[3, 2:, [1, 3]]``). Repeated indices
accumulate their gradients.
"""
import numpy as np

from ..core.apply import apply
from ..core.primitive import Primitive
from ..tensor import Tensor
from .elementwise import zeros_like_any
from ._util import shape_of


def unwrap_index(key):
    """A NumPy index from a user's key: Tensors become arrays, lists become int/bool arrays."""
    if isinstance(key, tuple):
        return tuple(_unwrap_one(k, Tensor) for k in key)
    return _unwrap_one(key, Tensor)


def _unwrap_one(k, Tensor):
    if isinstance(k, Tensor):
        k = k.data
        if k.dtype.kind == "f":
            raise IndexError(f"tensors used as indices must be integer or bool, got dtype {k.dtype}")
        return k
    if isinstance(k, list):
        return np.asarray(k)
    return k


def _has_advanced(key):
    items = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and k.ndim > 0 and k.dtype != bool or
               isinstance(k, np.ndarray) and k.dtype == bool for k in items)


class _GetItem(Primitive):
    name = "getitem"
    needs_inputs = False
    formula = "1 at {x}{key}, 0 elsewhere: upstream scattered into {shape}"

    def forward(self, x, key):
        try:
            return x[key]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor of shape {np.shape(x)}, index {_show(key)})") from None

    def vjp(self, needs, grad, out, x, key):
        return (scatter_add(grad, key, shape_of(x)),)

    def jvp(self, tangents, out, x, key):
        return getitem(tangents[0], key)


class _ScatterAdd(Primitive):
    """zeros(shape) with ``grad`` added at ``key`` (repeats accumulate): the transpose of getitem."""

    name = "scatter_add"
    needs_inputs = False

    def forward(self, values, key, shape):
        values = np.asarray(values)
        out = np.zeros(shape, dtype=values.dtype)
        if _has_advanced(key):
            np.add.at(out, key, values)
        else:
            out[key] = values
        return out

    def vjp(self, needs, grad, out, values, key, shape):
        return (getitem(grad, key),)

    def jvp(self, tangents, out, values, key, shape):
        return scatter_add(tangents[0], key, shape)


_GETITEM, _SCATTER_ADD = _GetItem(), _ScatterAdd()


def getitem(x, key):
    """x[key] with NumPy semantics; the gradient scatters back (repeated indices add)."""
    return apply(_GETITEM, x, key=unwrap_index(key))


def scatter_add(values, key, shape):
    """A zero array of ``shape`` with ``values`` added at ``key``."""
    return apply(_SCATTER_ADD, values, key=unwrap_index(key), shape=tuple(shape))


def index_put(x, key, v):
    """A copy of x with x[key] = v (differentiable in x and v)."""
    # v is an input (may require grad); key is a parameter.
    return apply(_INDEX_PUT, x, v, key=unwrap_index(key))


class _IndexPut(Primitive):
    """x with x[key] = v (the value ``t[key] = v`` writes); v broadcasts to x[key].
    The inputs (x, v) are positional, the key a parameter."""

    name = "index_put"
    needs_inputs = False

    def forward(self, x, v, key):
        out = np.array(x, copy=True)
        out[key] = v
        return out

    def vjp(self, needs, grad, out, x, v, key):
        grad_x = index_put(grad, key, 0) if needs[0] else None
        grad_v = getitem(grad, key) if needs[1] else None
        return grad_x, grad_v

    def jvp(self, tangents, out, x, v, key):
        tangent_x, tangent_v = tangents
        base = zeros_like_any(out) if tangent_x is None else tangent_x
        return index_put(base, key, 0 if tangent_v is None else tangent_v)


_INDEX_PUT = _IndexPut()
getitem.primitive, scatter_add.primitive, index_put.primitive = _GETITEM, _SCATTER_ADD, _INDEX_PUT


def _show(key):
    items = key if isinstance(key, tuple) else (key,)
    return "[" + ", ".join(_show_one(k) for k in items) + "]"


def _show_one(k):
    if isinstance(k, np.ndarray):
        if k.size <= 8:
            return f"array({k.tolist()})"
        return f"{k.dtype} array of shape {k.shape}"
    if k is Ellipsis:
        return "..."
    if isinstance(k, slice):
        return ":".join("" if v is None else str(v) for v in (k.start, k.stop, k.step)).rstrip(":") \
            if k.step is not None else f"{'' if k.start is None else k.start}:" \
                                       f"{'' if k.stop is None else k.stop}"
    return repr(k)
