"""Every row of the op table (specs.py) checked four ways.

1. forward values and dtype against NumPy, for float32 and float64 inputs;
2. each gradient has exactly its input's shape and dtype (float32 in, float32 grad);
3. reverse-mode and forward-mode ``cr.gradcheck`` in float64 over broadcast shapes
   (forward mode is also checked on its own: a missing JVP rule fails here rather than
   being skipped);
4. second order ``cr.gradgradcheck`` (reverse-over-reverse and forward-over-reverse).

Non-differentiable functions (sign, floor, ceil, round, argmax, argmin, comparisons,
isnan, isfinite, ...) are checked against NumPy and contribute zero in a larger expression.
The step functions (sign, floor, ceil, round, ...) return floats whose gradient is zero, as
in PyTorch (their output requires grad); the others record no graph at all.

Which rows must exist is not decided here: test_op_table_coverage.py finds every primitive
and public function (ops, cr.linalg, nn.functional) mechanically and fails when one has no
row. The hand-typed API.md list below stays as the documented contract.
"""
import contextlib

import numpy as np
import pytest

import chainrule as cr
from ops_specs import (ALL, API_DIFFERENTIABLE, API_NONDIFFERENTIABLE, DIFFERENTIABLE,
                       NONDIFFERENTIABLE, make_inputs)


def _case_id(spec, shapes, kwargs):
    shape_text = ",".join("x".join(map(str, s)) or "0d" for s in shapes)
    kw_text = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{spec.name}[{shape_text}]" + (f"({kw_text})" if kw_text else "")


# Library bugs the table found, one xfail per failing case: (test, case id) -> the bug.
KNOWN_BUGS = {
}


def _cases(specs, only_second_order=False, test=None):
    out = []
    for spec in specs:
        if only_second_order and not spec.second_order:
            continue
        for shapes, kwargs in spec.cases():
            if only_second_order and kwargs.get("keepdims"):
                continue   # keepdims only reshapes: its second order adds nothing over keepdims=False
            case_id = _case_id(spec, shapes, kwargs)
            marks = list(spec.marks)
            if (test, case_id) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(reason=KNOWN_BUGS[test, case_id], strict=True))
            out.append(pytest.param(spec, shapes, kwargs, id=case_id, marks=marks))
    return out


def _derivatives(spec):
    """Where the row's derivative rules raise by design, the check must see them raise."""
    if spec.derivatives_raise is None:
        return contextlib.nullcontext()
    return pytest.raises(spec.derivatives_raise)


def _outputs(result):
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _call(spec, kwargs):
    return lambda *xs: spec.fn(*xs, **kwargs)


# --------------------------------------------------------------------------- coverage
def _covered(name):
    rows = {spec.name for spec in ALL}
    return any(r == name or r.startswith(name + "_") or r.startswith(name + "[") for r in rows)


@pytest.mark.parametrize("name", API_DIFFERENTIABLE + API_NONDIFFERENTIABLE)
def test_every_api_function_has_a_row(name):
    assert hasattr(cr, name), f"cr.{name} is missing (API.md §2)"
    assert _covered(name), f"cr.{name} has no row in tests/ops/specs.py"


# --------------------------------------------------------------------------- 1. forward vs NumPy
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spec,shapes,kwargs", _cases(ALL))
def test_forward_matches_numpy(spec, shapes, kwargs, dtype):
    arrays = make_inputs(spec, shapes, dtype)
    expected = _outputs(spec.ref(*[a.copy() for a in arrays], **kwargs))
    got = _outputs(spec.fn(*[cr.tensor(a) for a in arrays], **kwargs))
    assert len(got) == len(expected)
    rtol = spec.fwd_rtol if dtype == np.float64 else 2e-5
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert isinstance(g, cr.Tensor), f"{spec.name} returned {type(g).__name__}, not a Tensor"
        assert g.shape == e.shape, f"{spec.name}: shape {g.shape}, NumPy gives {e.shape}"
        assert g.dtype == e.dtype, f"{spec.name}: dtype {g.dtype}, NumPy gives {e.dtype}"
        np.testing.assert_allclose(g.data, e, rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("spec,shapes,kwargs", _cases(ALL, test="test_forward_accepts_ndarrays"))
def test_forward_accepts_ndarrays(spec, shapes, kwargs):
    """Plain ndarrays are accepted as well as Tensors (and give the same values)."""
    arrays = make_inputs(spec, shapes, np.float64)
    expected = _outputs(spec.ref(*[a.copy() for a in arrays], **kwargs))
    got = _outputs(spec.fn(*arrays, **kwargs))
    for g, e in zip(got, expected):
        assert g.dtype == np.asarray(e).dtype
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-6, atol=1e-12)


