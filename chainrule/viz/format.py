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


def _param_text(key, value, limit=28):
    if isinstance(value, np.ndarray):
        text = f"array{format_shape(value.shape)}" if value.size > 6 else format_array(value)
    elif isinstance(value, np.dtype) or isinstance(value, type):
        text = np.dtype(value).name
    elif isinstance(value, tuple) and any(isinstance(k, (slice, np.ndarray)) for k in value):
        text = _index_text(value)
    elif isinstance(value, slice):
        text = _index_text((value,))
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return f"{key}={text}" if key else text


def _index_text(key):
    items = key if isinstance(key, tuple) else (key,)
    parts = []
    for k in items:
        if isinstance(k, slice):
            part = ":".join("" if v is None else str(v) for v in (k.start, k.stop, k.step))
            parts.append(part[:-1] if part.endswith(":") and k.step is None else part)
        elif k is None:
            parts.append("None")
        elif k is Ellipsis:
            parts.append("...")
        elif isinstance(k, np.ndarray):
            parts.append(format_array(k) if k.size <= 4 else f"array{format_shape(k.shape)}")
        else:
            parts.append(repr(k))
    return "[" + ", ".join(parts) + "]"


def _is_simple(value):
    if value is None or value is Ellipsis or isinstance(
            value, (bool, int, float, complex, str, slice, np.ndarray, np.generic, np.dtype, type)):
        return True
    return isinstance(value, tuple) and all(_is_simple(v) for v in value)


def shown_params(params):
    """'k=v' texts for the parameters worth showing: not None / False (the usual defaults),
    and plain data only (a custom Function's context object is left out)."""
    return [_param_text(k, v) for k, v in params.items()
            if v is not None and v is not False and _is_simple(v)]


def op_params_text(op):
    """The op's parameters in one short line: 'axis=0', '[0]' for getitem, '' when none."""
    if not op.params:
        return ""
    if op.name == "getitem" and set(op.params) == {"key"}:
        return _index_text(op.params["key"])
    return ", ".join(shown_params(op.params))
