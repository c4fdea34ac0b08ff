"""Tensor: creation and dtypes, attributes, conversion, operators, indexing, in place, repr."""
import operator

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def default_float64():
    cr.set_default_dtype(np.float64)
    try:
        yield
    finally:
        cr.set_default_dtype(np.float32)


# ---------------------------------------------------------------- creation and dtypes

@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32),
    (3, np.int64), ([1, 2], np.int64), (True, np.bool_), ([True, False], np.bool_),
])
def test_python_data_dtypes(data, dtype):
    t = cr.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.array(data))
    assert cr.Tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32,
                                   np.uint8, np.bool_])
def test_ndarray_keeps_its_dtype_and_is_copied(dtype):
    a = np.ones((2, 2), dtype=dtype)
    t = cr.tensor(a)
    assert t.dtype == dtype
    a[0, 0] = 0
    assert t.data[0, 0] == 1            # cr.tensor copies; from_numpy shares
    s = cr.from_numpy(a)
    a[1, 1] = 0
    assert s.data[1, 1] == 0


@pytest.mark.parametrize("data", ["abc", [1, "a"], None, np.array(["x"]), 1 + 2j, {"a": 1}],
                         ids=["str", "mixed-list", "None", "str-array", "complex", "dict"])
def test_non_numeric_data_raises_type_error(data):
    with pytest.raises(TypeError, match="tensor:"):
        cr.tensor(data)


def test_ragged_data_raises_value_error():
    with pytest.raises(ValueError, match="tensor:.*inhomogeneous"):
        cr.tensor([[1.0, 2.0], [3.0]])


def test_explicit_dtype_and_tensor_from_tensor():
    assert cr.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert cr.tensor([1.7], dtype="int32").dtype == np.int32
    t = cr.tensor([1.0, 2.0])
    assert cr.tensor(t).dtype == np.float32 and cr.tensor(t).data is not t.data


def test_creation_functions_default_dtype(default_float64):
    assert cr.get_default_dtype() == np.float64
    for t in [cr.zeros(2), cr.ones(2, 3), cr.empty((2,)), cr.full((2,), 1.5), cr.linspace(0, 1, 5),
              cr.eye(3), cr.rand(2), cr.randn(2), cr.tensor([1.0]), cr.arange(0.0, 1.0, 0.25)]:
        assert t.dtype == np.float64
    assert cr.arange(5).dtype == np.int64
    assert cr.full((2,), 3).dtype == np.int64
    assert cr.randint(0, 5, (3,)).dtype == np.int64


def test_creation_functions_float32_by_default():
    assert cr.get_default_dtype() == np.float32
    for t in [cr.zeros(2), cr.ones((2, 3)), cr.full((2,), 1.5), cr.linspace(0, 1, 5), cr.eye(2),
              cr.rand(2), cr.randn(2, 2)]:
        assert t.dtype == np.float32
    assert cr.zeros(2, 3).shape == (2, 3) and cr.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(cr.eye(2, 3, k=1).data, np.eye(2, 3, k=1))
    np.testing.assert_allclose(cr.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    np.testing.assert_array_equal(cr.zeros_like(cr.tensor([1, 2])).data, [0, 0])
    assert cr.zeros_like(cr.tensor([1, 2])).dtype == np.int64
    assert cr.ones_like(np.zeros(2, np.float64)).dtype == np.float64
    assert cr.full_like(cr.zeros(3), 7.0).data.tolist() == [7.0, 7.0, 7.0]


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="int64"):
        cr.set_default_dtype(np.int64)
    assert cr.get_default_dtype() == np.float32


def test_weak_python_scalars():
    f32 = cr.tensor([1.0, 2.0])
    assert (f32 * 2.0).dtype == np.float32
    assert (2.0 * f32).dtype == np.float32
    assert (f32 + 1).dtype == np.float32
    assert (cr.tensor([1, 2]) * 2.5).dtype == np.float32      # int tensor * weak float
    assert (cr.tensor([1, 2]) * 2).dtype == np.int64
    assert (f32 * np.ones(2)).dtype == np.float64              # ndarrays are not weak


