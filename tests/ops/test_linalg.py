"""cr.linalg (inv, det, slogdet, solve, cholesky) and the singular-value matrix norms
(cr.norm with ord='nuc', 2, -2): forward against NumPy, gradients by finite differences
(reverse, forward mode, second order), worked examples, errors, and PyTorch as an oracle.
"""
import numpy as np
import pytest

import chainrule as cr

LA = cr.linalg
pytestmark = pytest.mark.filterwarnings(   # torch.func imports its deprecated jit helpers
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
SHAPES = [(3, 3), (2, 3, 3), (2, 1, 4, 4)]
DTYPES = [np.float64, np.float32]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _well_conditioned(shape, seed=0, dtype=np.float64):
    """Random + n I: far from singular."""
    n = shape[-1]
    return (_rng(seed).standard_normal(shape) + n * np.eye(n)).astype(dtype)


def _spd(shape, seed=0, dtype=np.float64):
    """M M^T + n I: symmetric positive definite."""
    n = shape[-1]
    m = _rng(seed).standard_normal(shape)
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(dtype)


def _sym(a):
    """Keep finite differences on symmetric matrices (cholesky reads one triangle)."""
    return 0.5 * (a + cr.swapaxes(a, -1, -2))


def _distinct_singular_values(shape, values, seed=0):
    """A matrix (or stack) with the given distinct singular values."""
    rng = _rng(seed)
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, k)))
    return (u * np.asarray(values[:k], dtype=float)) @ np.swapaxes(v, -1, -2)


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def _grads(f, *values):
    xs = [cr.tensor(v, requires_grad=True) for v in values]
    cr.sum(f(*xs)).backward()
    return [x.grad for x in xs]


# --------------------------------------------------------------------------- forward vs NumPy
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_inv_det_slogdet_match_numpy(shape, dtype):
    a = _well_conditioned(shape, dtype=dtype)
    a[..., 0, :] *= -1          # some negative determinants, so the sign matters
    out = LA.inv(cr.tensor(a))
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out.data, np.linalg.inv(a), **_tol(dtype))
    out = LA.det(a)
    assert out.dtype == dtype and out.shape == shape[:-2]
    np.testing.assert_allclose(out.data, np.linalg.det(a), **_tol(dtype))
    result = LA.slogdet(a)
    sign, logabsdet = np.linalg.slogdet(a)
    assert isinstance(result, LA.SlogdetResult) and result._fields == ("sign", "logabsdet")
    assert result.sign.dtype == dtype and result.logabsdet.dtype == dtype
    assert result.sign.shape == result.logabsdet.shape == shape[:-2]
    np.testing.assert_array_equal(result.sign.data, sign)
    np.testing.assert_allclose(result.logabsdet.data, logabsdet, **_tol(dtype))
    s, l = result          # unpacks like NumPy's SlogdetResult
    assert s is result.sign and l is result.logabsdet


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_numpy(shape, dtype, upper):
    a = _spd(shape, dtype=dtype)
    out = LA.cholesky(cr.tensor(a), upper=upper)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out.data, np.linalg.cholesky(a, upper=upper), **_tol(dtype))
    lower = out.data if not upper else np.swapaxes(out.data, -1, -2)
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), a, rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape,out_shape", [
    ((3, 3), (3,), (3,)),                    # one vector
    ((2, 3, 3), (3,), (2, 3)),               # NumPy 2: a 1-D b is a vector for every matrix
    ((2, 1, 4, 4), (4,), (2, 1, 4)),
    ((3, 3), (3, 2), (3, 2)),
    ((2, 3, 3), (2, 3, 1), (2, 3, 1)),
    ((2, 1, 3, 3), (4, 3, 2), (2, 4, 3, 2)),  # batch dimensions broadcast
    ((3, 3), (5, 3, 2), (5, 3, 2)),
    ((2, 3, 3), (3, 3), (2, 3, 3)),          # a 2-D b is a matrix, not a stack of vectors
])
def test_solve_matches_numpy(dtype, a_shape, b_shape, out_shape):
    a = _well_conditioned(a_shape, dtype=dtype)
    b = _rng(1).standard_normal(b_shape).astype(dtype)
    out = LA.solve(cr.tensor(a), b)
    expected = np.linalg.solve(a, b)
    assert out.shape == expected.shape == out_shape and out.dtype == dtype
    np.testing.assert_allclose(out.data, expected, **_tol(dtype))


