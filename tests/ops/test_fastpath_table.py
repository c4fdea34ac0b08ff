"""Every op with a fast path gives what the general path gives, over the whole op table.

An op whose primitive declares ``arity`` 1 or 2 has the inlined fast path of
``chainrule/core/fastpath.py`` as its public function; an observer switches every call onto
``apply_packed`` (the general path). For each such op and each of its op-table rows' cases
(float32 and float64, broadcast shapes), both paths must agree on values, dtypes, whether the
result records, the gradients of every input, the no-record backward path (ndarrays in,
ndarrays out) and the errors they raise.
"""
import numpy as np
import pytest
from ops_discover import public_functions
from ops_specs import ALL, make_inputs

import chainrule as cr
from chainrule.core.modes import general_path, raw_rules


def _general(fn):
    with general_path():
        return fn()


def _fast_ops():
    ops = {}
    for name, fn in public_functions().items():
        prim = getattr(fn, "primitive", None)
        if prim is not None and prim.arity in (1, 2) and fn.__module__ == "chainrule.core.fastpath":
            ops.setdefault(prim.name, fn)
    return ops


FAST = _fast_ops()


def _cases():
    cases = []
    for spec in ALL:
        op = FAST.get(spec.name)
        if op is None or spec.nargs != op.primitive.arity:
            continue
        for shapes, kwargs in spec.cases():
            if kwargs:
                continue
            for dtype in (np.float32, np.float64):
                cases.append(pytest.param(op, spec, shapes, dtype,
                                          id=f"{spec.name}-{shapes}-{np.dtype(dtype).name}"))
    return cases


CASES = _cases()


def test_the_table_reaches_every_fast_op():
    reached = {case.values[0].primitive.name for case in CASES}
    assert set(FAST) - reached == set(), "fast ops with no op-table row of their arity"
    assert len(FAST) > 40


def _run(op, arrays, spec):
    xs = [cr.tensor(a, requires_grad=spec.differentiable) for a in arrays]
    out = op(*xs)
    grads = None
    if out.requires_grad:
        cr.sum(out).backward()
        grads = [None if x.grad is None else x.grad.data for x in xs]
    return out, grads


@pytest.mark.parametrize("op, spec, shapes, dtype", CASES)
def test_fast_path_matches_general_path(op, spec, shapes, dtype):
    arrays = make_inputs(spec, shapes, dtype=dtype)
    fast, fast_grads = _run(op, arrays, spec)
    slow, slow_grads = _general(lambda: _run(op, arrays, spec))
    assert fast.dtype == slow.dtype and fast.shape == slow.shape
    np.testing.assert_array_equal(fast.data, slow.data)
    assert fast.requires_grad == slow.requires_grad
    if fast_grads is not None:
        for a, b in zip(fast_grads, slow_grads):
            np.testing.assert_array_equal(a, b)
    with raw_rules():                       # inside a no-record backward: arrays in and out
        raw = op(*arrays)
        reference = op.primitive.forward(*arrays)
    assert isinstance(raw, (np.ndarray, np.generic))
    assert np.asarray(raw).dtype == np.asarray(reference).dtype
    np.testing.assert_array_equal(raw, reference)


def _error(fn):
    try:
        fn()
    except Exception as error:   # noqa: BLE001 - the point is to compare whatever is raised
        return type(error), str(error)
    return None


@pytest.mark.parametrize("op", sorted(FAST.values(), key=lambda f: f.__name__),
                         ids=lambda f: f.__name__)
def test_fast_path_raises_what_the_general_path_raises(op):
    if op.primitive.arity == 1:
        bad = [("a string",), (object(),)]
    else:
        bad = [(cr.tensor(np.ones(3)), cr.tensor(np.ones(4))), (cr.tensor(np.ones(2)), "y")]
    for args in bad:
        fast = _error(lambda: op(*args))
        slow = _general(lambda: _error(lambda: op(*args)))
        assert fast == slow
        if fast is not None and fast[0] in (TypeError, ValueError) and op.primitive.elementwise:
            assert op.primitive.name in fast[1], fast
