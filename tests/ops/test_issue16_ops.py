"""Issue 16: op findings (3: stable gradients; 13: diff with a huge n; 14: TypeErrors that
name the op; 15: one dtype gate for results; 16: messages that name the public op)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F

INF = np.inf


# --------------------------------------------------------------------------- 3
def _grads(fn, a, b, dtype=np.float32):
    x = cr.tensor(np.array(a, dtype), requires_grad=True)
    y = cr.tensor(np.array(b, dtype), requires_grad=True)
    out = fn(x, y)
    out.backward(cr.ones(out.shape, dtype=dtype))   # (a sum of them would overflow)
    return x.grad.data, y.grad.data


@pytest.mark.parametrize("fn", [cr.logaddexp, cr.logaddexp2])
def test_f16_3_logaddexp_backward_large_equal_inputs(fn):
    for value in (1e7, 1e8, 3e38):
        gx, gy = _grads(fn, [value, value], [value, value])
        assert gx.dtype == np.float32
        np.testing.assert_array_equal(gx, [0.5, 0.5])
        np.testing.assert_array_equal(gy, [0.5, 0.5])


@pytest.mark.parametrize("fn", [cr.logaddexp, cr.logaddexp2])
def test_f16_3_logaddexp_backward_at_infinity(fn):
    gx, gy = _grads(fn, [INF, -INF, INF, -INF, 1.0], [1.0, 1.0, INF, -INF, -INF])
    np.testing.assert_array_equal(gx, [1, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(gy, [0, 1, 0.5, 0.5, 0])


def test_f16_3_logaddexp_backward_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.array([1e7, 1e8, INF, -INF, 3.0, -2.0], np.float32)
    b = np.array([1e7, 1e8, 1.0, 1.0, 1.0, 5.0], np.float32)
    for ours, theirs in ((cr.logaddexp, torch.logaddexp), (cr.logaddexp2, torch.logaddexp2)):
        gx, gy = _grads(ours, a, b)
        tx = torch.tensor(a, requires_grad=True)
        ty = torch.tensor(b, requires_grad=True)
        theirs(tx, ty).sum().backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-6)


def test_f16_3_logaddexp_second_order_still_exact():
    x = cr.tensor([0.3, -1.0], dtype=np.float64, requires_grad=True)
    y = cr.tensor([0.3, 2.0], dtype=np.float64)
    assert cr.gradcheck(lambda x: cr.logaddexp(x, y), (x,))
    assert cr.gradcheck(lambda x: cr.logaddexp2(x, y), (x,))
    (g,) = cr.autograd.grad(cr.logaddexp(x, y).sum(), x, create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-(x.data - y.data)))
    np.testing.assert_allclose(h.data, s * (1 - s))


def test_f16_3_huber_loss_gradient_at_infinity():
    x = cr.tensor([INF, -INF, 0.5, 3.0], requires_grad=True)
    F.huber_loss(x, cr.zeros(4), reduction="sum", delta=2.0).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -2.0, 0.5, 2.0])
    x = cr.tensor([INF, -INF, 0.5, 3.0], requires_grad=True)
    F.smooth_l1_loss(x, cr.zeros(4), reduction="sum", beta=2.0).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, -1.0, 0.25, 1.0])


def test_f16_3_huber_loss_matches_torch_at_infinity():
    torch = pytest.importorskip("torch")
    a = np.array([INF, -INF, 0.5, 3.0, -0.2], np.float32)
    x = cr.tensor(a, requires_grad=True)
    F.huber_loss(x, cr.zeros(5), delta=1.5).backward()
    t = torch.tensor(a, requires_grad=True)
    torch.nn.functional.huber_loss(t, torch.zeros(5), delta=1.5).backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6)


def test_f16_3_normalize_huge_float64():
    x = cr.tensor(np.array([1e300]), requires_grad=True)
    out = F.normalize(x, dim=0)
    np.testing.assert_array_equal(out.data, [1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0])
    rows = np.array([[1e300, 1e300], [3.0, 4.0], [INF, 1.0], [0.0, 0.0]])
    norms = cr.norm(cr.tensor(rows), axis=1).data
    np.testing.assert_allclose(norms, [np.sqrt(2) * 1e300, 5.0, INF, 0.0])
    np.testing.assert_allclose(cr.norm(np.float32([3e30, 4e30])).data, 5e30, rtol=1e-6)


def test_f16_3_normalize_matches_torch_huge():
    torch = pytest.importorskip("torch")
    for a, dim in ((np.array([1e300]), 0), (np.array([[1e300], [-1e300], [1e-3]]), 1)):
        ours = F.normalize(cr.tensor(a), dim=dim).data
        theirs = torch.nn.functional.normalize(torch.tensor(a), dim=dim).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    # where PyTorch's own sum of squares overflows too, the scaled norm is still right
    ours = F.normalize(cr.tensor(np.array([[1e300, -2e300]])), dim=1).data
    np.testing.assert_allclose(ours, [[1 / np.sqrt(5), -2 / np.sqrt(5)]])


# --------------------------------------------------------------------------- 13
def test_f16_13_diff_huge_order_returns_empty_at_once():
    x = cr.tensor([1.0, 2.0, 4.0], requires_grad=True)
    out = cr.diff(x, 10**6)                       # looped 10**6 times before
    assert out.shape == np.diff(x.data, 10**6).shape == (0,)
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    m = cr.ones((2, 3))
    assert cr.diff(m, 10**9, axis=1).shape == (2, 0)
    assert cr.diff(m, 10**30, axis=0).shape == (0, 3)
    np.testing.assert_array_equal(cr.diff(x, 2).data, [1.0])


def test_f16_13_diff_order_must_be_an_integer():
    x = cr.tensor([1.0, 2.0, 4.0])
    for n in (2.0, None, "a", float("inf")):
        with pytest.raises(TypeError, match="diff: order n must be a non-negative integer"):
            cr.diff(x, n)
    with pytest.raises(ValueError, match="diff: order must be a non-negative integer"):
        cr.diff(x, -1)


# --------------------------------------------------------------------------- 14
def test_f16_14_arctan2_none_raises_type_error_naming_op():
    with pytest.raises(TypeError, match=r"arctan2: unsupported operand.*NoneType"):
        cr.arctan2(None, None)
    with pytest.raises(TypeError, match=r"arctan2: unsupported operand"):
        cr.arctan2(cr.ones(2), None)


@pytest.mark.parametrize("layer", [cr.nn.Dropout(), cr.nn.Dropout2d()])
@pytest.mark.parametrize("bad", [None, "abc", np.array(["x"])])
def test_f16_14_dropout_bad_input_raises_type_error(layer, bad):
    name = "dropout2d" if isinstance(layer, cr.nn.Dropout2d) else "dropout"
    with pytest.raises(TypeError, match=rf"{name}: expected a Tensor"):
        layer(bad)
    layer.eval()
    with pytest.raises(TypeError, match=rf"{name}: expected a Tensor"):
        layer(bad)


# --------------------------------------------------------------------------- 15
_T = cr.tensor([1.0, 2.0])
_NON_NUMERIC = {
    "where": lambda: cr.where(np.array([True, False]), np.array(["a", "b"], object), _T),
    "tile": lambda: cr.tile(np.array(["a"], object), 2),
    "take": lambda: cr.take(np.array(["a", "b"]), [0]),
    "concatenate": lambda: cr.concatenate([_T, np.array([1j])]),
    "clip": lambda: cr.clip(np.array([1j, 2]), 0, 1),
    "multiply": lambda: cr.multiply(_T, np.array([1, 2], object)),
    "multiply-complex-scalar": lambda: _T * 1j,
    "multiply-complex-numpy": lambda: np.complex64(1j) * _T,
    "add-datetime": lambda: cr.add(np.array(["2020-01-01"], "datetime64[D]"),
                                   np.array([1], "timedelta64[D]")),
    "astype": lambda: cr.astype(_T, object),
    "Tensor.astype": lambda: _T.astype(np.complex64),
    "zeros": lambda: cr.zeros(2, dtype=object),
    "zeros_like": lambda: cr.zeros_like(_T, dtype="U3"),
    "from_numpy": lambda: cr.from_numpy(np.array(["a"])),
    "as_tensor": lambda: cr.as_tensor(np.array(["a"])),
    "sin": lambda: cr.sin(np.array([1j])),
    "sum": lambda: cr.sum(np.array([1j])),
}


@pytest.mark.parametrize("case", sorted(_NON_NUMERIC))
def test_f16_15_non_numeric_results_raise_type_error(case):
    with pytest.raises(TypeError, match=r"the result would have dtype|expected a Tensor") as info:
        _NON_NUMERIC[case]()
    assert "dtype" in str(info.value) or "expected" in str(info.value)


def test_f16_15_numeric_mixed_operands_still_fast_and_typed():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    for other in (2.0, 3, True, np.ones(2, np.float32), [1.0, 2.0], np.float32(2)):
        out = t * other
        assert out.dtype == np.float32 and out.requires_grad


# --------------------------------------------------------------------------- 16
def test_f16_16_tril_triu_messages_name_the_op():
    m = cr.ones((3, 3))
    for op in ("tril", "triu"):
        fn = getattr(cr, op)
        with pytest.raises(ValueError, match=rf"{op}: expected an input of at least 1 dim"):
            fn(cr.tensor(1.0))
        with pytest.raises(TypeError, match=rf"{op}: the diagonal offset k must be an integer"):
            fn(m, k="a")
        with pytest.raises(TypeError, match=rf"{op}: the diagonal offset k must be an integer"):
            fn(m, k=1.5)
        with pytest.raises(TypeError, match=rf"{op}: expected a Tensor"):
            fn(None)
    # a huge k is all or nothing, as NumPy's rule gives
    np.testing.assert_array_equal(cr.tril(m, k=10**30).data, np.ones((3, 3)))
    np.testing.assert_array_equal(cr.tril(m, k=-10**30).data, np.zeros((3, 3)))
    np.testing.assert_array_equal(cr.triu(m, k=-10**30).data, np.ones((3, 3)))
    np.testing.assert_array_equal(cr.triu(m, k=2).data, np.triu(np.ones((3, 3)), 2))


def test_f16_16_clip_outer_kron_messages_name_the_op():
    t = cr.ones(3)
    with pytest.raises(TypeError, match=r"clip: expected a Tensor.*a_max, got str"):
        cr.clip(t, cr.tensor(0.0), "a")
    for op in ("outer", "kron"):
        with pytest.raises(TypeError, match=rf"{op}: expected a Tensor.*argument 2, got str"):
            getattr(cr, op)(t, "a")
        with pytest.raises(TypeError, match=rf"{op}: expected a Tensor.*argument 1"):
            getattr(cr, op)(None, t)


def test_f16_16_ragged_lists_say_what_is_ragged():
    with pytest.raises(ValueError, match=r"tensor: .*ragged.*\[1\] has 1 element\(s\) where "
                                         r"\[0\] has 2"):
        cr.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match=r"add: argument 2 is a ragged nested sequence"):
        cr.add(cr.ones((2, 2)), [[1, 2], [3]])
    with pytest.raises(ValueError, match=r"kron: argument 1 is a ragged"):
        cr.kron([[1, 2], [3]], cr.ones(2))


def test_f16_16_huge_axis_names_the_op():
    m = cr.ones((3, 3))
    with pytest.raises(ValueError, match=r"sum: an integer argument is too large"):
        cr.sum(m, axis=10**30)


@pytest.mark.parametrize("op", ["sigmoid", "erf", "softplus"])
def test_f16_15_complex_input_not_silently_made_real(op):
    # sigmoid and erf cast their input to float: a complex one lost its imaginary part
    for value in (1j, np.array([1 + 2j])):
        with pytest.raises(TypeError, match=rf"{op}: unsupported operand.*complex"):
            getattr(cr, op)(value)
