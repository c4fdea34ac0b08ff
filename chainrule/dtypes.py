"""The default float dtype and the weak typing of Python scalars."""
import numpy as np

__all__ = ["set_default_dtype", "get_default_dtype", "float16", "float32", "float64", "int8",
           "int16", "int32", "int64", "uint8", "bool_"]

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64)
uint8, bool_ = np.dtype(np.uint8), np.dtype(np.bool_)

_default = [float32]


def set_default_dtype(dtype):
    """Set the dtype of Python floats, creation functions and new nn parameters (float32 or float64)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype (float32 or float64), got {dtype}")
    _default[0] = dtype


def get_default_dtype():
    """The default float dtype (``float32`` unless changed)."""
    return _default[0]


def is_floating(dtype):
    return dtype.kind == "f"


def to_dtype(dtype):
    """Normalise a user's dtype argument (None, a NumPy dtype, a type, a string)."""
    return None if dtype is None else np.dtype(dtype)


NUMERIC_KINDS = "biuf"   # what a Tensor holds: bool, signed and unsigned integers, floats
# their dtypes' classes (NumPy 2: one class per dtype): ``type(a.dtype) in NUMERIC_DTYPES``
# is the cheapest test on a hot path (~20 ns; ``a.dtype.kind in NUMERIC_KINDS`` ~35 ns)
NUMERIC_DTYPES = frozenset(type(np.dtype(c)) for c in "?bhilqBHILQefdg")


def non_numeric_error(op, dtype):
    """The TypeError for an op whose result would have a dtype no Tensor holds."""
    return TypeError(f"{op}: the result would have dtype {dtype}; chainrule tensors hold bool, "
                     f"integer or floating-point data (complex, object, string and datetime "
                     f"dtypes are not supported)")


def checked(array, op):
    """``array`` if its dtype is one a Tensor holds, else the TypeError naming ``op``."""
    if array.dtype.kind not in NUMERIC_KINDS:
        raise non_numeric_error(op, array.dtype)
    return array


def ragged_where(data, path=()):
    """Where nested list data is ragged, in words ('[1] has 1 element where [0] has 2'), or
    None where it is not (or is not a list)."""
    if not isinstance(data, (list, tuple)):
        return None

    def show(i, n):
        index = "".join(f"[{p}]" for p in path + (i,))
        return f"{index} is a scalar" if n is None else f"{index} has {n} element(s)"

    lengths = [len(item) if isinstance(item, (list, tuple)) else None for item in data]
    for i, n in enumerate(lengths):
        if n != lengths[0]:
            return f"{show(i, n)} where {show(0, lengths[0])}"
    for i, item in enumerate(data):
        found = ragged_where(item, path + (i,))
        if found:
            return found
    return None


def _holds_typed(data):
    """Whether (nested) list data holds arrays, NumPy scalars or Tensors, whose dtypes count."""
    if isinstance(data, (list, tuple)):
        return any(_holds_typed(item) for item in data)
    return hasattr(data, "dtype")


def refuse_array_subclass(data):
    """np.matrix (``*`` is a matrix product, and it stays 2-D) and masked arrays (the mask would
    be dropped silently) do not mean what an ndarray means: refuse them, saying how to convert."""
    if isinstance(data, np.ma.MaskedArray):
        raise TypeError("tensor: a numpy masked array cannot become a Tensor (its mask would be "
                        "dropped); convert it first: m.filled(fill_value) for a value at the "
                        "masked elements, or np.asarray(m.data) for the raw data (and keep "
                        "~m.mask as a separate boolean tensor)")
    if isinstance(data, np.matrix):
        raise TypeError("tensor: np.matrix cannot become a Tensor (its * is a matrix product and "
                        "it stays 2-D); convert it first with np.asarray(m)")


def array_from_data(data, dtype=None):
    """An ndarray for ``cr.tensor(data)``: floats become the default dtype, ints int64, bools bool.

    An ndarray keeps its own dtype unless ``dtype`` is given.
    """
    if isinstance(data, np.ndarray) and type(data) is not np.ndarray:
        refuse_array_subclass(data)
    if dtype is not None:
        try:
            arr = np.array(data, dtype=np.dtype(dtype))
        except (TypeError, ValueError) as error:
            raise TypeError(f"tensor: cannot make an array of dtype {np.dtype(dtype)} from "
                            f"{type(data).__name__} data ({error})") from None
    elif isinstance(data, np.ndarray):
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.array(data)
    else:
        try:
            arr = np.array(data)
        except ValueError as error:  # ragged nested sequences
            ragged = ragged_where(data)
            if ragged:
                raise ValueError(f"tensor: the nested sequence is ragged (inhomogeneous): "
                                 f"{ragged} (every list at one depth needs the same length)"
                                 ) from None
            raise ValueError(f"tensor: cannot make an array from {type(data).__name__} data: "
                             f"{error}") from None
        if not _holds_typed(data):   # Python numbers only: weakly typed (as PyTorch)
            if arr.dtype.kind == "f" and arr.dtype != _default[0]:
                arr = arr.astype(_default[0])
            elif arr.dtype.kind in "iu" and arr.dtype != int64:
                arr = arr.astype(int64)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: expected numeric data (bool, integer or floating point), got "
                        f"{type(data).__name__} data of dtype {arr.dtype}")
    return arr