_SCALAR_CASES = [p for p in _cases(ALL, test="test_forward_accepts_python_scalars")
                 if all(s == () for s in p.values[1])
                 and p.values[0].name not in {"array_of_tensors", "array_nested"}]


@pytest.mark.parametrize("spec,shapes,kwargs", _SCALAR_CASES)
def test_forward_accepts_python_scalars(spec, shapes, kwargs):
    """Python floats are accepted too; being weakly typed they compute in the default dtype."""
    arrays = make_inputs(spec, shapes, np.float64)
    expected = _outputs(spec.ref(*[a.copy() for a in arrays], **kwargs))
    got = _outputs(spec.fn(*[float(a) for a in arrays], **kwargs))
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert isinstance(g, cr.Tensor)
        if e.dtype.kind == "f":
            assert g.dtype == cr.get_default_dtype()
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), e, rtol=2e-6, atol=1e-6)


# --------------------------------------------------------------------------- 2. gradient shape, dtype
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spec,shapes,kwargs", _cases(DIFFERENTIABLE))
def test_gradient_shape_and_dtype(spec, shapes, kwargs, dtype):
    arrays = make_inputs(spec, shapes, dtype)
    inputs = [cr.tensor(a, requires_grad=True) for a in arrays]
    outs = [o for o in _outputs(spec.fn(*inputs, **kwargs)) if o.requires_grad]
    assert outs, f"{spec.name}: no output requires grad"
    for o in outs:
        assert o.dtype == dtype, f"{spec.name}: output dtype {o.dtype} for {np.dtype(dtype)} inputs"
    seeds = [cr.tensor(np.ones(o.shape, dtype=o.dtype)) for o in outs]
    with _derivatives(spec):
        grads = cr.autograd.grad(outs, inputs, grad_outputs=seeds, allow_unused=True)
    if spec.derivatives_raise is not None:
        return
    for i, (x, g) in enumerate(zip(inputs, grads)):
        assert g is not None, f"{spec.name}: input {i} received no gradient"
        assert g.shape == x.shape, f"{spec.name}: gradient {i} has shape {g.shape}, input {x.shape}"
        assert g.dtype == x.dtype, f"{spec.name}: gradient {i} has dtype {g.dtype}, input {x.dtype}"
        assert np.all(np.isfinite(g.data)), f"{spec.name}: non-finite gradient {g.data}"


_MIXED = [s for s in DIFFERENTIABLE if s.nargs == 2 and s.name in {
    "add", "subtract", "multiply", "divide", "power", "arctan2", "maximum", "minimum",
    "logaddexp", "matmul", "dot", "einsum[ij,jk->ik]", "where", "concatenate", "stack"}]


@pytest.mark.parametrize("spec,shapes,kwargs", _cases(_MIXED))
def test_gradient_dtype_mixed_precision(spec, shapes, kwargs):
    """float32 (op) float64: the output is float64, each gradient keeps its input's dtype."""
    a, b = make_inputs(spec, shapes, np.float64)
    x = cr.tensor(a.astype(np.float32), requires_grad=True)
    y = cr.tensor(b, requires_grad=True)
    out = spec.fn(x, y, **kwargs)
    assert out.dtype == np.float64
    out.backward(np.ones(out.shape))
    assert (x.grad.dtype, x.grad.shape) == (np.float32, x.shape)
    assert (y.grad.dtype, y.grad.shape) == (np.float64, y.shape)


# --------------------------------------------------------------------------- 3. gradcheck
@pytest.mark.parametrize("spec,shapes,kwargs", _cases(DIFFERENTIABLE))
def test_gradcheck(spec, shapes, kwargs):
    inputs = [cr.tensor(a) for a in make_inputs(spec, shapes, np.float64)]
    with _derivatives(spec):
        assert cr.gradcheck(_call(spec, kwargs), inputs, eps=spec.eps, atol=spec.atol,
                            rtol=spec.rtol)