def test_random_functions_are_seeded():
    cr.manual_seed(123)
    a, b, c = cr.rand(3), cr.randn(2, 2), cr.randint(0, 10, (4,))
    cr.manual_seed(123)
    np.testing.assert_array_equal(a.data, cr.rand(3).data)
    np.testing.assert_array_equal(b.data, cr.randn(2, 2).data)
    np.testing.assert_array_equal(c.data, cr.randint(0, 10, (4,)).data)
    assert ((a.data >= 0) & (a.data < 1)).all()
    assert ((c.data >= 0) & (c.data < 10)).all()
    state = cr.get_rng_state()
    first = cr.randn(5).data
    cr.set_rng_state(state)
    np.testing.assert_array_equal(first, cr.randn(5).data)
    with pytest.raises(TypeError):
        cr.manual_seed(1.5)


@pytest.mark.parametrize("data", [[1, 2], True, np.arange(3)])
def test_requires_grad_on_non_float_raises(data):
    with pytest.raises(TypeError, match="floating point"):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating point"):
        cr.tensor(data).requires_grad_()


def test_requires_grad_on_creation_functions():
    t = cr.zeros(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(TypeError):
        cr.arange(3, requires_grad=True)


# ---------------------------------------------------------------- attributes

def test_attributes():
    t = cr.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert t.shape == (2, 3, 4) and type(t.shape) is tuple
    assert t.ndim == 3 and t.size == 24 and t.dtype == np.float64
    assert t.device == "cpu"
    assert t.grad is None and not t.requires_grad and t.is_leaf
    np.testing.assert_array_equal(t.T.data, t.data.T)
    np.testing.assert_array_equal(t.mT.data, np.swapaxes(t.data, -1, -2))
    m = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (m.T * cr.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(m.grad.data, [[1.0, 100.0], [10.0, 1000.0]])


def test_requires_grad_flag_and_non_leaf():
    x = cr.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


# ---------------------------------------------------------------- conversion

def test_numpy_shares_memory_and_raises_when_requiring_grad():
    t = cr.tensor([1.0, 2.0])
    a = t.numpy()
    assert a is t.data
    r = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        r.numpy()
    np.testing.assert_array_equal(r.detach().numpy(), [1.0, 2.0])


def test_item_tolist_and_asarray():
    assert cr.tensor([[2.5]]).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    with pytest.raises(ValueError, match="2 elements"):
        cr.tensor([1.0, 2.0]).item()
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    a = np.asarray(t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [1.0, 2.0])
    assert np.array(t, copy=True) is not t.data
    assert float(cr.tensor([1.5])) == 1.5 and int(cr.tensor(7)) == 7
    assert [1, 2, 3][cr.tensor(1)] == 2


def test_astype_differentiable_between_floats():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32


def test_detach_shares_data_without_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)


def test_clone_is_a_differentiable_copy():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.data, x.data) and not c.is_leaf
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    c = x.clone()
    c += 1                              # a clone is a non-leaf: in place is allowed
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


# ---------------------------------------------------------------- operators

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
          operator.mod, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_binary_operators_with_every_operand_kind(op):
    a = np.array([1.5, 2.0, 3.25])
    b = np.array([0.5, 3.0, 1.5])
    ta, tb = cr.tensor(a), cr.tensor(b)
    expected = op(a, b)
    for left, right in [(ta, tb), (ta, b), (a, tb)]:
        out = op(left, right)
        assert isinstance(out, cr.Tensor)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.data, expected)
    for scalar in (2, 2.5):
        right = op(ta, scalar)
        left = op(scalar, ta)
        assert isinstance(right, cr.Tensor) and isinstance(left, cr.Tensor)
        np.testing.assert_allclose(right.data, op(a, scalar))
        np.testing.assert_allclose(left.data, op(scalar, a))


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow], ids=lambda op: op.__name__)
def test_operator_gradients_on_either_side(op):
    a = np.array([1.5, 2.0, 3.25])
    b = np.array([0.5, 3.0, 1.5])
    x = cr.tensor(a, requires_grad=True)
    y = cr.tensor(b, requires_grad=True)
    assert cr.gradcheck(lambda x, y: op(x, y), (x, y))
    assert cr.gradcheck(lambda x: op(x, b), (x,))
    assert cr.gradcheck(lambda x: op(b, x), (x,))
    assert cr.gradcheck(lambda x: op(x, 1.5), (x,))
    assert cr.gradcheck(lambda x: op(1.5, x), (x,))


