"""The op table covers the library, found mechanically (tests/ops/discover.py).

* every primitive in chainrule.ops, chainrule.linalg and chainrule.nn.functional (a function's
  ``.primitive``, a module-level Primitive, or one held in a module-level dict / list) is
  applied by the forward of some row of specs.py -- observed while each row runs once;
* every public function (ops.__all__, cr.linalg, nn.functional, top-level cr) has a row named
  after it, or is declared once in ALIASES (the very same object as a function with a row),
  or is in NOT_ARRAY_FUNCTIONS;
* the checker itself fails on a primitive and a function nobody registered.

So a new primitive or a new exported function cannot land without its row; test_op_table.py
then checks each row four ways (forward vs NumPy, VJP and JVP by finite differences, second
order).
"""
import functools
import types

import numpy as np
import pytest

import chainrule as cr
from ops_discover import (attributed_function, coverage_gaps, is_primitive, primitives,
                          public_functions)
from ops_specs import (ALIASES, ALL, API_DIFFERENTIABLE, API_NONDIFFERENTIABLE,
                       NOT_ARRAY_FUNCTIONS, OpSpec, make_inputs)


def _inputs(row, shapes):
    return [cr.tensor(a, requires_grad=True) for a in make_inputs(row, shapes, np.float64)]


@functools.lru_cache(maxsize=None)
def _gaps():
    return coverage_gaps(ALL, _inputs, ALIASES, NOT_ARRAY_FUNCTIONS)


# Primitives no row can apply, each a library bug: where found -> the bug.
KNOWN_UNEXERCISED = {}

_PRIMITIVES = primitives()
_FUNCTIONS = public_functions()


def _primitive_params():
    params = []
    for key, (prim, where) in _PRIMITIVES.items():
        marks = [pytest.mark.xfail(reason=KNOWN_UNEXERCISED[w], strict=True)
                 for w in where if w in KNOWN_UNEXERCISED]
        params.append(pytest.param(key, id=f"{prim.name}@{where[0]}", marks=marks[:1]))
    return params


# --------------------------------------------------------------------------- the checks
@pytest.mark.parametrize("key", _primitive_params())
def test_every_primitive_is_applied_by_a_row(key):
    gaps = _gaps()["primitives"]
    assert key not in gaps, gaps.get(key)


@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_every_public_function_has_a_row(name):
    gaps = _gaps()["functions"]
    assert name not in gaps, gaps.get(name)


def test_discovery_finds_the_library():
    """Discovery is not vacuous: it sees the primitives and functions the table is about."""
    names = {prim.name for prim, _ in _PRIMITIVES.values()}
    for expected in ("sin", "matmul", "astype", "inv", "cholesky", "linear", "embedding", "conv",
                     "conv_transpose", "conv_weight", "cross_entropy", "batch_norm", "max_pool",
                     "window_sum", "lstm_scan", "gru_scan", "rnn_tanh_scan"):
        assert expected in names, f"discovery missed the primitive {expected!r}"
    for expected in ("sin", "astype", "linalg.solve", "F.conv2d", "F.lstm", "F.cross_entropy"):
        assert expected in _FUNCTIONS, f"discovery missed the function {expected!r}"
    # cr.Function's adapter is per user-defined Function: not a library primitive
    assert "_FunctionPrimitive" not in {type(p).__name__ for p, _ in _PRIMITIVES.values()}


def test_aliases_are_declared_once_and_are_the_same_function():
    for alias, canonical in ALIASES.items():
        assert alias in _FUNCTIONS, f"ALIASES names {alias!r}, which is not a public function"
        assert canonical in _FUNCTIONS, f"ALIASES maps {alias!r} to unknown {canonical!r}"
        assert canonical not in ALIASES, f"{alias!r} -> {canonical!r} is itself an alias"
        assert alias not in NOT_ARRAY_FUNCTIONS, f"{alias!r} is declared twice"
        assert _FUNCTIONS[alias] is _FUNCTIONS[canonical], \
            f"{alias} is not the same function as {canonical}: give it a row of its own"
        rows = {attributed_function(row.name, _FUNCTIONS) for row in ALL}
        assert canonical in rows, f"{canonical} (canonical for {alias}) has no row"


def test_not_array_functions_are_public_and_rowless():
    rows = {attributed_function(row.name, _FUNCTIONS) for row in ALL}
    for name in NOT_ARRAY_FUNCTIONS:
        assert name in _FUNCTIONS, f"NOT_ARRAY_FUNCTIONS names {name!r}: not a public function"
        assert name not in rows, f"{name} has a row: drop it from NOT_ARRAY_FUNCTIONS"


def test_rows_are_not_repeated():
    rows = [(row.name, row.shapes) for row in ALL]
    assert len(rows) == len(set(rows)), sorted({r for r in rows if rows.count(r) > 1})


def test_the_contract_list_is_within_the_discovered_functions():
    """API.md's hand-typed list (test_op_table.py checks each has a row) names real functions."""
    for name in API_DIFFERENTIABLE + API_NONDIFFERENTIABLE:
        assert name in _FUNCTIONS, f"cr.{name} (API.md) is not found by discovery"


# --------------------------------------------------------------------------- the checker fails
def _unregistered_module():
    """A module with a new op (built the way chainrule.ops builds its ops) and a bare
    Primitive subclass instance, neither in the op table."""
    from ops_discover import _PRIMITIVE_BASE
    from chainrule.core.primitive import unary

    module = types.ModuleType("unregistered_ops")

    class _Hidden(_PRIMITIVE_BASE):
        name = "hidden_helper"

        def forward(self, x):
            return np.asarray(x) * 2.0

        def vjp(self, needs, grad, out, x):
            return (grad * 2.0,)

        def jvp(self, tangents, out, x):
            return tangents[0] * 2.0

    module.mystery_sin = unary("mystery_sin", np.sin, lambda x, out: cr.cos(x))
    module._HIDDEN = _Hidden()
    module.__all__ = ["mystery_sin"]
    return module


def test_the_checker_reports_an_unregistered_primitive_and_function():
    module = _unregistered_module()
    assert is_primitive(module._HIDDEN) and is_primitive(module.mystery_sin.primitive)
    baseline = _gaps()
    gaps = coverage_gaps(ALL, _inputs, ALIASES, NOT_ARRAY_FUNCTIONS, extra_modules=[module])
    new_primitives = [m for k, m in gaps["primitives"].items() if k not in baseline["primitives"]]
    assert len(new_primitives) == 2, new_primitives
    assert any("'mystery_sin'" in m and "unregistered_ops.mystery_sin" in m
               for m in new_primitives), new_primitives
    assert any("'hidden_helper'" in m and "unregistered_ops._HIDDEN" in m
               for m in new_primitives), new_primitives
    for message in new_primitives:
        assert "add a row to tests/ops/specs.py" in message
    new_functions = set(gaps["functions"]) - set(baseline["functions"])
    assert new_functions == {"unregistered_ops.mystery_sin"}
    assert "add a row to tests/ops/specs.py" in gaps["functions"]["unregistered_ops.mystery_sin"]

    # a row that calls the op registers both the function and its primitive
    row = OpSpec("unregistered_ops.mystery_sin", module.mystery_sin, np.sin)
    gaps = coverage_gaps(ALL + [row], _inputs, ALIASES, NOT_ARRAY_FUNCTIONS,
                         extra_modules=[module])
    still = [m for k, m in gaps["primitives"].items() if k not in baseline["primitives"]]
    assert len(still) == 1 and "'hidden_helper'" in still[0], still
    assert set(gaps["functions"]) == set(baseline["functions"])
