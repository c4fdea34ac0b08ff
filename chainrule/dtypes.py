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