def test_matmul_operator_and_reflected():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose((cr.tensor(a) @ cr.tensor(b)).data, a @ b)
    np.testing.assert_allclose((cr.tensor(a) @ b).data, a @ b)
    out = a @ cr.tensor(b)
    assert isinstance(out, cr.Tensor)
    np.testing.assert_allclose(out.data, a @ b)
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        cr.tensor(a) @ cr.tensor(a)


def test_unary_operators():
    a = np.array([1.5, -2.0])
    t = cr.tensor(a, requires_grad=True)
    np.testing.assert_array_equal((-t).data, -a)
    np.testing.assert_array_equal(abs(t).data, np.abs(a))
    assert (+t) is t
    (-t + abs(t)).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [0.0, -2.0])


@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge,
                                operator.eq, operator.ne], ids=lambda op: op.__name__)
def test_comparisons_return_bool_without_grad(op):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([2.0, 2.0, 2.0])
    t = cr.tensor(a, requires_grad=True)
    for out, expected in [(op(t, cr.tensor(b)), op(a, b)), (op(t, b), op(a, b)),
                          (op(b, t), op(b, a)), (op(t, 2.0), op(a, 2.0)),
                          (op(2.0, t), op(2.0, a))]:
        assert isinstance(out, cr.Tensor)
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.data, expected)


def test_logical_operators_on_bool_tensors():
    p, q = cr.tensor([True, False, True]), cr.tensor([True, True, False])
    np.testing.assert_array_equal((p & q).data, [True, False, False])
    np.testing.assert_array_equal((p | q).data, [True, True, True])
    np.testing.assert_array_equal((p ^ q).data, [False, True, True])
    np.testing.assert_array_equal((~p).data, [False, True, False])


def test_tensor_is_hashable_and_not_iterable_when_0d():
    t = cr.tensor(1.0)
    assert {t: 1}[t] == 1
    with pytest.raises(TypeError):
        len(t)
    with pytest.raises(TypeError):
        iter(t)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))
    assert [x.item() for x in cr.tensor([1.0, 2.0])] == [1.0, 2.0]


# ---------------------------------------------------------------- methods, dim= alias

def test_reduction_methods_accept_dim_alias():
    a = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(a)
    np.testing.assert_allclose(t.sum(dim=1).data, a.sum(axis=1))
    np.testing.assert_allclose(t.sum(axis=0, keepdims=True).data, a.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(t.mean(dim=0, keepdim=True).data, a.mean(axis=0, keepdims=True))
    np.testing.assert_allclose(t.var(dim=1).data, a.var(axis=1))
    np.testing.assert_allclose(t.std(dim=1, ddof=1).data, a.std(axis=1, ddof=1))
    np.testing.assert_allclose(t.max(dim=1).data, a.max(axis=1))
    np.testing.assert_allclose(t.min(dim=0).data, a.min(axis=0))
    np.testing.assert_allclose(t.prod(dim=1).data, a.prod(axis=1))
    np.testing.assert_array_equal(t.argmax(dim=1).data, a.argmax(axis=1))
    np.testing.assert_allclose(t.cumsum(dim=1).data, a.cumsum(axis=1))
    np.testing.assert_allclose(t.softmax(dim=0).data.sum(axis=0), np.ones(3))
    assert t.squeeze(dim=0).shape == (2, 3)           # torch: a non-1 dim is left alone
    assert t.reshape(1, 2, 1, 3).squeeze(dim=2).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="squeeze"):
        t.squeeze(0)                                    # NumPy's axis= raises


