"""Issue 16 findings on the autograd API (Function, hooks, transforms, gradcheck, in place)."""
import warnings

import numpy as np
import pytest

import chainrule as cr


class _WrongShape(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, dy):
        return cr.ones(1, dtype=dy.dtype)


class _Broadcasting(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, dy):
        return cr.ones((2, 3), dtype=dy.dtype)      # larger: summed to (3,), as PyTorch


class _Complex(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, dy):
        return dy * 1j


def test_f16_5_function_backward_wrong_shape_raises():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function _WrongShapeBackward returned an invalid "
                                           r"gradient at index 0 - got \[1\] but expected shape "
                                           r"compatible with \[3\]"):
        _WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"index 0 - got \[1\]"):
        cr.autograd.grad(_WrongShape.apply(x).sum(), x, create_graph=True)
    assert x.grad is None
    _Broadcasting.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


def test_f16_5_function_backward_wrong_shape_as_torch():
    torch = pytest.importorskip("torch")

    class TorchWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, dy):
            return torch.ones(1)

    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[1\] "
                                           r"but expected shape compatible with \[3\]"):
        TorchWrong.apply(torch.ones(3, requires_grad=True)).sum().backward()


def test_f16_5_complex_gradient_from_function_or_hook_raises():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"_ComplexBackward returned a complex gradient.*index 0"):
        _Complex.apply(x).sum().backward()
    y = x * 2
    y.register_hook(lambda g: g * 1j)
    with pytest.raises(RuntimeError, match="hook '<lambda>' returned a complex gradient"):
        y.sum().backward()
    x.register_hook(lambda g: np.asarray(g) * 1j)
    with pytest.raises(RuntimeError, match="returned a complex gradient"):
        (x * 2).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("result, kind", [(None, "NoneType"), ("loss", "str"), ([1.0], "list")])
def test_f16_5_grad_of_function_returning_non_number_raises(result, kind):
    with pytest.raises(TypeError, match=rf"must return a scalar Tensor, array or number, got {kind}"):
        cr.grad(lambda x: result)(1.0)
    with pytest.raises(TypeError, match="must return a scalar"):
        cr.value_and_grad(lambda x: result)(np.ones(2))
    assert cr.grad(lambda x: 1.0)(2.0) == 0.0            # a constant number is still fine