def test_nested_lists_and_integers_use_the_default_dtype():
    out = LA.inv([[2.0, 1.0], [1.0, 3.0]])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, [[0.6, -0.2], [-0.2, 0.4]], rtol=1e-6)
    out = LA.det(np.array([[2, 1], [1, 3]]))            # integers -> default float dtype
    assert out.dtype == np.float32 and float(out) == pytest.approx(5.0)
    out = LA.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])
    np.testing.assert_allclose(out.data, [1.0, 0.5])
    # Lists holding Tensors stay differentiable in them.
    x = cr.tensor(2.0, requires_grad=True)
    LA.det([[x, cr.tensor(1.0)], [cr.tensor(1.0), cr.tensor(3.0)]]).backward()
    assert float(x.grad) == pytest.approx(3.0)


def test_float16_computes_in_float32_and_returns_float16():
    a = np.array([[2.0, 1.0], [1.0, 3.0]], dtype=np.float16)
    out = LA.inv(a)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.data, [[0.6, -0.2], [-0.2, 0.4]], rtol=1e-3)
    assert LA.cholesky(a).dtype == np.float16
    assert cr.norm(a, "nuc").dtype == np.float16


def test_ndarrays_in_ndarray_free_tensor_out():
    a = _well_conditioned((3, 3))
    out = LA.inv(a)
    assert isinstance(out, cr.Tensor) and not out.requires_grad


# --------------------------------------------------------------------------- worked examples
def test_worked_example_2x2():
    a = np.array([[4.0, 7.0], [2.0, 6.0]])           # det = 10
    np.testing.assert_allclose(LA.inv(a).data, [[0.6, -0.7], [-0.2, 0.4]])
    (g,) = _grads(LA.det, a)
    np.testing.assert_allclose(g.data, [[6.0, -2.0], [-7.0, 4.0]])   # the cofactor matrix
    (g,) = _grads(lambda t: LA.slogdet(t).logabsdet, a)
    np.testing.assert_allclose(g.data, np.linalg.inv(a).T)             # A^-T
    # d sum(A^-1) / dA = -A^-T 1 1^T A^-T
    (g,) = _grads(LA.inv, a)
    ones = np.ones((2, 2))
    np.testing.assert_allclose(g.data, -np.linalg.inv(a).T @ ones @ np.linalg.inv(a).T)


def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])           # rank 1: det = 0, inv does not exist
    (g,) = _grads(LA.det, a)
    np.testing.assert_allclose(g.data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    # Rank n-1 in 3-D and rank n-2 (zero cofactors), mixed in a stack with a regular matrix.
    rank2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
    stack = np.stack([rank2, rank1, _well_conditioned((3, 3))])
    assert cr.gradcheck(LA.det, [stack])
    assert cr.gradcheck(lambda t: LA.det(t) * 2.0, [np.zeros((3, 3))])   # gradient 0 at 0
    (g,) = _grads(LA.det, stack)
    np.testing.assert_allclose(g.data[1], 0.0, atol=1e-12)


def test_det_stays_exact_to_second_order_beside_a_singular_matrix_in_the_stack():
    singular = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
    f = lambda t: LA.det(cr.stack([t, cr.tensor(singular)]))   # noqa: E731
    assert cr.gradgradcheck(f, [_well_conditioned((3, 3), seed=21)])


def test_slogdet_sign_has_no_gradient_and_logabsdet_does():
    a = cr.tensor(np.array([[0.0, 2.0], [3.0, 0.0]]), requires_grad=True)   # det = -6
    sign, logabsdet = LA.slogdet(a)
    assert float(sign) == -1.0 and not sign.requires_grad
    assert float(logabsdet) == pytest.approx(np.log(6.0)) and logabsdet.requires_grad
    (sign * logabsdet).backward()                    # the sign is a constant -1 here
    np.testing.assert_allclose(a.grad.data, -np.linalg.inv(a.data).T)
    sign, logabsdet = LA.slogdet(np.zeros((2, 2)))
    assert float(sign) == 0.0 and float(logabsdet) == -np.inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_have_the_input_shape_and_dtype(dtype):
    a = _well_conditioned((2, 1, 3, 3), dtype=dtype)
    b = _rng(2).standard_normal((4, 3, 2)).astype(dtype)
    for f in (LA.inv, LA.det, lambda t: LA.slogdet(t).logabsdet):
        (g,) = _grads(f, a)
        assert g.shape == a.shape and g.dtype == dtype
    ga, gb = _grads(LA.solve, a, b)
    assert ga.shape == a.shape and gb.shape == b.shape and ga.dtype == gb.dtype == dtype
    ga, gb = _grads(LA.solve, a, b[0, :, 0])          # vector b
    assert ga.shape == a.shape and gb.shape == (3,)
    s = _spd((2, 3, 3), dtype=dtype)
    (g,) = _grads(lambda t: LA.cholesky(_sym(t)), s)
    assert g.shape == s.shape and g.dtype == dtype
    x = _distinct_singular_values((2, 3, 4), [3.0, 2.0, 1.0]).astype(dtype)
    for ord_ in ("nuc", 2, -2):
        (g,) = _grads(lambda t: cr.norm(t, ord_, axis=(1, 2)), x)
        assert g.shape == x.shape and g.dtype == dtype


# --------------------------------------------------------------------------- gradcheck (float64)
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
@pytest.mark.parametrize("name", ["inv", "det", "slogdet"])
def test_gradcheck_and_gradgradcheck(name, shape):
    f = {"inv": LA.inv, "det": LA.det, "slogdet": lambda t: LA.slogdet(t).logabsdet}[name]
    a = _well_conditioned(shape, seed=3)
    a[..., 1, :] *= -1
    assert cr.gradcheck(f, [a])
    assert cr.gradgradcheck(f, [a])


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 3), (3,)), ((2, 3, 3), (3,)), ((3, 3), (3, 2)), ((2, 1, 2, 2), (3, 2, 1)),
])
def test_solve_gradcheck_and_gradgradcheck(a_shape, b_shape):
    a = _well_conditioned(a_shape, seed=4)
    b = _rng(5).standard_normal(b_shape)
    assert cr.gradcheck(LA.solve, [a, b])
    assert cr.gradgradcheck(LA.solve, [a, b])
    # Only one side differentiated (the rule's ``needs``), a constant on the other.
    assert cr.gradcheck(lambda t: LA.solve(a, t), [b])
    assert cr.gradcheck(lambda t: LA.solve(t, b), [a])