def test_shape_methods():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = cr.tensor(a)
    assert t.reshape(6, 4).shape == (6, 4) and t.reshape((4, 6)).shape == (4, 6)
    assert t.transpose(2, 0, 1).shape == (4, 2, 3) and t.transpose().shape == (4, 3, 2)
    assert t.swapaxes(0, 2).shape == (4, 3, 2)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.expand_dims(0).shape == (1, 2, 3, 4)
    np.testing.assert_array_equal(t.repeat(2, axis=0).data, np.repeat(a, 2, axis=0))
    np.testing.assert_allclose(t.exp().data, np.exp(a))


# ---------------------------------------------------------------- indexing

@pytest.mark.parametrize("key", [
    0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 0), slice(None, None, -1),
    (np.array([0, 1, 1]),), ([1, 0, 1], slice(1, 3)), (1, slice(1, None), [1, 3]),
], ids=str)
def test_indexing_forward_and_scattered_gradient(key):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(a, requires_grad=True)
    y = x[key]
    np.testing.assert_array_equal(y.data, a[key])
    weights = np.arange(1.0, y.size + 1).reshape(y.shape)
    (y * weights).sum().backward()
    expected = np.zeros_like(a)
    np.add.at(expected, key, weights)       # repeated indices accumulate
    np.testing.assert_array_equal(x.grad.data, expected)


def test_boolean_mask_and_tensor_indices():
    a = np.arange(6.0)
    x = cr.tensor(a, requires_grad=True)
    mask = x > 2.5
    y = x[mask]
    np.testing.assert_array_equal(y.data, [3.0, 4.0, 5.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(x[cr.tensor([4, 0])].data, [4.0, 0.0])
    with pytest.raises(IndexError, match="integer or bool"):
        x[cr.tensor([0.0])]
    with pytest.raises(IndexError, match=r"out of bounds.*shape \(6,\)"):
        x[10]


# ---------------------------------------------------------------- in place

def test_inplace_operators_write_into_the_same_buffer():
    t = cr.tensor([1.0, 2.0, 3.0])
    buffer = t.data
    t += 1
    t -= 0.5
    t *= 2
    t /= 4
    t **= 2
    np.testing.assert_allclose(t.data, (((np.array([1.0, 2.0, 3.0]) + 0.5) * 2) / 4) ** 2)
    assert t.data is buffer
    assert t._version == 5
    t[0] = 10.0
    t[1:] = cr.tensor([7.0, 8.0])
    np.testing.assert_array_equal(t.data, [10.0, 7.0, 8.0])
    t.fill_(2.0)
    np.testing.assert_array_equal(t.data, [2.0, 2.0, 2.0])
    t.zero_()
    np.testing.assert_array_equal(t.data, [0.0, 0.0, 0.0])
    t.add_(cr.ones(3), alpha=3)
    np.testing.assert_array_equal(t.data, [3.0, 3.0, 3.0])
    t.copy_(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(t.data, [1.0, 2.0, 3.0])
    assert t._version == 11 and t.data is buffer


def test_inplace_on_non_leaf_records_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, -1.0], requires_grad=True)
    t = x * 1
    t *= y                              # t = x * y
    t[0] = t[0] * 2                     # t = (2 x0 y0, x1 y1)
    t.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, -1.0])
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])


def test_inplace_on_leaf_requiring_grad_raises():
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with cr.no_grad():
        w += 1
    assert w.item() == 2.0 and w.requires_grad


# ---------------------------------------------------------------- repr

