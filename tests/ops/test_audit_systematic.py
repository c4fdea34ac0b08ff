"""Regressions found by translating other libraries' gradient suites (HIPS autograd's
test_systematic/test_numpy/test_linalg, JAX's lax_numpy grad tests) to chainrule.

Each case checks the value against NumPy and first and second derivatives (reverse and
forward mode) against finite differences, in float64 on tiny shapes.
"""
import numpy as np
import pytest

import chainrule as cr

RNG = np.random.RandomState(0)
X = RNG.randn(3, 4)
MASK = np.array([[True, False, True, True],
                 [False, False, False, False],
                 [True, True, False, True]])


def _check(f, npf, *arrays, order2=True):
    """f matches npf in value and dtype; first (and second) derivatives pass gradcheck."""
    got = f(*[cr.tensor(a) for a in arrays])
    want = npf(*arrays)
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    inputs = [cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert cr.gradcheck(f, inputs)
    if order2:
        assert cr.gradgradcheck(f, inputs)


# --------------------------------------------------------------------------- reductions: where=, initial=
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_sum_where_and_initial(axis):
    _check(lambda a: cr.sum(a, axis=axis, where=MASK, initial=1.5),
           lambda a: np.sum(a, axis=axis, where=MASK, initial=1.5), X)
    # the masked-out elements get no gradient
    x = cr.tensor(X, requires_grad=True)
    cr.sum(x, axis=axis, where=MASK).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), MASK.astype(float))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, True), (1, False)])
def test_mean_where(axis, keepdims):
    mask = MASK.copy()
    mask[1, 0] = True  # no all-False row: each mean is defined
    mask[:, 1] = mask[:, 1] | (axis == 0)
    _check(lambda a: cr.mean(a, axis=axis, keepdims=keepdims, where=mask),
           lambda a: np.mean(a, axis=axis, keepdims=keepdims, where=mask), X)


def test_mean_where_keeps_float32():
    out = cr.mean(cr.tensor(X.astype(np.float32)), axis=1, where=MASK[0])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.mean(X, axis=1, where=MASK[0]), rtol=1e-6)


def test_prod_where_initial_dtype():
    _check(lambda a: cr.prod(a, axis=1, where=MASK, initial=2.0),
           lambda a: np.prod(a, axis=1, where=MASK, initial=2.0), X)
    out = cr.prod(cr.tensor(X), axis=0, dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.prod(X, axis=0, dtype=np.float32), rtol=1e-6)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_initial_and_where(name):
    fn, npfn = getattr(cr, name), getattr(np, name)
    init = 0.2 if name == "max" else -0.2
    _check(lambda a: fn(a, axis=1, initial=init), lambda a: npfn(a, axis=1, initial=init), X)
    _check(lambda a: fn(a, axis=0, where=MASK, initial=-10 * init),
           lambda a: npfn(a, axis=0, where=MASK, initial=-10 * init), X)
    with pytest.raises(ValueError, match="initial"):
        fn(cr.tensor(X), where=MASK)


def test_max_of_empty_with_initial_is_initial():
    e = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    out = cr.max(e, axis=0, initial=1.5)
    np.testing.assert_array_equal(out.detach().numpy(), [1.5, 1.5, 1.5])
    out.sum().backward()
    assert e.grad.shape == (0, 3)


def test_where_mask_errors():
    with pytest.raises(ValueError, match="does not broadcast"):
        cr.sum(cr.tensor(X), where=np.ones(5, bool))
    with pytest.raises(TypeError, match="boolean"):
        cr.sum(cr.tensor(X), where=np.ones(4))


# --------------------------------------------------------------------------- var/std correction=, dtype=
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis", [None, 1])
def test_var_std_correction(name, axis):
    fn, npfn = getattr(cr, name), getattr(np, name)
    _check(lambda a: fn(a, axis=axis, correction=1, keepdims=True),
           lambda a: npfn(a, axis=axis, correction=1, keepdims=True), X)
    with pytest.raises(ValueError, match="ddof and correction"):
        fn(cr.tensor(X), ddof=1, correction=1)
    out = fn(cr.tensor(X), axis=axis, dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), npfn(X, axis=axis, dtype=np.float32), rtol=1e-5)


def test_mean_cumsum_trace_dtype():
    for f, npf in [(lambda a: cr.mean(a, axis=0, dtype=np.float32),
                    lambda a: np.mean(a, axis=0, dtype=np.float32)),
                   (lambda a: cr.cumsum(a, axis=1, dtype=np.float32),
                    lambda a: np.cumsum(a, axis=1, dtype=np.float32)),
                   (lambda a: cr.trace(a, 1, dtype=np.float32),
                    lambda a: np.trace(a, 1, dtype=np.float32))]:
        out, want = f(cr.tensor(X)), npf(X)
        assert out.dtype == want.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)


# --------------------------------------------------------------------------- diff prepend=/append=
@pytest.mark.parametrize("kwargs", [dict(prepend=0.5), dict(n=2, axis=0, append=-1.0),
                                    dict(axis=1, prepend=X[:, :2] * 0 + 0.3, append=2.0)])
def test_diff_prepend_append(kwargs):
    _check(lambda a: cr.diff(a, **kwargs), lambda a: np.diff(a, **kwargs), X)


def test_diff_prepend_tensor_gets_gradient():
    x = cr.tensor(X, requires_grad=True)
    p = cr.tensor(X[:, :1], requires_grad=True)
    assert cr.gradcheck(lambda a, b: cr.diff(a, axis=1, prepend=b), [x, p])
    np.testing.assert_array_equal(cr.diff(x, n=0).detach().numpy(), X)
    with pytest.raises(ValueError, match="non-negative"):
        cr.diff(x, n=-1)


