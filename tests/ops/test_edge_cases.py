"""Edge cases beside the op table: kinks, ties, infinities, NaN traps, dtypes, NumPy call forms.

Each test is a small worked example with its expected numbers written out.
"""
import math

import numpy as np
import pytest

import chainrule as cr


def _grad(f, *values, dtype=np.float64):
    """Gradients of sum(f(*xs)) with respect to each x (as ndarrays)."""
    xs = [cr.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    out = f(*xs)
    cr.sum(out).backward()
    return [x.grad.data for x in xs]


def _x(values, dtype=np.float64):
    return cr.tensor(np.asarray(values, dtype=dtype))


# --------------------------------------------------------------------------- subgradients at kinks
def test_relu_derivative_at_zero_is_zero():
    (g,) = _grad(cr.relu, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


def test_abs_derivative_at_zero_is_zero():
    (g,) = _grad(cr.abs, [-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])
    (g,) = _grad(lambda x: abs(x), [0.0])   # the operator too
    np.testing.assert_array_equal(g, [0.0])


def test_sqrt_derivative_at_zero_is_inf():
    with np.errstate(divide="ignore"):
        expected = 0.5 / np.sqrt(np.array([0.0, 4.0]))
    (g,) = _grad(cr.sqrt, [0.0, 4.0])
    np.testing.assert_array_equal(g, expected)
    assert g[0] == np.inf


def test_clip_gradient_passes_at_the_bounds():
    # inside and at the bounds the gradient is 1, outside 0 (as PyTorch's clamp)
    (g,) = _grad(lambda x: cr.clip(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


# --------------------------------------------------------------------------- ties
def test_max_reduction_splits_gradient_evenly_among_ties():
    (g,) = _grad(cr.max, [1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 0.0])


def test_min_reduction_splits_gradient_evenly_among_ties_per_axis():
    (g,) = _grad(lambda x: cr.min(x, axis=1), [[1.0, 1.0, 1.0], [2.0, 0.0, 5.0]])
    np.testing.assert_allclose(g, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])


def test_max_reduction_keepdims_ties_and_tuple_axis():
    x = [[[2.0, 1.0], [2.0, 0.0]], [[0.0, 4.0], [4.0, 4.0]]]
    (g,) = _grad(lambda t: cr.max(t, axis=(1, 2), keepdims=True), x)
    np.testing.assert_allclose(g, [[[0.5, 0], [0.5, 0]], [[0, 1 / 3], [1 / 3, 1 / 3]]])


def test_maximum_and_minimum_split_gradient_on_ties():
    gx, gy = _grad(cr.maximum, [1.0, 2.0, 3.0], [1.0, 5.0, 0.0])
    np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0])
    gx, gy = _grad(cr.minimum, [1.0, 2.0, 3.0], [1.0, 5.0, 0.0])
    np.testing.assert_array_equal(gx, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 0.0, 1.0])


def test_maximum_ties_against_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, -1.0]])
    y = np.array([1.0, 2.0, -1.0])
    gx, gy = _grad(cr.maximum, x, y)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    torch.maximum(tx, ty).sum().backward()
    np.testing.assert_allclose(gx, tx.grad.numpy())
    np.testing.assert_allclose(gy, ty.grad.numpy())
    (g,) = _grad(lambda t: cr.max(t, axis=0), x)
    tx.grad = None
    torch.amax(tx, dim=0).sum().backward()
    np.testing.assert_allclose(g, tx.grad.numpy())


def test_max_forward_mode_averages_tied_tangents():
    _, tangent = cr.jvp(cr.max, (_x([3.0, 1.0, 3.0]),), (_x([1.0, 5.0, 0.0]),))
    assert float(tangent) == pytest.approx(0.5)


def test_fmax_ignores_nan_in_value_and_gradient():
    gx, gy = _grad(cr.fmax, [np.nan, 1.0], [2.0, np.nan])
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0])


# --------------------------------------------------------------------------- the where trap
def test_where_sqrt_at_zero_has_zero_gradient():
    (g,) = _grad(lambda x: cr.where(x > 0, cr.sqrt(x), 0.0), [0.0, 4.0])
    np.testing.assert_array_equal(g, [0.0, 0.25])