@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradcheck_and_gradgradcheck(shape, upper):
    a = _spd(shape, seed=6)
    f = lambda t: LA.cholesky(_sym(t), upper=upper)    # noqa: E731
    assert cr.gradcheck(f, [a])
    assert cr.gradgradcheck(f, [a])


def test_cholesky_gradient_is_symmetric():
    a = _spd((3, 3), seed=7)
    w = _rng(8).standard_normal((3, 3))
    (g,) = _grads(lambda t: LA.cholesky(t) * w, a)
    np.testing.assert_allclose(g.data, g.data.T, atol=1e-12)


def test_logdet_via_cholesky_agrees_with_slogdet_to_second_order():
    a = _spd((3, 3), seed=9)

    def via_cholesky(t):
        return 2.0 * cr.sum(cr.log(cr.diagonal(LA.cholesky(_sym(t)), axis1=-2, axis2=-1)))

    h1 = cr.hessian(via_cholesky)(a)
    h2 = cr.hessian(lambda t: LA.slogdet(_sym(t)).logabsdet)(a)
    np.testing.assert_allclose(np.asarray(h1), np.asarray(h2), atol=1e-10)


def test_forward_mode_matches_reverse_mode():
    a = _well_conditioned((2, 3, 3), seed=10)
    b = _rng(11).standard_normal((2, 3, 2))
    for f, args in [(LA.inv, (a,)), (LA.det, (a,)), (lambda t: LA.slogdet(t)[1], (a,)),
                    (LA.solve, (a, b)), (lambda t: LA.cholesky(_sym(t)), (_spd((2, 3, 3)),))]:
        fwd = cr.jacfwd(f, argnums=0)(*args)
        rev = cr.jacrev(f, argnums=0)(*args)
        np.testing.assert_allclose(np.asarray(fwd), np.asarray(rev), atol=1e-10)