# --------------------------------------------------------------------------- sort kind=, einsum optimize=, take mode=
def test_sort_accepts_kind_and_stable():
    _check(lambda a: cr.sort(a, axis=0, kind="mergesort"),
           lambda a: np.sort(a, axis=0, kind="mergesort"), X)
    _check(lambda a: cr.sort(a, stable=True), lambda a: np.sort(a, stable=True), X)
    with pytest.raises(ValueError, match="kind"):
        cr.sort(cr.tensor(X), kind="bogus")


@pytest.mark.parametrize("optimize", [True, "greedy", "optimal", False])
def test_einsum_accepts_optimize(optimize):
    _check(lambda a: cr.einsum("ij,kj->ik", a, a, optimize=optimize),
           lambda a: np.einsum("ij,kj->ik", a, a, optimize=optimize), X)


@pytest.mark.parametrize("mode,axis", [("wrap", 1), ("clip", 1), ("wrap", None), ("clip", None)])
def test_take_modes(mode, axis):
    idx = [0, 5, -7, 11, 3]
    _check(lambda a: cr.take(a, idx, axis=axis, mode=mode),
           lambda a: np.take(a, idx, axis=axis, mode=mode), X)
    with pytest.raises(ValueError, match="mode"):
        cr.take(cr.tensor(X), idx, mode="nope")
    with pytest.raises(IndexError, match="out of bounds"):
        cr.take(cr.tensor(X), [0, 99])


# --------------------------------------------------------------------------- the same keywords as methods
def test_methods_forward_numpy_keywords():
    t = cr.tensor(X)
    np.testing.assert_allclose(t.sum(axis=1, where=MASK).numpy(), X.sum(axis=1, where=MASK))
    np.testing.assert_allclose(t.max(initial=9.0).numpy(), X.max(initial=9.0))
    np.testing.assert_allclose(t.min(axis=0, where=MASK, initial=3.0).numpy(),
                               X.min(axis=0, where=MASK, initial=3.0))
    np.testing.assert_allclose(t.prod(axis=1, initial=2.0).numpy(), X.prod(axis=1, initial=2.0))
    np.testing.assert_allclose(t.std(correction=1).numpy(), np.std(X, correction=1))
    np.testing.assert_allclose(t.take([7], mode="wrap").numpy(), np.take(X, [7], mode="wrap"))
    np.testing.assert_allclose(t.trace(1, 0, 1).numpy(), np.trace(X, 1, 0, 1))
    np.testing.assert_allclose(t.sort(kind="stable").numpy(), np.sort(X, kind="stable"))


def test_logsumexp_accepts_axis_list_like_the_other_reductions():
    x = RNG.randn(2, 3, 2)
    want = np.log(np.sum(np.exp(x), axis=(0, 2)))
    np.testing.assert_allclose(cr.logsumexp(cr.tensor(x), axis=[0, 2]).numpy(), want, rtol=1e-12)
    assert cr.gradcheck(lambda a: cr.logsumexp(a, axis=[0, 2]),
                        [cr.tensor(x, requires_grad=True)])


def test_linspace_is_differentiable_in_tensor_endpoints():
    # autograd's test_linspace: d value_i / d start = 1 - i/(num-1), d / d stop = i/(num-1)
    for num in (1, 5):
        x = cr.tensor(1.2, dtype=np.float64)
        assert cr.gradcheck(lambda s: cr.linspace(s, 3.4, num), [x])
        assert cr.gradgradcheck(lambda s: cr.linspace(s, 3.4, num) * s, [x])
    start = cr.tensor(1.2, dtype=np.float64, requires_grad=True)
    stop = cr.tensor(3.4, dtype=np.float64, requires_grad=True)
    values = cr.linspace(start, stop, 5)
    np.testing.assert_array_equal(values.data, np.linspace(1.2, 3.4, 5))
    weights = np.arange(5.0)
    cr.sum(values * weights).backward()
    np.testing.assert_allclose(start.grad.data, np.sum(weights * (1 - np.arange(5) / 4)))
    np.testing.assert_allclose(stop.grad.data, np.sum(weights * np.arange(5) / 4))
    ends = cr.tensor([0.0, 1.0], dtype=np.float64)
    np.testing.assert_allclose(cr.linspace(ends, 2.0, 4, endpoint=False).data,
                               np.linspace([0.0, 1.0], 2.0, 4, endpoint=False))
    assert cr.linspace(cr.tensor(1.0), 2.0, 3).dtype == np.float32   # a Python number is weak


def test_linalg_norm_is_cr_norm():
    x = cr.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert cr.linalg.norm is cr.norm
    np.testing.assert_allclose(cr.linalg.norm(x, "fro").data, 5.0)


@pytest.mark.parametrize("fn", [cr.sum, cr.mean, cr.max, cr.min, cr.prod, cr.logsumexp])
def test_reductions_reject_a_dtype_in_the_keepdims_position(fn):
    x = cr.ones(2, 3)
    with pytest.raises(TypeError, match=r"keepdims must be a bool, got .*float32"):
        fn(x, 0, np.float32)
    assert fn(x, 0, True).shape == (1, 3)
    assert fn(x, 0, np.bool_(False)).shape == (3,)


@pytest.mark.parametrize("fn", [cr.var, cr.std])
def test_var_std_reject_a_dtype_in_the_ddof_position(fn):
    x = cr.ones(2, 3)
    with pytest.raises(TypeError, match=r"ddof must be a number, got .*float32"):
        fn(x, 0, np.float32)
    assert fn(x, 0, 1, True).shape == (1, 3)
