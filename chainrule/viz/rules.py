"""Local gradients in words and numbers: the 'local gradient' column of ``cr.explain``.

For an elementwise op, the local gradient of its output with respect to input i is
a number per element and the backward step is literally
``upstream × local = gradient``. The table below gives each common op's formula
(written with the names of its inputs) and how to evaluate it from the recorded
values. An elementwise op not listed falls back to ``gradient / upstream`` where
the upstream gradient is non-zero. A structural op (matmul, sum, getitem, reshape,
...) has a Jacobian, not a number per element: the table describes what its rule
does with the upstream gradient instead.
"""
import numpy as np

__all__ = ["local_gradient"]

_LN2, _LN10 = np.log(2.0), np.log(10.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name -> one (formula, evaluate(*inputs, out)) per input; formulas use {x}, {y}, {out}
ELEMENTWISE = {
    "add": [("1", lambda x, y, out: np.ones_like(out)), ("1", lambda x, y, out: np.ones_like(out))],
    "subtract": [("1", lambda x, y, out: np.ones_like(out)),
                 ("-1", lambda x, y, out: -np.ones_like(out))],
    "multiply": [("{y}", lambda x, y, out: y), ("{x}", lambda x, y, out: x)],
    "divide": [("1/{y}", lambda x, y, out: 1.0 / y), ("-{x}/{y}²", lambda x, y, out: -x / (y * y))],
    "power": [("{y}·{x}^({y}-1)", lambda x, y, out: y * np.power(x, y - 1.0)),
              ("{x}^{y}·ln({x})", lambda x, y, out: out * np.log(x))],
    "negative": [("-1", lambda x, out: -np.ones_like(out))],
    "positive": [("1", lambda x, out: np.ones_like(out))],
    "copy": [("1", lambda x, out: np.ones_like(out))],
    "astype": [("1", lambda x, out: np.ones_like(out))],
    "exp": [("exp({x})", lambda x, out: out)],
    "expm1": [("exp({x})", lambda x, out: out + 1.0)],
    "exp2": [("ln(2)·2^{x}", lambda x, out: _LN2 * out)],
    "log": [("1/{x}", lambda x, out: 1.0 / x)],
    "log1p": [("1/(1+{x})", lambda x, out: 1.0 / (1.0 + x))],
    "log2": [("1/({x}·ln 2)", lambda x, out: 1.0 / (x * _LN2))],
    "log10": [("1/({x}·ln 10)", lambda x, out: 1.0 / (x * _LN10))],
    "sqrt": [("1/(2·sqrt({x}))", lambda x, out: 0.5 / out)],
    "square": [("2·{x}", lambda x, out: 2.0 * x)],
    "reciprocal": [("-1/{x}²", lambda x, out: -1.0 / (x * x))],
    "sin": [("cos({x})", lambda x, out: np.cos(x))],
    "cos": [("-sin({x})", lambda x, out: -np.sin(x))],
    "tan": [("1 + tan²({x})", lambda x, out: 1.0 + out * out)],
    "arcsin": [("1/sqrt(1-{x}²)", lambda x, out: 1.0 / np.sqrt(1.0 - x * x))],
    "arccos": [("-1/sqrt(1-{x}²)", lambda x, out: -1.0 / np.sqrt(1.0 - x * x))],
    "arctan": [("1/(1+{x}²)", lambda x, out: 1.0 / (1.0 + x * x))],
    "sinh": [("cosh({x})", lambda x, out: np.cosh(x))],
    "cosh": [("sinh({x})", lambda x, out: np.sinh(x))],
    "tanh": [("1 - tanh²({x})", lambda x, out: 1.0 - out * out)],
    "sigmoid": [("σ({x})·(1-σ({x}))", lambda x, out: out * (1.0 - out))],
    "softplus": [("σ({x})", lambda x, out: _sigmoid(x))],
    "relu": [("1 if {x} > 0 else 0", lambda x, out: (x > 0).astype(out.dtype))],
    "abs": [("sign({x})", lambda x, out: np.sign(x))],
    "logaddexp": [("exp({x} - {out})", lambda x, y, out: np.exp(x - out)),
                  ("exp({y} - {out})", lambda x, y, out: np.exp(y - out))],
    "erf": [("2/√π·exp(-{x}²)", lambda x, out: 2.0 / np.sqrt(np.pi) * np.exp(-x * x))],
    # the gradient goes to the larger (smaller) input, split evenly at ties: read it off
    "maximum": [("1 where {x} > {y}, ½ at ties", None), ("1 where {y} > {x}, ½ at ties", None)],
    "minimum": [("1 where {x} < {y}, ½ at ties", None), ("1 where {y} < {x}, ½ at ties", None)],
    "clip": [("1 inside the clip range, else 0", None)],
    "where": [("0", None), ("1 where the condition holds", None),
              ("1 where the condition fails", None)],
}

# Ops whose rule is elementwise though not listed above: local = gradient / upstream.
OTHER_ELEMENTWISE = {"arcsinh", "arccosh", "arctanh", "arctan2", "logaddexp2", "fmax", "fmin",
                     "mod", "nan_to_num", "deg2rad", "rad2deg"}

STRUCTURAL = {
    "matmul": ["upstream @ {y}ᵀ", "{x}ᵀ @ upstream"],
    "sum": ["1 for every element: upstream broadcast back to {shape}"],
    "mean": ["1/{n} for every element: upstream / {n}, broadcast back to {shape}"],
    "getitem": ["1 at {x}{key}, 0 elsewhere: upstream scattered into {shape}"],
    "reshape": ["1: upstream reshaped back to {shape}"],
    "transpose": ["1: upstream transposed back"],
    "broadcast_to": ["1: upstream summed over the broadcast axes"],
    "sum_to": ["1: upstream broadcast back to {shape}"],
    "concatenate": ["1 on its own slice of upstream"],
    "flip": ["1: upstream flipped back"],
    "max": ["1 at the maximum (split at ties), 0 elsewhere"],
    "min": ["1 at the minimum (split at ties), 0 elsewhere"],
    "softmax": ["softmax Jacobian: {out}·(upstream - sum(upstream·{out}))"],
    "log_softmax": ["upstream - softmax·sum(upstream)"],
    "logsumexp": ["softmax({x}) for every element"],
    "einsum": ["einsum of upstream with the other operands"],
    "linear": ["upstream @ {y}", "upstreamᵀ @ {x}", "1: upstream summed over the batch"],
    "conv": ["upstream convolved back with {y} (a transposed convolution)",
             "upstream correlated with {x}"],
    "cross_entropy": ["upstream · (softmax({x})·sum({y}) - {y})", "-upstream · log_softmax({x})"],
}


def _is_elementwise_primitive(op):
    node = op.node
    if node is None:
        return False
    from ..autograd import primitive
    return isinstance(node.primitive, (primitive._Unary, primitive._Binary))


def _fill(template, names, **extra):
    keys = ("x", "y", "z")
    values = {k: names[i] for i, k in enumerate(keys) if i < len(names)}
    values.update(extra)
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def local_gradient(op, index, names, out_name, upstream, raw):
    """(formula, local) for input ``index`` of ``op``.

    formula  text such as 'z' (multiply), '1/v4', or 'upstream @ xᵀ' (matmul);
             names are the display names of the op's inputs
    local    the local gradient as an ndarray (elementwise ops), or None when the
             op's derivative is a Jacobian that is not one number per element
    """
    inputs = [v.data for v in op.inputs]
    out = op.output.data
    x_shape = op.inputs[index].shape
    rules = ELEMENTWISE.get(op.name)
    if rules is not None and index < len(rules):
        template, evaluate = rules[index]
        formula = _fill(template, names, out=out_name)
        local = None
        if evaluate is not None and all(a is not None for a in inputs) and out is not None:
            with np.errstate(all="ignore"):
                local = np.asarray(evaluate(*[np.asarray(a) for a in inputs], np.asarray(out)))
            local = np.broadcast_to(local, np.shape(raw)) if local.shape != np.shape(raw) \
                and np.broadcast_shapes(local.shape, np.shape(raw)) == np.shape(raw) else local
        if local is None:
            local = _ratio(upstream, raw)
        return formula, local
    if op.name in OTHER_ELEMENTWISE or (op.name not in STRUCTURAL
                                        and _is_elementwise_primitive(op)):
        return None, _ratio(upstream, raw)
    templates = STRUCTURAL.get(op.name)
    if templates is None:
        return f"the vjp rule of {op.name}", None
    template = templates[min(index, len(templates) - 1)]
    from .format import format_shape
    extra = {"out": out_name, "shape": format_shape(x_shape) if x_shape is not None else "?"}
    if op.name == "getitem":
        from .dot import op_params_text
        extra["key"] = op_params_text(op)
    if op.name == "mean" and x_shape is not None and out is not None:
        extra["n"] = int(np.prod(x_shape, dtype=np.int64) // max(np.size(out), 1))
    return _fill(template, names, **extra), None


def _ratio(upstream, raw):
    """gradient / upstream elementwise (NaN where the upstream gradient is 0)."""
    if upstream is None or raw is None:
        return None
    upstream, raw = np.asarray(upstream), np.asarray(raw)
    try:
        shape = np.broadcast_shapes(upstream.shape, raw.shape)
    except ValueError:
        return None
    if shape != raw.shape:
        return None
    with np.errstate(all="ignore"):
        return np.where(upstream != 0, raw / np.where(upstream != 0, upstream, 1), np.nan)
