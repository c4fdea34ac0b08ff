"""Ops whose reverse rule has a short NumPy form (``vjp=`` of ``unary``/``binary``) must give
exactly the rule derived from their partials, special points included.

A plain backward (ndarrays) takes the short form; ``create_graph=True`` (Tensors) takes the
derived rule, so comparing the two covers both, at x = 0, y = 0, negative bases, the where
trap (a zero upstream gradient over an infinite partial) and ordinary points.
"""
import numpy as np
import pytest

import chainrule as cr

X = np.array([0.0, 0.0, 1.5, -2.0, 2.0, 0.5, -1.0, 3.0])
Y = np.array([0.0, 2.0, 0.0, 2.0, -1.0, 0.5, 3.0, 1.0])
UPSTREAM = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 2.0, 1.0, 0.0])   # zeros: the where trap


def _grads(fn, arrays, create_graph):
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        out = fn(*xs)
        grads = cr.autograd.grad(out, xs, grad_outputs=cr.tensor(UPSTREAM),
                                 create_graph=create_graph, allow_unused=True)
    return [None if g is None else g.data for g in grads]


@pytest.mark.parametrize("name, fn, arrays", [
    ("power, tensor exponent", lambda x, y: x ** y, (X, Y)),
    ("power, x ** 2", lambda x: x ** 2, (X,)),
    ("power, x ** 0.5", lambda x: cr.abs(x) ** 0.5, (X,)),
    ("power, x ** 3", lambda x: x ** 3, (X,)),
    ("divide", lambda x, y: x / y, (X, Y)),
    ("log", lambda x: cr.log(cr.abs(x)), (X,)),
])
def test_short_rule_equals_derived_rule(name, fn, arrays):
    short = _grads(fn, arrays, create_graph=False)
    derived = _grads(fn, arrays, create_graph=True)
    for a, b in zip(short, derived):
        np.testing.assert_array_equal(a, b)    # (NaN where both are NaN)


def test_where_trap_stays_exact_through_the_short_rules():
    x = cr.tensor(np.array([0.0, 4.0]), requires_grad=True)
    y = cr.where(x > 0, cr.log(cr.where(x > 0, x, 1.0)) + 1 / cr.where(x > 0, x, 1.0), 0.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1 / 4 - 1 / 16])
    x = cr.tensor(np.array([0.0, 4.0]), requires_grad=True)
    (cr.where(x > 0, x / x, 0.0) + cr.where(x > 0, cr.log(x), 0.0)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25])