# --------------------------------------------------------------------------- matrix norms
@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
@pytest.mark.parametrize("shape,axis", [((3, 3), None), ((3, 4), (0, 1)), ((4, 3), (1, 0)),
                                         ((2, 3, 4), (-1, -2)), ((3, 2, 2), (0, 2))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms_match_numpy_and_gradcheck(ord_, shape, axis, keepdims):
    batch = () if axis is None else tuple(shape[i] for i in range(len(shape))
                                             if i not in [a % len(shape) for a in axis])
    rows, cols = (shape if axis is None else (shape[axis[0]], shape[axis[1]]))
    values = [4.0, 2.5, 1.5, 0.7][:min(rows, cols)]
    base = _distinct_singular_values(batch + (rows, cols), values)
    x = base if axis is None else np.moveaxis(base, (-2, -1), axis)
    out = cr.norm(cr.tensor(x), ord_, axis, keepdims)
    expected = np.linalg.norm(x, ord_, axis, keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert cr.gradcheck(lambda t: cr.norm(t, ord_, axis, keepdims), [x])


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_norm_gradients_are_singular_vector_products(dtype):
    x = _distinct_singular_values((3, 4), [3.0, 2.0, 1.0]).astype(dtype)
    u, _, vh = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    expected = {"nuc": u @ vh, 2: np.outer(u[:, 0], vh[0]), -2: np.outer(u[:, -1], vh[-1])}
    for ord_, grad in expected.items():
        (g,) = _grads(lambda t: cr.norm(t, ord_), x)
        assert g.dtype == dtype
        np.testing.assert_allclose(g.data, grad, rtol=1e-4 if dtype == np.float32 else 1e-10,
                                   atol=1e-5 if dtype == np.float32 else 1e-12)
    assert float(cr.norm(x, 2)) == pytest.approx(3.0, rel=1e-5)
    assert float(cr.norm(x, -2)) == pytest.approx(1.0, rel=1e-5)
    assert float(cr.norm(x, "nuc")) == pytest.approx(6.0, rel=1e-5)


@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
def test_matrix_norm_second_derivative_raises_instead_of_being_wrong(ord_):
    x = _distinct_singular_values((3, 3), [3.0, 2.0, 1.0])
    with pytest.raises(NotImplementedError, match=rf"norm: the second derivative of the matrix "
                                                  rf"norm ord={ord_!r} is not implemented"):
        cr.gradgradcheck(lambda t: cr.norm(t, ord_), [x])
    with pytest.raises(NotImplementedError, match="second derivative"):
        cr.hessian(lambda t: cr.norm(t, ord_))(x)


def test_matrix_norms_of_zero_size_and_zero_matrices():
    assert float(cr.norm(np.zeros((0, 3)), 2)) == 0.0
    assert float(cr.norm(np.zeros((0, 3)), "nuc")) == 0.0
    with pytest.raises(ValueError, match=r"norm: matrix ord=-2 .* zero-size"):
        cr.norm(np.zeros((0, 3)), -2)
    (g,) = _grads(lambda t: cr.norm(t, "nuc"), np.zeros((2, 3)))   # a subgradient, finite
    assert np.all(np.isfinite(g.data))


def test_unsupported_matrix_norm_lists_the_supported_orders():
    with pytest.raises(ValueError, match=r"norm: matrix ord=3 is not supported \(supported: "
                                         r"None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf\)"):
        cr.norm(cr.ones(2, 2), 3, axis=(0, 1))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky"])
def test_non_square_and_too_few_dimensions(name):
    f = getattr(LA, name)
    with pytest.raises(ValueError, match=rf"^{name}: expected a square matrix or a stack of them "
                                         rf"\(\.\.\., n, n\), got shape \(2, 3\)$"):
        f(cr.ones(2, 3))
    with pytest.raises(ValueError, match=rf"^{name}: expected a square matrix .* got shape "
                                         rf"\(4, 2, 3\)$"):
        f(np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match=rf"^{name}: expected a square matrix .* got shape "
                                         rf"\(3,\) \(1 dimension; at least 2 are needed\)"):
        f(np.ones(3))


def test_solve_shape_errors():
    with pytest.raises(ValueError, match=r"solve: expected a to be a square matrix .* got shape "
                                         r"\(2, 3\)"):
        LA.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match=r"solve: a of shape \(3, 3\) and b of shape \(4,\) are "
                                         r"incompatible: expected b of shape \(3,\) \(a vector\) "
                                         r"or \(\.\.\., 3, k\)"):
        LA.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match=r"solve: a of shape \(2, 3, 3\) and b of shape \(2, 3\) "
                                         r"are incompatible.*dimension -2 is 2"):
        LA.solve(np.ones((2, 3, 3)), np.ones((2, 3)))   # NumPy 2: a 2-D b is a matrix
    with pytest.raises(ValueError, match=r"solve: the batch dimensions of a \(shape \(2, 3, 3\)\) "
                                         r"and b \(shape \(4, 3, 1\)\) do not broadcast"):
        LA.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ValueError, match=r"solve: b must be a vector"):
        LA.solve(np.eye(2), 1.0)