def test_where_log_and_reciprocal_at_zero_have_zero_gradient():
    (g,) = _grad(lambda x: cr.where(x > 0, cr.log(x), 0.0), [0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.5])
    (g,) = _grad(lambda x: cr.where(x != 0, 1 / x, 0.0), [0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, -0.25])


def test_where_trap_in_forward_mode_and_second_order():
    f = lambda x: cr.where(x > 0, cr.sqrt(x), 0.0)  # noqa: E731
    _, tangent = cr.jvp(f, (_x([0.0, 4.0]),), (_x([1.0, 1.0]),))
    np.testing.assert_array_equal(np.asarray(tangent), [0.0, 0.25])
    # d2/dx2 sqrt(x) = -x^(-3/2) / 4 at 4 is -1/32; at the masked 0 it is 0
    hess = cr.hessian(lambda x: cr.sum(f(x)))(np.array([0.0, 4.0]))
    np.testing.assert_allclose(hess, [[0.0, 0.0], [0.0, -1 / 32]])


# --------------------------------------------------------------------------- prod with zeros
def test_prod_gradient_with_one_zero():
    (g,) = _grad(cr.prod, [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0])


def test_prod_gradient_with_two_zeros():
    (g,) = _grad(cr.prod, [2.0, 0.0, 0.0, 5.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 0.0])


def test_prod_gradient_with_zeros_along_an_axis():
    (g,) = _grad(lambda x: cr.prod(x, axis=1), [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]])
    np.testing.assert_array_equal(g, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, -1.0], [2.0, 0.0, 0.0, 1.0],
                                    [[2.0, 0.0], [0.0, 0.0], [1.0, 3.0]]])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_prod_with_zeros_is_exact_to_second_order(values, axis):
    # prod is a polynomial, so central differences are exact at zeros too: the second
    # derivative (d2/dxi dxj prod = product of the elements other than i and j) must match
    x = _x(values)
    assert cr.gradcheck(lambda t: cr.prod(t, axis=axis), [x])
    assert cr.gradgradcheck(lambda t: cr.prod(t, axis=axis), [x])


