"""Numbers and arrays as short text: small arrays in full, big ones as a summary.

Shared by the pictures (``to_dot``) and the tables (``explain``) so both show a
value the same way. Nothing here depends on the size of an array beyond a few
reductions: a 300×300 matrix is never spelled out.
"""
import numpy as np

__all__ = ["format_number", "format_array", "format_shape", "summary", "stats", "MAX_ELEMENTS"]

MAX_ELEMENTS = 6  # arrays with more elements than this are summarised


def format_number(v, digits=4):
    """One number with ``digits`` significant digits: -4.0 -> '-4', 0.19661193 -> '0.1966'."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    text = format(v, f".{digits}g")
    if text in ("-0", "-0.0"):
        text = "0"
    if "e" in text:  # 1.215e+04 -> 1.215e4, 2e-05 -> 2e-5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def format_shape(shape):
    """(3,) -> '(3,)', () -> 'scalar'."""
    shape = tuple(int(n) for n in shape)
    if not shape:
        return "scalar"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _nested(a, digits):
    if a.ndim == 0:
        return format_number(a.item(), digits)
    return "[" + ", ".join(_nested(row, digits) for row in a) + "]"


def stats(a, digits=4):
    """'min -3.1 mean 0.0012 max 3.2' for a numeric array ('' when empty or not numeric)."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(np.count_nonzero(a))} of {a.size} true"
    if a.dtype.kind not in "iuf":
        return ""
    with np.errstate(all="ignore"):
        lo, mean, hi = a.min(), a.mean(dtype=np.float64), a.max()
    return (f"min {format_number(lo, digits)} mean {format_number(mean, digits)} "
            f"max {format_number(hi, digits)}")


def summary(a, digits=4):
    """'(300, 300) float64 min -3.1 mean 0.0012 max 3.2' (no element listed)."""
    a = np.asarray(a)
    rest = stats(a, digits)
    return f"{format_shape(a.shape)} {a.dtype}" + (f" {rest}" if rest else "")


def format_array(a, max_elements=MAX_ELEMENTS, digits=4):
    """A scalar as a number, a small array in full (nested brackets), a big one as a summary."""
    if a is None:
        return "?"
    a = np.asarray(a)
    if a.size > max_elements:
        return summary(a, digits)
    if a.dtype.kind not in "biuf":
        return f"{format_shape(a.shape)} {a.dtype}"
    return _nested(a, digits)
