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
    # A complex value made inside a rule or hook is refused where it is made (the dtype gate
    # of every op: "multiply: the result would have dtype complex..."), or where it is
    # handed back (a NumPy complex array): never silently made real.
    with pytest.raises((RuntimeError, TypeError), match="complex"):
        _Complex.apply(x).sum().backward()
    y = x * 2
    y.register_hook(lambda g: g * 1j)
    with pytest.raises((RuntimeError, TypeError), match="complex"):
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


class _Log1pExpWrongBackward(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cr.log1p(cr.exp(x))

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return 2 * dy * cr.exp(x) / (1 + cr.exp(x))     # twice the true derivative


def test_f16_24_gradcheck_reports_the_jacobian_entries():
    x = cr.tensor(1.5, dtype=np.float64)
    with pytest.raises(cr.autograd.GradcheckError) as info:
        cr.gradcheck(_Log1pExpWrongBackward.apply, (x,))
    msg = str(info.value)
    assert "output 0 at element index ()" in msg and "input 0 at element index ()" in msg
    assert "random" not in msg
    analytic = float(msg.split("analytic ")[1].split()[0])
    numerical = float(msg.split("numerical ")[1].split()[0])
    sigmoid = 1 / (1 + np.exp(-1.5))
    assert analytic == pytest.approx(2 * sigmoid, rel=1e-9)      # 1.635...
    assert numerical == pytest.approx(sigmoid, rel=1e-6)         # 0.8176...


def test_f16_24_gradcheck_names_the_output_element_of_a_vector_function():
    class WrongAtOneEntry(cr.Function):       # J = 2 I except d out[1] / d x[2] = 5 (wrong: 0)
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            out.data[1] += 5 * x.data[2]
            return out

        @staticmethod
        def backward(ctx, dy):
            return dy * 2

    with pytest.raises(cr.autograd.GradcheckError,
                       match=r"output 0 at element index \(1,\) with respect to input 0 at "
                             r"element index \(2,\): analytic 0\.0 vs numerical 4\.99999"):
        cr.gradcheck(WrongAtOneEntry.apply, (cr.tensor([0.1, 0.2, 0.3], dtype=np.float64),))


class _SavesIntermediate(cr.Function):
    """The README's former example: saves e = exp(x), computed in forward (no graph)."""

    @staticmethod
    def forward(ctx, x):
        e = cr.exp(x)
        ctx.save_for_backward(e)
        return cr.log(1 + e)

    @staticmethod
    def backward(ctx, dy):
        (e,) = ctx.saved_tensors
        return dy * (1 - 1 / (1 + e)) if ctx.needs_input_grad[0] else None


def _readme_function_block():
    import pathlib
    text = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    start = text.index("```python\nclass Log1pExp(cr.Function):") + len("```python\n")
    return text[start:text.index("```", start)]


def test_f16_2_readme_function_example_has_the_right_second_derivative():
    namespace = {"cr": cr}
    block = _readme_function_block()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(block, namespace)
        Log1pExp = namespace["Log1pExp"]
        x = cr.tensor(4.5, requires_grad=True)
        (g,) = cr.autograd.grad(Log1pExp.apply(x), x)
        second = cr.grad(cr.grad(Log1pExp.apply))(4.5)
    s = 1 / (1 + np.exp(-4.5))
    assert repr(g) == "tensor(0.9890131)" and "(tensor(0.9890131),)" in block
    assert second == pytest.approx(s * (1 - s), rel=1e-9)          # 0.010866
    assert repr(second) in block
    assert cr.gradgradcheck(Log1pExp.apply, (cr.tensor([-1.0, 0.5, 4.5], dtype=np.float64),))


def test_f16_2_double_backward_through_saved_intermediate_warns_once():
    x = cr.tensor(4.5, dtype=np.float64, requires_grad=True)
    _SavesIntermediate._primitive = None          # (a fresh class state for this test)
    with pytest.warns(UserWarning, match=r"_SavesIntermediate: double backward \(create_graph=True"
                                         r"\).*saved a tensor computed inside forward.*"
                                         r"ctx\.save_for_backward") as record:
        cr.grad(cr.grad(_SavesIntermediate.apply))(4.5)
    assert record[0].filename == __file__                          # names the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # once per Function class
        cr.autograd.grad(_SavesIntermediate.apply(x), x, create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _SavesIntermediate._primitive = None
        cr.autograd.grad(_SavesIntermediate.apply(x), x)            # first order: right, silent
        cr.jvp(_SavesIntermediate.apply, (4.5,), (1.0,))            # derived jvp: silent
        jac = cr.jacrev(_SavesIntermediate.apply)(np.array([0.5, 1.5]))  # first order: silent
    np.testing.assert_allclose(jac, np.diag(1 / (1 + np.exp(-np.array([0.5, 1.5])))))
    _SavesIntermediate._primitive = None


def _line_of(marker):
    with open(__file__) as source:
        for number, line in enumerate(source, 1):
            if marker in line and "_line_of" not in line:
                return number
    raise AssertionError(marker)


def test_f16_18_inplace_version_error_names_the_write_and_its_line():
    a = cr.tensor([1.0, 2.0])
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (a * w).sum()
    a += 1
    with pytest.raises(RuntimeError, match=r"multiply: one of the variables needed.*expected "
                                           r"version 0 instead\. The last in-place write into it "
                                           r"was \+= \(add_\); enable cr\.detect_anomaly\(\)"):
        y.backward()
    with cr.detect_anomaly():
        a = cr.tensor([1.0, 2.0])
        y = (a * w).sum()
        a[0] = 5.0                                           # write-site-setitem
        with pytest.raises(RuntimeError) as info:
            y.backward()
        assert f"was __setitem__, at {__file__}:{_line_of('write-site-setitem')}" in str(info.value)
        z = cr.exp(w)
        with cr.no_grad():
            z.fill_(2.0)                                     # write-site-fill
        with pytest.raises(RuntimeError, match=r"exp: .*its output.*was fill_, at "):
            z.sum().backward()
        z = cr.exp(w)
        z.detach().zero_()                                   # write-site-detach
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
        assert (f"was fill_ through a .detach() of it, at {__file__}:"
                f"{_line_of('write-site-detach')}") in str(info.value)