def test_prod_hessian_with_one_zero():
    # prod(a, b, c) at (2, 0, 3): d2/dadb = c = 3, d2/dbdc = a = 2, d2/dadc = b = 0
    hess = cr.hessian(cr.prod)(np.array([2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(hess, [[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]])


# --------------------------------------------------------------------------- stability at +-1000
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_logsumexp_is_stable(big, dtype):
    x = cr.tensor(np.array([big, big, big - 1], dtype=dtype), requires_grad=True)
    out = cr.logsumexp(x)
    expected = big + math.log(2 + math.exp(-1))
    assert out.dtype == dtype
    assert float(out) == pytest.approx(expected, rel=1e-6)
    out.backward()
    e = np.array([1.0, 1.0, math.exp(-1)])
    np.testing.assert_allclose(x.grad.data, e / e.sum(), rtol=1e-5)


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_softmax_and_log_softmax_are_stable(big):
    x = cr.tensor(np.array([big, 0.0]), requires_grad=True)
    p = cr.softmax(x)
    np.testing.assert_allclose(p.data, [1.0, 0.0] if big > 0 else [0.0, 1.0])
    logp = cr.log_softmax(x)
    np.testing.assert_allclose(logp.data, [0.0, -1000.0] if big > 0 else [-1000.0, 0.0])
    cr.sum(logp * cr.tensor([1.0, 0.0])).backward()
    # d/dx log p0 = e0 - p
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0] if big > 0 else [1.0, -1.0])


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_sigmoid_is_stable(big):
    x = cr.tensor(np.array([big, big / 2], dtype=np.float32), requires_grad=True)
    y = cr.sigmoid(x)
    np.testing.assert_array_equal(y.data, [1.0, 1.0] if big > 0 else [0.0, 0.0])
    cr.sum(y).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_logaddexp_is_stable(big):
    gx, gy = _grad(cr.logaddexp, [big, big], [big, big - 2])
    out = cr.logaddexp(_x([big, big]), _x([big, big - 2]))
    np.testing.assert_allclose(out.data, [big + math.log(2), big + math.log1p(math.exp(-2))])
    s = 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(gx, [0.5, s])
    np.testing.assert_allclose(gy, [0.5, 1 - s])


def test_softplus_is_stable():
    (g,) = _grad(cr.softplus, [1000.0, -1000.0, 0.0])
    np.testing.assert_allclose(cr.softplus(_x([1000.0, -1000.0])).data, [1000.0, 0.0])
    np.testing.assert_allclose(g, [1.0, 0.0, 0.5])


# --------------------------------------------------------------------------- dtypes and weak scalars
def test_python_scalars_are_weakly_typed():
    x = cr.tensor(np.array([1.0, 2.0], dtype=np.float32))
    for result in (x * 2.0, 2.0 * x, x + 1, x / 3, x - 0.5, x ** 2, 2.0 ** x, cr.maximum(x, 1.5),
                   cr.where(x > 1, x, 0.0), cr.power(x, 2.5), cr.arctan2(x, 1.0)):
        assert result.dtype == np.float32


def test_integer_tensor_times_float_scalar_is_default_float():
    i = cr.tensor([1, 2, 3])
    assert i.dtype == np.int64
    assert (i * 2.5).dtype == np.float32
    assert (i * 2).dtype == np.int64
    assert (i / 2).dtype == np.float32
    np.testing.assert_array_equal((i * 2.5).data, [2.5, 5.0, 7.5])
    for fn in (cr.sqrt, cr.exp, cr.sigmoid, cr.mean):
        assert fn(i).dtype == np.float32
    cr.set_default_dtype(np.float64)
    try:
        assert (i * 2.5).dtype == np.float64
    finally:
        cr.set_default_dtype(np.float32)


def test_int_float_promotion():
    i = cr.tensor([1, 2])
    f32 = cr.tensor(np.array([0.5, 0.25], dtype=np.float32))
    f64 = cr.tensor(np.array([0.5, 0.25]))
    assert (i + f32).dtype == np.float32     # as PyTorch (NumPy would say float64)
    assert (i + f64).dtype == np.float64
    assert (f32 + f64).dtype == np.float64
    assert (i + i).dtype == np.int64
    np.testing.assert_array_equal((i + f32).data, [1.5, 2.25])


def test_float32_gradients_stay_float32_through_a_float64_constant():
    x = cr.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x * np.array([3.0, 4.0])   # the float64 ndarray is a strong type: y is float64
    assert y.dtype == np.float64
    cr.sum(y).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_astype_is_differentiable_between_float_dtypes():
    x = cr.tensor(np.array([1.5, -2.0], dtype=np.float32), requires_grad=True)
    y = cr.astype(x, np.float64)
    assert y.dtype == np.float64
    cr.sum(y * y).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, -4.0])
    assert not cr.astype(x, np.int64).requires_grad


def test_scalar_and_ndarray_arguments():
    out = cr.exp(1.0)
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32
    assert float(out) == pytest.approx(math.e)
    out = cr.add(np.array([1.0, 2.0]), 1.0)
    assert isinstance(out, cr.Tensor) and out.dtype == np.float64
    assert cr.sum([1.0, 2.0, 3.0]).item() == 6.0


# --------------------------------------------------------------------------- NumPy call forms
def test_split_into_equal_sections():
    x = cr.arange(6.0)
    parts = cr.split(x, 3)
    assert [p.shape for p in parts] == [(2,), (2,), (2,)]
    np.testing.assert_array_equal(np.concatenate([p.data for p in parts]), np.arange(6.0))
    parts = cr.split(cr.tensor(np.arange(12.0).reshape(2, 6)), [1, 4], axis=1)
    assert [p.shape for p in parts] == [(2, 1), (2, 3), (2, 2)]
    (g,) = _grad(lambda t: cr.split(t, 3)[1] * 2, np.arange(6.0))
    np.testing.assert_array_equal(g, [0, 0, 2, 2, 0, 0])