def test_singular_and_not_positive_definite_raise_linalg_error_naming_the_op():
    assert issubclass(LA.LinAlgError, ValueError) and LA.LinAlgError is np.linalg.LinAlgError
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: singular matrix: the input of shape "
                                                    r"\(2, 2\) is not invertible$"):
        LA.inv(singular)
    stack = np.stack([np.eye(2), np.eye(2), singular])
    with pytest.raises(np.linalg.LinAlgError, match=r"inv: singular matrix: matrix \(2,\) of the "
                                                    r"stack of shape \(3, 2, 2\)"):
        LA.inv(stack)
    with pytest.raises(np.linalg.LinAlgError, match=r"solve: singular matrix: matrix \(2,\) of "
                                                    r"the stack of shape \(3, 2, 2\) \(the "
                                                    r"coefficient matrix a\)"):
        LA.solve(stack, np.ones(2))
    not_pd = np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])])
    with pytest.raises(ValueError, match=r"cholesky: matrix \(1,\) of the stack of shape "
                                         r"\(2, 2, 2\) is not positive definite"):
        LA.cholesky(not_pd)
    a = cr.tensor(singular, requires_grad=True)
    logabsdet = LA.slogdet(a).logabsdet
    with pytest.raises(np.linalg.LinAlgError, match=r"slogdet: the derivative is undefined at a "
                                                    r"singular matrix"):
        logabsdet.backward()


def test_non_real_dtypes_raise_type_error():
    with pytest.raises(TypeError, match=r"inv: expected a real floating-point or integer array, "
                                        r"got dtype complex128"):
        LA.inv(np.eye(2) * 1j)


# --------------------------------------------------------------------------- PyTorch oracle
def _torch_pair(torch, a):
    return cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


@pytest.mark.parametrize("shape", [(3, 3), (2, 1, 4, 4)])
def test_torch_oracle_inv_det_slogdet(shape):
    torch = pytest.importorskip("torch")
    a = _well_conditioned(shape, seed=12)
    a[..., 0, :] *= -1
    w = _rng(13).standard_normal(shape)
    for ours, theirs, weight in [
        (LA.inv, torch.linalg.inv, w),
        (LA.det, torch.linalg.det, w[..., 0, 0]),
        (lambda t: LA.slogdet(t).logabsdet, lambda t: torch.linalg.slogdet(t).logabsdet,
         w[..., 0, 0]),
    ]:
        x, xt = _torch_pair(torch, a)
        out, out_t = ours(x), theirs(xt)
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10)
        cr.sum(out * weight).backward()
        (out_t * torch.tensor(weight)).sum().backward()
        np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(LA.slogdet(a).sign.data, torch.linalg.slogdet(
        torch.tensor(a)).sign.numpy())


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((2, 1, 3, 3), (4, 3, 2))])
def test_torch_oracle_solve(a_shape, b_shape):
    torch = pytest.importorskip("torch")
    a = _well_conditioned(a_shape, seed=14)
    b = _rng(15).standard_normal(b_shape)
    x, xt = _torch_pair(torch, a)
    y, yt = _torch_pair(torch, b)
    out, out_t = LA.solve(x, y), torch.linalg.solve(xt, yt)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10)
    w = _rng(16).standard_normal(out.shape)
    cr.sum(out * w).backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(y.grad.data, yt.grad.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_torch_oracle_cholesky(upper):
    torch = pytest.importorskip("torch")
    a = _spd((2, 4, 4), seed=17)
    w = _rng(18).standard_normal((2, 4, 4))
    x, xt = _torch_pair(torch, a)
    out, out_t = LA.cholesky(x, upper=upper), torch.linalg.cholesky(xt, upper=upper)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10)
    cr.sum(out * w).backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    # Forward mode: the JVP along a symmetric direction, as torch.func.jvp.
    d = _rng(19).standard_normal((2, 4, 4))
    d = d + np.swapaxes(d, -1, -2)
    _, tangent = cr.jvp(lambda t: LA.cholesky(t, upper=upper), (a,), (d,))
    _, tangent_t = torch.func.jvp(lambda t: torch.linalg.cholesky(t, upper=upper),
                                  (torch.tensor(a),), (torch.tensor(d),))
    np.testing.assert_allclose(np.asarray(tangent), tangent_t.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
def test_torch_oracle_matrix_norms(ord_):
    torch = pytest.importorskip("torch")
    a = _distinct_singular_values((2, 3, 4), [3.0, 2.0, 0.5], seed=20)
    x, xt = _torch_pair(torch, a)
    out = cr.norm(x, ord_, axis=(-2, -1))
    out_t = torch.linalg.matrix_norm(xt, ord=ord_)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10)
    cr.sum(out * np.array([1.5, -0.5])).backward()
    (out_t * torch.tensor([1.5, -0.5], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