@pytest.mark.parametrize("spec,shapes,kwargs", _cases(DIFFERENTIABLE))
def test_forward_mode(spec, shapes, kwargs):
    """True forward mode (cr.jvp) works for every row and agrees with reverse mode:
    <u, J v> == <J^T u, v> and J v matches a central difference."""
    arrays = make_inputs(spec, shapes, np.float64)
    rng = np.random.default_rng(1)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    f = _call(spec, kwargs)

    primals = tuple(cr.tensor(a) for a in arrays)
    with _derivatives(spec):
        outs, tangents = cr.jvp(lambda *xs: tuple(_outputs(f(*xs))), primals,
                                tuple(cr.tensor(d) for d in directions))
    if spec.derivatives_raise is not None:
        return
    # reverse mode with a random cotangent
    leaves = [cr.tensor(a, requires_grad=True) for a in arrays]
    rev_outs = _outputs(f(*leaves))
    cotangents = [rng.standard_normal(o.shape) for o in rev_outs]
    pairs = [(o, c) for o, c in zip(rev_outs, cotangents) if o.requires_grad]
    grads = cr.autograd.grad([o for o, _ in pairs], leaves,
                             grad_outputs=[cr.tensor(c) for _, c in pairs], allow_unused=True)
    lhs = sum(float(np.sum(c * np.asarray(t))) for c, t in zip(cotangents, tangents))
    rhs = sum(0.0 if g is None else float(np.sum(np.asarray(g) * d))
              for g, d in zip(grads, directions))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-7, atol=1e-9)
    # central difference of the whole function along the direction
    eps = spec.eps
    plus = _outputs(f(*[cr.tensor(a + eps * d) for a, d in zip(arrays, directions)]))
    minus = _outputs(f(*[cr.tensor(a - eps * d) for a, d in zip(arrays, directions)]))
    for t, p, m in zip(tangents, plus, minus):
        numerical = (np.asarray(p) - np.asarray(m)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(t), numerical, rtol=spec.rtol, atol=spec.atol)


# --------------------------------------------------------------------------- 4. second order
@pytest.mark.parametrize("spec,shapes,kwargs", _cases(DIFFERENTIABLE, only_second_order=True))
def test_gradgradcheck(spec, shapes, kwargs):
    inputs = [cr.tensor(a) for a in make_inputs(spec, shapes, np.float64)]
    with _derivatives(spec):
        assert cr.gradgradcheck(_call(spec, kwargs), inputs, eps=spec.eps, atol=spec.atol,
                                rtol=spec.rtol)


# --------------------------------------------------------------------------- non-differentiable
STEP_FUNCTIONS = {"sign", "floor", "ceil", "trunc", "rint", "round", "around"}


@pytest.mark.parametrize("spec,shapes,kwargs", _cases(NONDIFFERENTIABLE))
def test_nondifferentiable_records_no_gradient(spec, shapes, kwargs):
    """Documented: these functions have zero gradient; nothing is recorded for them."""
    arrays = make_inputs(spec, shapes, np.float64)
    inputs = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = spec.fn(*inputs, **kwargs)
    if spec.name in STEP_FUNCTIONS:
        # a float result (as PyTorch): it requires grad and backpropagates zeros
        assert out.requires_grad and out.dtype == np.float64
        (grad,) = cr.autograd.grad(cr.sum(out), inputs)
        np.testing.assert_array_equal(grad.data, np.zeros(inputs[0].shape))
        out = spec.fn(*inputs, **kwargs)
    else:
        for o in _outputs(out):   # (a tuple of index tensors for nonzero)
            assert not o.requires_grad and o.node is None
    # in a larger expression the function contributes zero: d/dx (x + f(x)) = 1
    total = sum(cr.sum(x) for x in inputs) + sum(cr.sum(cr.astype(o, np.float64))
                                                 for o in _outputs(out))
    total.backward()
    for x in inputs:
        np.testing.assert_array_equal(x.grad.data, np.ones(x.shape))
    # forward mode carries no tangent through it either
    _, tangents = cr.jvp(lambda *xs: tuple(cr.astype(o, np.float64)
                                           for o in _outputs(spec.fn(*xs, **kwargs))),
                         tuple(cr.tensor(a) for a in arrays),
                         tuple(cr.tensor(np.ones_like(a)) for a in arrays))
    for tangent, o in zip(tangents, _outputs(out)):
        np.testing.assert_array_equal(np.asarray(tangent), np.zeros(o.shape))