def test_pad_takes_numpy_pad_width():
    x = np.arange(6.0).reshape(2, 3)
    for width in (1, (1, 2), ((1, 0), (2, 1))):
        np.testing.assert_array_equal(cr.pad(cr.tensor(x), width).data, np.pad(x, width))
    # edge padding copies row 0 once more, column 0 twice more and column 2 once more:
    # each element's gradient counts its copies (row count x column count)
    (g,) = _grad(lambda t: cr.pad(t, ((1, 0), (2, 1)), mode="edge"), x)
    np.testing.assert_array_equal(g, [[2 * 3, 2 * 1, 2 * 2], [1 * 3, 1 * 1, 1 * 2]])


@pytest.mark.parametrize("name,fn,ref", [
    ("flip", lambda t: cr.flip(t, axis=None), lambda a: np.flip(a, axis=None)),
    ("cumsum", lambda t: cr.cumsum(t, axis=None), lambda a: np.cumsum(a, axis=None)),
    ("take", lambda t: cr.take(t, [5, 0, 3], axis=None), lambda a: np.take(a, [5, 0, 3], axis=None)),
    ("argmax", lambda t: cr.argmax(t, axis=None), lambda a: np.argmax(a, axis=None)),
    ("argmin", lambda t: cr.argmin(t), lambda a: np.argmin(a)),
])
def test_axis_none_flattens(name, fn, ref):
    a = np.array([[3.0, 1.0, 4.0], [1.5, 9.0, 2.0]])
    out = fn(cr.tensor(a))
    expected = ref(a)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.data, expected)


def test_cumsum_axis_none_gradient():
    (g,) = _grad(lambda t: cr.cumsum(t) * np.arange(1.0, 5.0), [[1.0, 2.0], [3.0, 4.0]])
    # d/dx_j sum_i w_i cumsum_i = sum_{i >= j} w_i with w = 1, 2, 3, 4
    np.testing.assert_array_equal(g, [[10.0, 9.0], [7.0, 4.0]])


def test_tensordot_with_int_axes():
    a = np.arange(24.0).reshape(2, 3, 4)
    b = np.arange(24.0).reshape(3, 4, 2)
    for axes in (0, 1, 2):
        bb = b if axes != 1 else b.reshape(4, 3, 2)
        np.testing.assert_allclose(cr.tensordot(cr.tensor(a), cr.tensor(bb), axes).data,
                                   np.tensordot(a, bb, axes))
    assert cr.tensordot(cr.tensor(a), cr.tensor(b)).shape == (2, 2)   # default axes=2


def test_einsum_sublist_form():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    out = cr.einsum(cr.tensor(a), [0, 1], cr.tensor(b), [1, 2], [0, 2])
    np.testing.assert_allclose(out.data, a @ b)
    out = cr.einsum(cr.tensor(a), [0, 1], [1])   # column sums
    np.testing.assert_allclose(out.data, a.sum(axis=0))
    assert cr.gradcheck(lambda x, y: cr.einsum(x, [0, 1], y, [1, 2], [0, 2]),
                        [cr.tensor(a), cr.tensor(b)])


def test_dot_with_a_zero_dimensional_operand():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.dot(cr.tensor(2.5), cr.tensor(a)).data, np.dot(2.5, a))
    np.testing.assert_array_equal(cr.dot(cr.tensor(a), 2.5).data, np.dot(a, 2.5))
    gs, ga = _grad(cr.dot, 2.0, a)
    assert gs.shape == () and gs == a.sum()
    np.testing.assert_array_equal(ga, np.full((2, 3), 2.0))


def test_reductions_of_a_list_of_tensors():
    a = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = cr.tensor(np.array([3.0, 5.0]), requires_grad=True)
    np.testing.assert_array_equal(cr.sum([a, b], axis=0).data, [4.0, 7.0])
    np.testing.assert_array_equal(cr.mean([a, b], axis=1).data, [1.5, 4.0])
    np.testing.assert_array_equal(cr.max([a, b]).data, 5.0)
    out = cr.prod([a, b], axis=0)
    np.testing.assert_array_equal(out.data, [3.0, 10.0])
    cr.sum(out).backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 5.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])