def test_repr():
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(cr.tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    assert repr(cr.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    x = cr.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<multiply>)"
    assert repr(cr.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"


def test_tensor_name_is_shown_in_pictures():
    import chainrule.viz as viz
    x = cr.tensor(2.0, requires_grad=True, name="weight")
    y = x * 3
    assert x.name == "weight"
    assert "weight" in viz.to_dot(y)


def test_tensor_from_a_list_keeps_the_dtype_of_typed_elements():
    # As PyTorch: Python numbers are weakly typed (default float dtype), but Tensors,
    # ndarrays and NumPy scalars inside a list keep their dtype.
    t64 = cr.tensor(1.0, dtype=cr.float64)
    assert cr.tensor([t64, t64]).dtype == np.float64
    assert cr.tensor([np.float64(1.0), 2.0]).dtype == np.float64
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor([[1.5], [2]]).dtype == np.float32
    assert cr.tensor([1, 2]).dtype == np.int64


def test_numpy_reductions_on_a_tensor_defer_to_its_methods():
    # np.sum(t) calls t.sum(axis=None, dtype=None, out=None): the result is a Tensor, differentiable
    t = cr.tensor([[1.0, -2.0], [3.0, 4.5]], requires_grad=True)
    for np_fn, value in ((np.sum, 6.5), (np.mean, 1.625), (np.max, 4.5), (np.min, -2.0),
                         (np.prod, -27.0), (np.var, 5.921875)):
        result = np_fn(t)
        assert isinstance(result, cr.Tensor)
        np.testing.assert_allclose(result.data, value, rtol=1e-6)
    np.sum(t * t).backward()
    np.testing.assert_allclose(t.grad.data, 2 * t.data)
    np.testing.assert_array_equal(np.clip(t, 0, 1).data, np.clip(t.data, 0, 1))
    assert int(np.argmax(t).data) == 3
    with pytest.raises(TypeError, match=r"Tensor.sum: out= is not supported"):
        np.sum(t, out=np.zeros(()))


# ---------------------------------------------------------------- findings of issue 16
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_f16_4_np_matrix_refused_with_conversion_hint():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match=r"np\.matrix.*np\.asarray\(m\)"):
        cr.tensor(m)
    with pytest.raises(TypeError, match=r"np\.asarray\(m\)"):
        cr.as_tensor(m)
    with pytest.raises(TypeError, match=r"np\.asarray\(m\)"):
        cr.from_numpy(m)
    x = cr.tensor(np.asarray(m), requires_grad=True)     # the documented conversion
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * np.asarray(m))


def test_f16_4_masked_array_refused_with_conversion_hint():
    m = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(TypeError, match=r"masked array.*m\.filled\(fill_value\)"):
        cr.tensor(m)
    with pytest.raises(TypeError, match="masked array"):
        cr.tensor(m, dtype=np.float64)
    with pytest.raises(TypeError, match="masked array"):
        cr.from_numpy(m)
    np.testing.assert_array_equal(cr.tensor(m.filled(0.0)).data, [1.0, 0.0, 3.0])


def test_f16_9_format_spec_on_one_element_tensors():
    loss = cr.tensor(0.123456, requires_grad=True) * 2
    assert f"{loss:.4f}" == "0.2469"
    assert f"{cr.tensor([1.5]):.2f}" == "1.50"
    assert f"{cr.tensor(3):d}" == "3"
    assert f"{cr.tensor(1.5)}" == "1.5"                 # 0-d: the number (as PyTorch)
    assert f"{cr.tensor([1.0, 2.0])}" == str(cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"unsupported format string '\.2f'.*shape \(2,\)"):
        f"{cr.tensor([1.0, 2.0]):.2f}"


def test_f16_9_grad_of_non_leaf_warns_mentioning_retain_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match=r"not a leaf Tensor.*retain_grad\(\)"):
        assert y.grad is None
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None                        # a leaf: no warning
        z = x * 3
        z.retain_grad()
        z.sum().backward()
        np.testing.assert_array_equal(z.grad.data, [1.0, 1.0])   # retained: no warning
        assert (x.detach() * 2).grad is None             # no grad required: no warning


def test_f16_9_int_tensor_with_requires_grad_set_raises_at_backward():
    t = cr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="floating point"):
        t.requires_grad_()
    t = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t.data = np.array([1, 2, 3])                         # (a leaf's .data swapped for ints)
    with pytest.raises(TypeError, match=r"floating point dtype can require gradients.*int64"):
        (t * t).sum().backward()
    with pytest.raises(TypeError, match=r"floating point dtype can require gradients"):
        cr.autograd.grad((t * t).sum(), t)
    assert t.grad is None


@pytest.mark.parametrize("make", [lambda: cr.tensor([1, 2, 3]), lambda: cr.tensor([True, False]),
                                  lambda: cr.arange(4), lambda: cr.tensor(7)])
