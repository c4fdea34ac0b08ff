"""What every forward does around its NumPy call: weak typing, quiet singular points, named errors.

- Weak typing (API.md §1): Python numbers do not widen a result. ``float32 * 2.0`` stays
  float32, and an op on Python numbers alone computes in the default float dtype, never
  NumPy's float64.
- Quiet singular points: ``log(0)``, ``1 / 0``, ``sqrt(-1)`` give -inf, inf, nan without a
  NumPy ``RuntimeWarning``, as in PyTorch. ``np.errstate`` costs ~1.4 µs a call (more than a
  whole op), so instead one warnings filter, installed at import, ignores NumPy's
  divide-by-zero and invalid-value warnings raised from chainrule's own frames only; user
  code calling NumPy directly still sees them. Where the user turned warnings into errors,
  ``quietly`` recomputes under ``np.errstate``; ``ensure_quiet`` puts the filter back where a
  ``warnings.catch_warnings`` block dropped it.
- Named errors: NumPy's "operands could not be broadcast together with shapes (2,3) (4,)"
  does not say which op failed; ``operand_error`` rewrites it with the op's name.
"""
import re
import warnings

import numpy as np

from ..dtypes import get_default_dtype, ragged_where
from .modes import STATE

__all__ = ["ensure_quiet", "weak_float", "weak_result", "quietly", "describe", "operand_error",
           "foreign_error", "names_op", "renamed", "normalize_axes", "axis_error", "AxisError"]

F64 = np.dtype(np.float64)

_QUIET = dict(action="ignore", message=r"(divide by zero|invalid value) encountered",
              category=RuntimeWarning, module=r"chainrule(\.|$)")


def ensure_quiet():
    """Install the filter unless it is there. ``warnings.catch_warnings`` restores the filter
    list on exit, dropping a filter added inside it (pytest imports test modules inside one),
    so ``Tensor()`` and ``backward()`` call this: a membership test, ~0.3 µs."""
    if _QUIET_ENTRY not in warnings.filters:
        warnings.filterwarnings(**_QUIET)


warnings.filterwarnings(**_QUIET)
_QUIET_ENTRY = warnings.filters[0]


def weak_float(out, arrays):
    """``out`` with a float64 that only Python numbers (or integer arrays) made demoted to the
    default float dtype.

    Inside a no-record backward (``STATE.raw``) a ``np.float64`` scalar is float64 *data*: NumPy
    returns scalars from arithmetic on 0-d arrays, so the rules of a 0-d float64 computation
    see them, and demoting those would silently lose precision.
    """
    if isinstance(out, np.ndarray) and out.dtype is F64:
        raw = STATE.raw
        for a in arrays:
            if isinstance(a, np.ndarray) and a.dtype is F64 or raw and type(a) is np.float64:
                return out
        return out.astype(get_default_dtype())
    return out


def weak_result(out, inputs):
    """``out`` as an ndarray, typed weakly as ``weak_float`` says."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if out.dtype is F64:
        out = weak_float(out, inputs)
    return out


def quietly(fn, *arrays, **params):
    """``fn(*arrays, **params)`` with NumPy's divide/invalid warnings silenced (see above)."""
    try:
        return fn(*arrays, **params)
    except RuntimeWarning:          # the user's warnings filter turned them into errors
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(*arrays, **params)


def describe(x):
    """How an operand shows in an error message: 'float32 of shape (2, 3)', 'str', ..."""
    if isinstance(x, np.ndarray):
        return f"{x.dtype} of shape {x.shape}"
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def operand_error(name, operands, error):
    """The error to raise when NumPy rejected ``operands`` of op ``name`` with ``error``."""
    if isinstance(error, TypeError):
        parts = ", ".join(f"argument {i + 1} is {describe(x)}" for i, x in enumerate(operands))
        return TypeError(f"{name}: unsupported operand type(s): {parts} (expected Tensors, "
                         f"ndarrays or Python numbers of numeric dtype)")
    if isinstance(error, OverflowError):
        return ValueError(f"{name}: an integer operand is too large for its dtype ({error})")
    if isinstance(error, ValueError):
        for i, x in enumerate(operands):
            ragged = ragged_where(x)
            if ragged:
                return ValueError(f"{name}: argument {i + 1} is a ragged nested sequence: "
                                  f"{ragged} (every list at one depth needs the same length)")
        shapes = [np.shape(x) for x in operands if x is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            shown = " and ".join(str(tuple(s)) for s in shapes) if len(shapes) == 2 else \
                ", ".join(str(tuple(s)) for s in shapes)
            return ValueError(f"{name}: operands could not be broadcast together: shapes {shown}")
        return ValueError(f"{name}: {error}")
    return error


def foreign_error(name, operands, params, error):
    """The error for a TypeError, AttributeError or OverflowError out of a forward, naming the
    op (unchanged where it does already): an unexpected keyword argument, an
    object operand NumPy tried to call a method on (``np.arctan2(None, None)`` looks up
    ``None.arctan2``), or an integer argument too large for a C long (``axis=10**30``)."""
    if isinstance(error, (TypeError, ValueError, IndexError)):   # named already, or not
        if names_op(error, name):
            return error
        unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(error))
        if unexpected and isinstance(error, TypeError):
            return TypeError(f"{name}: unexpected keyword argument {unexpected.group(1)!r}")
        return renamed(error, f"{name}: {error}")
    if isinstance(error, (AttributeError, ZeroDivisionError)):   # only object operands
        return operand_error(name, operands, TypeError(str(error)))
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items()
                      if isinstance(v, (int, np.integer, tuple, list)) and not isinstance(v, bool))
    return ValueError(f"{name}: an integer argument is too large ({shown or 'an operand'}); "
                      f"expected values that fit in 64 bits")


KEPT = (TypeError, ValueError, IndexError)   # error types a renamed error keeps


def names_op(error, name):
    """Whether the message of ``error`` already names the op ``name`` (as a whole word)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}\b", str(error)) is not None


def renamed(error, message):
    """An exception of ``error``'s type (or the built-in one it is) with ``message``."""
    kind = type(error)
    if kind is np.exceptions.AxisError:
        return np.exceptions.AxisError(message)
    try:
        new = kind(message)
        if str(new) == message:
            return new
    except Exception:         # e.g. NumPy's UFuncTypeError needs its ufunc and dtypes
        pass
    for base in KEPT:
        if isinstance(error, base):
            return base(message)
    return error


AxisError = np.exceptions.AxisError  # a ValueError and an IndexError, as NumPy raises


def normalize_axes(axis, ndim, op="op"):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative ints.

    Raises ``AxisError`` (a ValueError and IndexError) naming ``op`` for an axis out of
    range, ValueError for a repeated axis, TypeError for a non-integer axis.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    elif not isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got "
                        f"{type(axis).__name__}")
    out = []
    for a in axis:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
        a = int(a)
        if not -ndim <= a < ndim and not (ndim == 0 and a == 0):
            raise AxisError(f"{op}: axis {a} is out of bounds for a tensor of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


def axis_error(op, axis, ndim, error):
    """The error to raise when NumPy rejected ``axis`` for op ``op``: one that names the op."""
    try:
        normalize_axes(axis, ndim, op)
    except (ValueError, TypeError) as named:
        return named
    return error
