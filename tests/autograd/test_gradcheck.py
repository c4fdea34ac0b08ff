"""gradcheck / gradgradcheck: pass on correct derivatives, fail loudly and precisely on wrong ones."""
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import GradcheckError


X = np.array([[1.0, 2.0], [3.0, 4.0]])
Y = np.array([[0.5, 1.0], [2.0, -1.0]])


class WrongGradY(cr.Function):
    """x * y whose gradient for y is 1.5 times too large."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x * 1.5


class WrongJvp(cr.Function):
    """x^2 with a right backward and a wrong jvp."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return tangent * 3 * x


class WrongSecondDerivative(cr.Function):
    """x^3 whose first derivative is right but not differentiable correctly (a detach)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() * x


@pytest.mark.parametrize("fn, inputs", [
    (lambda x, y: x * y + cr.sin(x) / (2 + cr.cos(y)), (X, Y)),
    (lambda x: cr.matmul(x, x.T).sum(axis=0), (X,)),
    (lambda x: (cr.tanh(x), cr.exp(x).mean()), (X,)),          # tuple output
    (lambda x, k: x ** k, (X, 3)),                             # a non-float input is skipped
    (lambda x: cr.softmax(x, axis=-1), (Y,)),
], ids=["elementwise", "matmul", "tuple-output", "int-argument", "softmax"])
def test_passes_on_correct_functions(fn, inputs):
    assert cr.gradcheck(fn, inputs) is True
    assert cr.gradgradcheck(fn, inputs) is True


def test_inputs_need_not_require_grad_and_may_be_float32():
    x = cr.tensor(X.astype(np.float32))            # float32, no requires_grad
    assert cr.gradcheck(lambda v: v * v * v, (x,))
    assert not x.requires_grad and x.grad is None and x.dtype == np.float32
    assert cr.gradcheck(cr.exp, X)                 # a single input need not be in a tuple
    assert cr.gradcheck(lambda v: v * v, (1.5,))   # Python floats are checked too


def test_wrong_backward_fails_with_a_precise_message():
    with pytest.raises(GradcheckError) as info:
        cr.gradcheck(WrongGradY.apply, (X, Y))
    msg = str(info.value)
    assert "analytic" in msg and "numerical" in msg
    assert "input 1" in msg
    assert "element index (0, 0)" in msg
    numbers = [float(v) for v in re.findall(r"(?:analytic|numerical) (-?[\d.e+-]+)", msg)]
    assert len(numbers) == 2
    analytic, numerical = numbers
    assert analytic == pytest.approx(1.5 * numerical)          # the planted factor
    assert isinstance(info.value, RuntimeError)


def test_wrong_backward_for_a_later_element():
    class WrongAtOneElement(cr.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            mask = np.ones((2, 2))
            mask[1, 0] = 0.0
            return grad * 2 * cr.tensor(mask)

    with pytest.raises(GradcheckError, match=r"input 0 at element index \(1, 0\).*analytic 0\.0"):
        cr.gradcheck(WrongAtOneElement.apply, (X,))


def test_raise_exception_false_returns_false():
    assert cr.gradcheck(WrongGradY.apply, (X, Y), raise_exception=False) is False
    assert cr.gradcheck(WrongJvp.apply, (X,), raise_exception=False) is False
    assert cr.gradgradcheck(WrongSecondDerivative.apply, (X,), raise_exception=False) is False


def test_wrong_forward_mode_rule_is_caught():
    with pytest.raises(GradcheckError) as info:
        cr.gradcheck(WrongJvp.apply, (X,))
    msg = str(info.value)
    assert "forward-mode" in msg and "analytic" in msg and "numerical" in msg
    assert "element index" in msg
    # The reverse-mode part alone passes:
    assert cr.gradcheck(WrongJvp.apply, (X,), check_forward=False)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    assert cr.gradcheck(WrongSecondDerivative.apply, (X,))     # first order is right
    with pytest.raises(GradcheckError, match="analytic.*numerical"):
        cr.gradgradcheck(WrongSecondDerivative.apply, (X,))


def test_tolerances_are_respected():
    class SlightlyOff(cr.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.01

    assert not cr.gradcheck(SlightlyOff.apply, (X,), raise_exception=False, check_forward=False)
    assert cr.gradcheck(SlightlyOff.apply, (X,), rtol=1e-2 * 2, check_forward=False)


def test_no_float_inputs_or_outputs_is_an_error():
    with pytest.raises(ValueError, match="no floating-point inputs"):
        cr.gradcheck(lambda v: v * 2, (cr.tensor([1, 2]),))
    with pytest.raises(ValueError, match="no floating-point Tensor"):
        cr.gradcheck(lambda v: v > 0, (X,))


def test_gradcheck_warns_when_forward_mode_is_not_supported():
    import warnings

    import numpy as np

    from chainrule.core.apply import apply
    from chainrule.core.primitive import Primitive

    class ReverseOnly(Primitive):
        name = "reverse_only_square"

        def forward(self, x):
            return x * x

        def vjp(self, needs, grad, out, x):
            return (2 * grad * x,)

    prim = ReverseOnly()
    x = np.array([0.3, -1.2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cr.gradcheck(lambda t: apply(prim, t), (x,))
    assert any("forward mode not checked" in str(w.message) and "reverse_only_square" in str(w.message)
               for w in caught)