def test_f16_9_int_requires_grad_assignment_raises(make):
    t = make()
    with pytest.raises(TypeError, match=r"only Tensors of floating point dtype can require "
                                        r"gradients, got dtype"):
        t.requires_grad = True
    assert t.requires_grad is False
    t.requires_grad = False                              # False is fine on any leaf
    assert t.requires_grad is False and (t * 2).requires_grad is False


def test_f16_9_requires_grad_assignment_on_floats_and_parameters():
    x = cr.tensor([1.0, 2.0])
    x.requires_grad = True
    assert x.requires_grad is True and x.is_leaf
    y = x * 3
    assert y.requires_grad is True and y.grad_fn is not None
    y.requires_grad = True                               # True on a non-leaf that requires grad: ok
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False                          # (as requires_grad_(False), PyTorch)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    x.requires_grad = False                              # False on a leaf works
    assert x.requires_grad is False and (x * 3).grad_fn is None
    x.requires_grad = 1                                  # truthy: stored as a bool
    assert x.requires_grad is True
    p = cr.nn.Parameter(cr.tensor([1.0, 2.0]))
    assert p.requires_grad is True
    p.requires_grad = False
    assert p.requires_grad is False
    p.requires_grad = True
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 4.0])
    with pytest.raises(TypeError, match="floating"):
        cr.nn.Parameter(np.array([1, 2]), requires_grad=False).requires_grad = True
    d = cr.tensor([1.0]).detach_()
    assert d.requires_grad is False


def test_f16_9_requires_grad_survives_pickle_copy_and_state_dict():
    import copy
    import pickle
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x), copy.copy(x)):
        assert y.requires_grad is True and "requires_grad" not in vars(y)
        np.testing.assert_array_equal(y.data, x.data)
    z = pickle.loads(pickle.dumps(cr.tensor([1.0])))
    assert z.requires_grad is False
    old = cr.Tensor.__new__(cr.Tensor)                   # pickled when the flag was a plain attribute
    old.__setstate__({"data": np.array([1.0]), "requires_grad": True})
    assert old.requires_grad is True and "requires_grad" not in vars(old)
    lin = cr.nn.Linear(2, 3)
    lin.weight.requires_grad = False
    p = pickle.loads(pickle.dumps(lin))
    assert p.weight.requires_grad is False and p.bias.requires_grad is True
    assert isinstance(p.weight, cr.nn.Parameter)
    sd = lin.state_dict()
    fresh = cr.nn.Linear(2, 3)
    fresh.load_state_dict(sd)
    np.testing.assert_array_equal(fresh.weight.data, lin.weight.data)
    assert fresh.weight.requires_grad is True and fresh.bias.requires_grad is True
    assert [q.requires_grad for q in copy.deepcopy(lin).parameters()] == [False, True]


def test_f16_20_tensor_html():
    import html
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="w<1>&")
    page = x._repr_html_()
    assert "<b>Tensor</b>" in page and "shape=(2,)" in page and "dtype=float32" in page
    assert "requires_grad=True" in page and "[1., 2.]" in page
    assert "&lt;1&gt;&amp;" in page and "w<1>" not in page          # the name is escaped
    y = x * 2
    page = y._repr_html_()
    assert f"grad_fn=&lt;{html.escape(y.node.name)}&gt;" in page and "requires_grad" not in page
    assert "[2., 4.]" in page
    page = cr.arange(5000)._repr_html_()                            # truncated as repr is
    assert "shape=(5000,)" in page and "dtype=int64" in page and "..." in page
    assert "requires_grad=False" in page and len(page) < 1000 and "2500" not in page
    assert "<pre" in page and page.count("<div") == page.count("</div>") == 2
    assert "shape=()" in cr.tensor(3)._repr_html_() and ">3</pre>" in cr.tensor(3)._repr_html_()
    big = cr.zeros(200, 200)._repr_html_()
    assert "shape=(200, 200)" in big and "..." in big and len(big) < 2000
    p = cr.nn.Parameter(cr.tensor([[1.0, -1.0]]))
    assert "<b>Parameter</b>" in p._repr_html_() and "[[ 1., -1.]]" in p._repr_html_()
    assert "&lt;" not in cr.tensor([True])._repr_html_().split("<pre")[1]
