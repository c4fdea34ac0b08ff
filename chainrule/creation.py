"""Creating tensors: tensor(), zeros/ones/full/empty(_like), arange, linspace, eye, rand/randn/randint."""
import numpy as np

from . import dtypes
from .random import generator
from . import ops
from .ops._util import as_tensor_like  # noqa: F401 (part of creation's surface)
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
           "full_like", "empty_like", "arange", "linspace", "eye", "rand", "randn", "randint",
           "from_numpy", "rand_like", "randn_like", "identity_matrix"]


def tensor(data, dtype=None, requires_grad=False, name=None):
    """A new Tensor holding a copy of ``data`` (floats -> default dtype, ints -> int64).

    ``name`` labels the tensor in ``cr.explain`` tables and ``cr.viz`` pictures.
    ``np.matrix`` and numpy masked arrays raise ``TypeError`` (a matrix's ``*`` is a matrix
    product and a mask would be dropped): convert with ``np.asarray(m)`` or ``m.filled(value)``.
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name)


def as_tensor(data, dtype=None):
    """``data`` as a Tensor, without copying when it already is one (or an ndarray of that dtype)."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == np.dtype(dtype) else data.astype(dtype)
    if type(data) is np.ndarray and (dtype is None or data.dtype == np.dtype(dtype)):
        return Tensor._wrap(dtypes.checked(data, "as_tensor"))
    return Tensor(data, dtype=dtype)


def from_numpy(array):
    """A Tensor sharing memory with ``array`` (np.matrix and masked arrays are refused)."""
    if isinstance(array, np.ndarray) and type(array) is not np.ndarray:
        dtypes.refuse_array_subclass(array)
    return Tensor._wrap(dtypes.checked(np.asarray(array), "from_numpy"))


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _float(dtype):
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def _make(array, requires_grad, op):
    t = Tensor._wrap(dtypes.checked(array, op))
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, dtype=None, requires_grad=False):
    """A tensor of zeros, ``zeros(2, 3)`` or ``zeros((2, 3))`` (default float dtype)."""
    return _make(np.zeros(_shape(shape), dtype=_float(dtype)), requires_grad, "zeros")


def ones(*shape, dtype=None, requires_grad=False):
    return _make(np.ones(_shape(shape), dtype=_float(dtype)), requires_grad, "ones")


def empty(*shape, dtype=None, requires_grad=False):
    return _make(np.empty(_shape(shape), dtype=_float(dtype)), requires_grad, "empty")


def full(shape, fill_value, dtype=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``fill_value`` (a float fill gives the default float dtype)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
        else:
            dtype = dtypes.get_default_dtype()
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad, "full")


def _like(x, dtype):
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return data.shape, (data.dtype if dtype is None else np.dtype(dtype))


def zeros_like(x, dtype=None, requires_grad=False):
    shape, dt = _like(x, dtype)
    return _make(np.zeros(shape, dtype=dt), requires_grad, "zeros_like")


def ones_like(x, dtype=None, requires_grad=False):
    shape, dt = _like(x, dtype)
    return _make(np.ones(shape, dtype=dt), requires_grad, "ones_like")


def empty_like(x, dtype=None, requires_grad=False):
    shape, dt = _like(x, dtype)
    return _make(np.empty(shape, dtype=dt), requires_grad, "empty_like")


def full_like(x, fill_value, dtype=None, requires_grad=False):
    shape, dt = _like(x, dtype)
    return _make(np.full(shape, fill_value, dtype=dt), requires_grad, "full_like")


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """np.arange; integer arguments give int64, float arguments the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if is_int else dtypes.get_default_dtype()
    return _make(np.arange(start, stop, step, dtype=dtype), requires_grad, "arange")


def linspace(start, stop, num=50, endpoint=True, dtype=None, requires_grad=False):
    """``num`` evenly spaced values from start to stop (default float dtype), as np.linspace.

    Tensor endpoints make it differentiable in them: value i is start + (stop - start) * f_i
    with f_i = i / (num - 1) (i / num without the endpoint); array endpoints add axis 0.
    """
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)):
        return _make(np.linspace(start, stop, num, endpoint=endpoint, dtype=_float(dtype)),
                     requires_grad, "linspace")
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    typed = [e.dtype for e in (start, stop) if isinstance(e, (Tensor, np.ndarray))]
    out_dtype = _float(dtype) if dtype is not None else np.result_type(*typed)  # numbers: weak
    start_t = start if isinstance(start, Tensor) else Tensor(np.asarray(start, dtype=np.float64))
    stop_t = stop if isinstance(stop, Tensor) else Tensor(np.asarray(stop, dtype=np.float64))
    ndim = max(start_t.ndim, stop_t.ndim)
    if out_dtype.kind != "f":
        out_dtype = dtypes.get_default_dtype()
    div = (num - 1) if endpoint else num
    frac = np.arange(num, dtype=out_dtype) / out_dtype.type(div if div > 0 else 1)
    frac = frac.reshape((num,) + (1,) * ndim)
    start_t, stop_t = ops.astype(start_t, out_dtype), ops.astype(stop_t, out_dtype)
    result = start_t + (stop_t - start_t) * frac
    if endpoint and num > 1:   # the last value is stop exactly, as in NumPy
        last = np.zeros((num,) + (1,) * ndim, dtype=bool)
        last[-1] = True
        result = ops.where(last, stop_t, result)
    if requires_grad and not result.requires_grad:
        result.requires_grad_(True)
    return result


def eye(n, m=None, k=0, dtype=None, requires_grad=False):
    return _make(np.eye(n, m, k, dtype=_float(dtype)), requires_grad, "eye")


identity_matrix = eye


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples from the seeded generator (``cr.manual_seed``)."""
    return _make(generator().random(_shape(shape)).astype(_float(dtype)), requires_grad, "rand")


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples from the seeded generator."""
    return _make(generator().standard_normal(_shape(shape)).astype(_float(dtype)), requires_grad,
                 "randn")


def randint(low, high=None, size=(), dtype=np.int64):
    """Integers in [low, high) from the seeded generator, int64."""
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor._wrap(generator().integers(low, high, size=size).astype(dtype))


def rand_like(x, dtype=None):
    shape, dt = _like(x, dtype)
    return Tensor._wrap(generator().random(shape).astype(dt))


def randn_like(x, dtype=None):
    shape, dt = _like(x, dtype)
    return Tensor._wrap(generator().standard_normal(shape).astype(dt))
