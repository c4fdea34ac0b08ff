"""The dispatcher's inlined fast paths (one and two positional inputs, no params) must give
exactly what the general path gives: same values, dtypes, graph, errors and modes."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.core import fastpath
from chainrule.core.modes import PLAIN, RAW, RECORD, SLOW, STATE, general_path
from chainrule.nn import Parameter


def _general(fn):
    with general_path():
        return fn()


OPERANDS = [
    lambda: cr.tensor([0.5, -1.5], requires_grad=True),
    lambda: cr.tensor([1, 2, 3]),                                 # int: sin gives the default float
    lambda: cr.tensor(0.25, dtype=cr.float64, requires_grad=True),  # 0-d float64
    lambda: Parameter(cr.tensor([[0.5], [2.0]])),                  # a Tensor subclass
]


@pytest.mark.parametrize("make", OPERANDS)
@pytest.mark.parametrize("op", [cr.sin, cr.exp, cr.negative, cr.tanh])
def test_unary_fast_path_matches_general_path(make, op):
    x = make()
    fast = op(x)
    x2 = make()
    slow = _general(lambda: op(x2))
    assert fast.dtype == slow.dtype
    assert fast.shape == slow.shape
    np.testing.assert_array_equal(fast.data, slow.data)
    assert fast.requires_grad == slow.requires_grad
    if fast.requires_grad:
        cr.sum(fast).backward()
        cr.sum(slow).backward()
        np.testing.assert_array_equal(x.grad.data, x2.grad.data)
        assert x.grad.dtype == x.dtype


@pytest.mark.parametrize("left, right", [
    (lambda: cr.tensor([1.0, 2.0], requires_grad=True), lambda: cr.tensor([[3.0], [4.0]])),
    (lambda: cr.tensor([1.0, 2.0], requires_grad=True), lambda: 2.5),
    (lambda: 3, lambda: cr.tensor([1.0, 2.0], requires_grad=True)),
    (lambda: cr.tensor([1, 2]), lambda: 0.5),                     # int tensor, float scalar
    (lambda: np.array([1.0, 2.0]), lambda: cr.tensor([1.0, 2.0], requires_grad=True)),
    (lambda: Parameter(cr.tensor([1.0, 2.0])), lambda: cr.tensor([0.5, 0.5], requires_grad=True)),
    (lambda: cr.tensor(2.0, dtype=cr.float64, requires_grad=True),
     lambda: cr.tensor(3.0, dtype=cr.float64)),
])
@pytest.mark.parametrize("op", [cr.multiply, cr.add, cr.subtract, cr.arctan2])
def test_binary_fast_path_matches_general_path(left, right, op):
    x, y = left(), right()
    fast = op(x, y)
    x2, y2 = left(), right()
    slow = _general(lambda: op(x2, y2))
    assert fast.dtype == slow.dtype
    np.testing.assert_allclose(fast.data, slow.data, rtol=0, atol=0)
    assert fast.requires_grad == slow.requires_grad
    if fast.requires_grad:
        cr.sum(fast).backward()
        cr.sum(slow).backward()
        for a, b in ((x, x2), (y, y2)):
            if isinstance(a, cr.Tensor) and a.requires_grad:
                np.testing.assert_array_equal(a.grad.data, b.grad.data)


def test_fast_path_errors_name_the_op():
    with pytest.raises(ValueError, match=r"multiply: operands could not be broadcast together: "
                                         r"shapes \(2,\) and \(3,\)"):
        cr.ones(2) * cr.ones(3)
    with pytest.raises(TypeError, match=r"arctan2: unsupported operand type\(s\)"):
        cr.arctan2(cr.ones(2), "a")
    with pytest.raises(TypeError, match=r"sin\(\) takes 1 positional argument but 2 were given"):
        cr.sin(cr.ones(2), cr.ones(2))


def test_fast_path_records_versions_and_detects_inplace_writes():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = cr.sin(y)
    with cr.no_grad():
        y += 1.0   # sin's backward needs y
    with pytest.raises(RuntimeError, match="sin: one of the variables needed for gradient"):
        z.backward(cr.ones(2))


def test_mode_word_follows_grad_mode_backward_and_observers():
    assert STATE.mode == RECORD
    with cr.no_grad():
        assert STATE.mode == PLAIN
        with cr.enable_grad():
            assert STATE.mode == RECORD
        assert STATE.mode == PLAIN
    assert STATE.mode == RECORD
    seen = []

    def hook(grad):
        seen.append(STATE.mode)   # hooks see Tensors (not raw mode), grad mode off

    x = cr.tensor([1.0], requires_grad=True)
    y = cr.sin(x)
    y.register_hook(hook)
    modes = []

    class Spy:
        def on_apply(self, prim, args, params, out):
            modes.append(STATE.mode)

        def on_backward(self, node, grad, grads):
            pass
    cr.exp(y).backward(cr.ones(1))
    assert seen == [PLAIN]
    assert STATE.mode == RECORD
    spy = Spy()
    cr.core.modes.add_observer(spy)
    try:
        cr.sin(x)
    finally:
        cr.core.modes.remove_observer(spy)
    assert modes == [SLOW]
    assert STATE.mode == RECORD
    with cr.detect_anomaly():
        assert STATE.mode == SLOW
    assert STATE.mode == RECORD


def test_no_record_backward_runs_rules_on_ndarrays():
    modes = []
    prim = cr.sin.primitive
    original = type(prim).vjp

    def spy(self, needs, grad, out, x, **params):
        modes.append((STATE.mode, type(x), type(grad)))
        return original(self, needs, grad, out, x, **params)
    type(prim).vjp = spy
    try:
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        cr.sum(cr.sin(x)).backward()
        (g,) = cr.autograd.grad(cr.sum(cr.sin(x)), [x], create_graph=True)
    finally:
        type(prim).vjp = original
    assert modes[0] == (RAW, np.ndarray, np.ndarray)
    assert modes[1][0] == RECORD and modes[1][1] is cr.Tensor
    np.testing.assert_allclose(x.grad.data, np.cos([1.0, 2.0]), rtol=1e-6)
    assert g.requires_grad


def test_fast_ops_have_the_primitives_name_and_doc():
    assert cr.sin.__name__ == "sin" and cr.sin.primitive.name == "sin"
    assert cr.multiply.__name__ == "multiply"
    assert fastpath.unary_fast is not None
    for name in ("sin", "exp", "tanh", "multiply", "add", "arctan2", "log1p"):
        assert getattr(cr, name).__doc__, name


@pytest.mark.parametrize("inplace_under_no_grad", [False, True])
def test_inplace_write_checks_only_inputs_the_needed_gradients_read(inplace_under_no_grad):
    # As PyTorch: b * 2 and b / 4 never read b for b's own gradient, so writing into b later is
    # fine; b * w with w requiring grad reads b (for w's gradient) and must raise.
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0
    c, d = b * 2.0, b / 4.0
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    e = b * w
    if inplace_under_no_grad:
        with cr.no_grad():
            b += 1.0
    else:
        b += 1.0
    (cr.sum(c) + cr.sum(d)).backward(retain_graph=True)
    np.testing.assert_allclose(a.grad.data, [2.25, 2.25])
    with pytest.raises(RuntimeError, match=r"multiply: one of the variables needed for gradient "
                                           r"computation has been modified by an inplace operation: "
                                           r"input 0"):
        cr.sum(e).backward()