def test_stack_and_array_of_tensors_are_differentiable():
    a = cr.tensor(2.0, requires_grad=True)
    b = cr.tensor(3.0, requires_grad=True)
    m = cr.array([[a, b], [b * b, 1.0]])
    assert m.shape == (2, 2) and m.requires_grad
    np.testing.assert_allclose(m.data, [[2.0, 3.0], [9.0, 1.0]])
    cr.sum(m * np.array([[1.0, 10.0], [100.0, 1000.0]])).backward()
    assert float(a.grad) == 1.0
    assert float(b.grad) == pytest.approx(10.0 + 100.0 * 2 * 3.0)
    s = cr.stack([a, b, a])
    cr.sum(s * cr.tensor([1.0, 2.0, 4.0])).backward()
    assert float(a.grad) == 1.0 + 5.0


# --------------------------------------------------------------------------- norm
@pytest.mark.parametrize("ord_", [None, 1, 2, 3, 0.5, np.inf, -np.inf, 0, -1])
def test_vector_norm_values_and_zero_gradient_at_zero(ord_):
    v = np.array([3.0, -4.0, 0.5])
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(v, ord=ord_)
    assert float(cr.norm(cr.tensor(v), ord=ord_)) == pytest.approx(expected)
    (g,) = _grad(lambda t: cr.norm(t, ord=ord_), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    # a zero element inside a non-zero vector gets a finite (subgradient 0) gradient too
    (g,) = _grad(lambda t: cr.norm(t, ord=ord_), [0.0, 1.0, -2.0])
    assert np.all(np.isfinite(g)) and g[0] == 0.0


def test_norm_two_gradient_is_the_unit_vector():
    (g,) = _grad(cr.norm, [3.0, -4.0])
    np.testing.assert_allclose(g, [0.6, -0.8])


@pytest.mark.parametrize("ord_", [None, "fro", 1, -1, np.inf, -np.inf])
def test_matrix_norms(ord_):
    m = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    assert float(cr.norm(cr.tensor(m), ord=ord_)) == pytest.approx(np.linalg.norm(m, ord=ord_))
    assert cr.gradcheck(lambda t: cr.norm(t, ord=ord_), [cr.tensor(m)])
    (g,) = _grad(lambda t: cr.norm(t, ord=ord_), np.zeros((2, 3)))
    assert np.all(np.isfinite(g))


def test_unsupported_matrix_norm_names_the_order():
    with pytest.raises(ValueError, match=r"norm: matrix ord=3 is not supported"):
        cr.norm(cr.ones(2, 2), 3, axis=(0, 1))


# --------------------------------------------------------------------------- indexing
def test_repeated_integer_indices_accumulate():
    (g,) = _grad(lambda t: t[[0, 0, 2, 0]], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [3.0, 0.0, 1.0])


def test_mixed_advanced_indexing_follows_numpy():
    a = np.arange(80.0).reshape(4, 5, 4)
    out = cr.tensor(a)[3, 2:, [1, 3]]
    np.testing.assert_array_equal(out.data, a[3, 2:, [1, 3]])
    assert out.shape == (2, 3)   # the advanced axes go first, as NumPy
    (g,) = _grad(lambda t: t[3, 2:, [1, 3]], a)
    expected = np.zeros_like(a)
    expected[3, 2:, [1, 3]] = 1.0
    np.testing.assert_array_equal(g, expected)


# --------------------------------------------------------------------------- higher order through composites
def test_third_derivative_of_prod_and_logsumexp():
    d3 = cr.grad(cr.grad(cr.grad(lambda x: cr.prod(x * x))))(np.array(1.5))
    # prod of one element: f = x^2 -> f''' = 0
    assert float(d3) == 0.0
    f = lambda x: cr.logsumexp(cr.stack([x, 2 * x]))  # noqa: E731
    x0 = 0.3
    d1 = cr.grad(f)(x0)
    s = 1 / (1 + math.exp(-x0))   # weight of 2x
    assert d1 == pytest.approx((1 - s) + 2 * s)
