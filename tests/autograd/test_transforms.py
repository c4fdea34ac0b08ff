"""JAX-style transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, nesting."""
import numpy as np
import pytest

import chainrule as cr


def numerical_grad(fn, x0, eps=1e-6):
    x0 = np.asarray(x0, dtype=np.float64)
    out = None
    for j in np.ndindex(*x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[j] += eps
        minus[j] -= eps
        diff = (np.asarray(fn(plus), dtype=np.float64) - np.asarray(fn(minus), dtype=np.float64))
        diff = diff / (2 * eps)
        if out is None:
            out = np.zeros(diff.shape + x0.shape)
        out[(Ellipsis,) + j] = diff
    return out


def cubic(x, y):
    return cr.sum(x * x * y) + cr.sum(cr.sin(y))


X = np.array([1.0, 2.0])
Y = np.array([3.0, -4.0])


# ---------------------------------------------------------------- grad / value_and_grad

def test_grad_int_and_tuple_argnums():
    gx = cr.grad(cubic)(X, Y)
    np.testing.assert_allclose(gx, 2 * X * Y)
    gy = cr.grad(cubic, argnums=1)(X, Y)
    np.testing.assert_allclose(gy, X * X + np.cos(Y))
    both = cr.grad(cubic, argnums=(0, 1))(X, Y)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(both[0], gx)
    np.testing.assert_allclose(both[1], gy)
    single = cr.grad(cubic, argnums=(1,))(X, Y)
    assert isinstance(single, tuple) and len(single) == 1
    neg = cr.grad(cubic, argnums=-1)(X, Y)
    np.testing.assert_allclose(neg, gy)


def test_grad_bad_argnums_and_non_scalar_output():
    with pytest.raises(ValueError, match="argnums 2"):
        cr.grad(cubic, argnums=2)(X, Y)
    with pytest.raises(TypeError, match=r"scalar.*shape \(2,\)"):
        cr.grad(lambda x: x * 2)(X)
    with pytest.raises(TypeError, match="floating-point"):
        cr.grad(lambda x: x * 2.0)(3)


def test_value_and_grad():
    value, g = cr.value_and_grad(cubic)(X, Y)
    assert isinstance(value, np.ndarray) and value.shape == ()
    assert float(value) == pytest.approx(np.sum(X * X * Y) + np.sum(np.sin(Y)))
    np.testing.assert_allclose(g, 2 * X * Y)
    value, (gx, gy) = cr.value_and_grad(cubic, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gy, X * X + np.cos(Y))


def test_has_aux():
    def loss(x):
        return cr.sum(x * x), {"double": x * 2, "label": "sq"}

    g, aux = cr.grad(loss, has_aux=True)(X)
    np.testing.assert_allclose(g, 2 * X)
    assert aux["label"] == "sq"
    assert isinstance(aux["double"], np.ndarray)
    np.testing.assert_allclose(aux["double"], 2 * X)
    (value, aux), g = cr.value_and_grad(loss, has_aux=True)(X)
    assert float(value) == pytest.approx(5.0)
    np.testing.assert_allclose(aux["double"], 2 * X)
    np.testing.assert_allclose(g, 2 * X)
    with pytest.raises(TypeError, match="pair"):
        cr.grad(lambda x: cr.sum(x), has_aux=True)(X)


def test_has_aux_with_tensor_arguments_returns_detached_tensors():
    x = cr.tensor(X)
    g, aux = cr.grad(lambda x: (cr.sum(x * x), x * 3), has_aux=True)(x)
    assert isinstance(g, cr.Tensor) and isinstance(aux, cr.Tensor)
    assert not aux.requires_grad
    np.testing.assert_allclose(aux.data, 3 * X)


def test_pytrees_in_and_out():
    params = {"w": np.array([1.0, 2.0]), "b": (np.array(0.5), [np.array([3.0])])}

    def f(p):
        return cr.sum(p["w"] * p["w"]) * p["b"][0] + cr.sum(p["b"][1][0] ** 3)

    g = cr.grad(f)(params)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    np.testing.assert_allclose(g["w"], 2 * params["w"] * 0.5)
    np.testing.assert_allclose(g["b"][0], 5.0)
    np.testing.assert_allclose(g["b"][1][0], 27.0)
    g_list = cr.grad(lambda ps: cr.sum(ps[0] * ps[1]))([X, Y])
    assert isinstance(g_list, list)
    np.testing.assert_allclose(g_list[0], Y)
    np.testing.assert_allclose(g_list[1], X)


def test_ndarray_in_ndarray_out_only_at_the_outermost_transform():
    seen = []

    def inner(x):
        g = cr.grad(lambda y: cr.sum(y ** 3))(x)
        seen.append(type(g))
        return cr.sum(g)

    outer = cr.grad(inner)(X)
    assert isinstance(outer, np.ndarray) and seen == [cr.Tensor]
    np.testing.assert_allclose(outer, 6 * X)
    assert isinstance(cr.grad(lambda x: x * x)(3.0), float)
    f32 = np.array([1.0, 2.0], dtype=np.float32)
    g32 = cr.grad(lambda x: cr.sum(x * x))(f32)
    assert isinstance(g32, np.ndarray) and g32.dtype == np.float32
    gt = cr.grad(lambda x: cr.sum(x * x))(cr.tensor(f32))
    assert isinstance(gt, cr.Tensor) and gt.dtype == np.float32


def test_unused_input_gets_zero_gradient_of_its_shape():
    g = cr.grad(lambda x, y: cr.sum(x * 2), argnums=(0, 1))(X, np.ones((2, 3)))
    np.testing.assert_allclose(g[0], [2.0, 2.0])
    assert g[1].shape == (2, 3) and not g[1].any()
    g = cr.grad(lambda x: cr.tensor(1.0))(X)
    assert g.shape == (2,) and not g.any()
    _, pullback = cr.vjp(lambda x, y: x * 2, X, Y)
    gx, gy = pullback(np.ones(2))
    np.testing.assert_allclose(gx, [2.0, 2.0])
    assert gy.shape == (2,) and not gy.any()


def test_transforms_never_touch_grad():
    x = cr.tensor(X, requires_grad=True)
    y = cr.tensor(Y)
    g = cr.grad(cubic)(x, y)
    np.testing.assert_allclose(g.data, 2 * X * Y)
    cr.value_and_grad(cubic, argnums=(0, 1))(x, y)
    _, pullback = cr.vjp(cubic, x, y)
    pullback(1.0)
    cr.jvp(cubic, (x, y), (np.ones(2), np.ones(2)))
    cr.jacrev(lambda x: x * x)(x)
    cr.hessian(lambda x: cr.sum(x ** 3))(x)
    assert x.grad is None and y.grad is None


def test_grad_of_tensor_requiring_grad_is_differentiable_by_backward():
    x = cr.tensor(X, requires_grad=True)
    g = cr.grad(lambda x: cr.sum(x ** 3))(x)      # 3 x^2, connected to x's graph
    assert g.requires_grad
    cr.sum(g).backward()
    np.testing.assert_allclose(x.grad.data, 6 * X)


# ---------------------------------------------------------------- vjp / jvp

def test_vjp_returns_tuple_and_can_be_called_again():
    out, pullback = cr.vjp(lambda x, y: x * y + cr.exp(x), X, Y)
    np.testing.assert_allclose(out, X * Y + np.exp(X))
    u = np.array([1.0, -2.0])
    gx, gy = pullback(u)
    np.testing.assert_allclose(gx, u * (Y + np.exp(X)))
    np.testing.assert_allclose(gy, u * X)
    gx2, _ = pullback(2 * u)
    np.testing.assert_allclose(gx2, 2 * gx)
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        pullback(np.ones(3))


def test_vjp_with_pytree_output():
    out, pullback = cr.vjp(lambda x: {"a": x * 2, "b": (cr.sum(x),)}, X)
    assert set(out) == {"a", "b"}
    (g,) = pullback({"a": np.array([1.0, 1.0]), "b": (np.array(3.0),)})
    np.testing.assert_allclose(g, [5.0, 5.0])


def test_jvp_true_forward_mode():
    def f(x, y):
        return cr.sin(x) * y

    tx, ty = np.array([1.0, 0.5]), np.array([0.0, 2.0])
    out, tangent = cr.jvp(f, (X, Y), (tx, ty))
    np.testing.assert_allclose(out, np.sin(X) * Y)
    np.testing.assert_allclose(tangent, np.cos(X) * Y * tx + np.sin(X) * ty)


def test_jvp_performs_no_backward_pass(monkeypatch):
    import chainrule.core.backward as engine

    def forbidden(*args, **kwargs):
        raise AssertionError("jvp must not run a backward pass")

    monkeypatch.setattr(engine, "backward", forbidden)
    import chainrule.autograd.transforms as transforms
    monkeypatch.setattr(transforms, "backward", forbidden)
    _, tangent = cr.jvp(lambda x: cr.tanh(x) @ np.ones((2, 3)), (X,), (np.ones(2),))
    np.testing.assert_allclose(tangent, np.full(3, np.sum(1 - np.tanh(X) ** 2)))


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match="tuples"):
        cr.jvp(cr.sin, X, np.ones(2))
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\).*\(2,\)"):
        cr.jvp(cr.sin, (X,), (np.ones(3),))


def test_jvp_constant_output_gives_zero_tangent():
    out, tangent = cr.jvp(lambda x: cr.ones(3), (X,), (np.ones(2),))
    assert tangent.shape == (3,) and not np.any(tangent)


# ---------------------------------------------------------------- jacobians

def test_jacobian_shapes_and_values():
    A = np.arange(6.0).reshape(2, 3)

    def f(x):                           # (3, 2) -> (2, 2)
        return cr.matmul(A, cr.tanh(x))

    x0 = np.linspace(-1, 1, 6).reshape(3, 2)
    jr = cr.jacrev(f)(x0)
    jf = cr.jacfwd(f)(x0)
    assert jr.shape == (2, 2, 3, 2) and jf.shape == (2, 2, 3, 2)
    expected = numerical_grad(lambda x: A @ np.tanh(x), x0)
    np.testing.assert_allclose(jr, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(jf, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cr.jacobian(f)(x0), jr)
    np.testing.assert_allclose(cr.jacobian(f, mode="fwd")(x0), jf)
    with pytest.raises(ValueError, match="mode"):
        cr.jacobian(f, mode="sideways")


def test_jacobian_of_scalar_functions_and_tuple_argnums():
    assert cr.jacrev(lambda x: cr.sum(x * x))(X).shape == (2,)
    assert cr.jacfwd(lambda x: x * x)(2.0).shape == ()
    ja, jb = cr.jacrev(lambda a, b: a * cr.sum(b), argnums=(0, 1))(X, np.ones(3))
    assert ja.shape == (2, 2) and jb.shape == (2, 3)
    np.testing.assert_allclose(ja, 3 * np.eye(2))
    np.testing.assert_allclose(jb, np.repeat(X[:, None], 3, axis=1))
    fa, fb = cr.jacfwd(lambda a, b: a * cr.sum(b), argnums=(0, 1))(X, np.ones(3))
    np.testing.assert_allclose(fa, ja)
    np.testing.assert_allclose(fb, jb)


def test_jacobian_of_pytree_output_and_has_aux():
    def f(x):
        return {"double": x * 2, "total": cr.sum(x * x)}, "aux-value"

    for jac in (cr.jacrev, cr.jacfwd):
        result, aux = jac(f, has_aux=True)(X)
        assert aux == "aux-value" and set(result) == {"double", "total"}
        np.testing.assert_allclose(result["double"], 2 * np.eye(2))
        np.testing.assert_allclose(result["total"], 2 * X)
        pair = jac(lambda x: (x * 3, cr.sum(x)))(X)
        assert isinstance(pair, tuple)
        np.testing.assert_allclose(pair[0], 3 * np.eye(2))
        np.testing.assert_allclose(pair[1], [1.0, 1.0])


def test_hessian_with_tuple_argnums_nests_like_jax():
    def f(a, b):
        return cr.sum(a * a * b)

    (h_aa, h_ab), (h_ba, h_bb) = cr.hessian(f, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(h_aa, np.diag(2 * Y))
    np.testing.assert_allclose(h_ab, np.diag(2 * X))
    np.testing.assert_allclose(h_ba, np.diag(2 * X))
    np.testing.assert_allclose(h_bb, np.zeros((2, 2)))


UNARY = [cr.sin, cr.tanh, cr.exp, cr.sigmoid, lambda v: v * v, lambda v: cr.log1p(v * v),
         lambda v: cr.cumsum(v, axis=-1), lambda v: v[..., ::-1], lambda v: cr.softmax(v, axis=-1)]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - 2 * b,
          lambda a, b: a / (1 + b * b), lambda a, b: cr.maximum(a, b + 0.05)]


@pytest.mark.parametrize("seed", range(6))
def test_jacfwd_equals_jacrev_on_random_compositions(seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((3, 3))
    steps = [(int(rng.integers(0, 3)), int(rng.integers(0, len(UNARY))),
              int(rng.integers(0, len(BINARY)))) for _ in range(4)]

    def f(x):
        h = x
        for kind, u, b in steps:
            if kind == 0:
                h = UNARY[u](h)
            elif kind == 1:
                h = BINARY[b](h, x)
            else:
                h = cr.matmul(h, W) * 0.5
        return h

    x0 = rng.uniform(-1, 1, size=(2, 3))
    jr = cr.jacrev(f)(x0)
    jf = cr.jacfwd(f)(x0)
    assert jr.shape == jf.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(jf, jr, rtol=1e-10, atol=1e-12)
    with cr.no_grad():
        expected = numerical_grad(lambda x: f(cr.tensor(x)).data, x0)
    np.testing.assert_allclose(jr, expected, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- hessian, hvp

def rosen(x):
    return cr.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_hessian_symmetric_and_matches_finite_differences_of_gradient():
    x0 = np.array([0.3, -0.7, 1.2, 0.5])
    H = cr.hessian(rosen)(x0)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    fd = numerical_grad(lambda x: cr.grad(rosen)(x), x0)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-5)
    # Closed form for the first entry: 1200 x0^2 - 400 x1 + 2.
    assert H[0, 0] == pytest.approx(1200 * 0.09 + 400 * 0.7 + 2)


def test_hessian_of_matrix_input_shape():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    H = cr.hessian(lambda m: cr.sum(m * m * m))(A)
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.reshape(4, 4), np.diag(6 * A.ravel()))


def test_hvp_equals_hessian_times_vector():
    x0 = np.array([0.3, -0.7, 1.2])
    v = np.array([1.0, 2.0, -0.5])
    result = cr.hvp(rosen, (x0,), (v,))
    assert isinstance(result, tuple) and len(result) == 1
    np.testing.assert_allclose(result[0], cr.hessian(rosen)(x0) @ v, rtol=1e-12)


def test_hvp_with_two_primals():
    def f(a, b):
        return cr.sum(a * a * b) + cr.sum(cr.exp(b))

    a0, b0 = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    va, vb = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    ha, hb = cr.hvp(f, (a0, b0), (va, vb))
    # H = [[diag(2b), diag(2a)], [diag(2a), diag(exp b)]]
    np.testing.assert_allclose(ha, 2 * b0 * va + 2 * a0 * vb)
    np.testing.assert_allclose(hb, 2 * a0 * va + np.exp(b0) * vb)


# ---------------------------------------------------------------- nesting

def _jvp1(f, x):
    return cr.jvp(f, (x,), (1.0,))[1]


def test_no_perturbation_confusion():
    # d/dx [ x * (d/dy (x + y))|y=1 ]|x=1 = 1 (a confused implementation gives 2).
    nested_grad = cr.grad(lambda x: x * cr.grad(lambda y: x + y)(1.0))(1.0)
    nested_jvp = _jvp1(lambda x: x * _jvp1(lambda y: x + y, 1.0), 1.0)
    grad_of_jvp = cr.grad(lambda x: x * _jvp1(lambda y: x + y, 1.0))(1.0)
    jvp_of_grad = _jvp1(lambda x: x * cr.grad(lambda y: x + y)(1.0), 1.0)
    assert (nested_grad, nested_jvp, grad_of_jvp, jvp_of_grad) == (1.0, 1.0, 1.0, 1.0)


def test_closures_over_outer_variable():
    # d/dx [ d/dy (x y^2)|y=2 ] = d/dx [4x] = 4, and with x inside a product: d/dx [x * 4x] = 8x.
    assert cr.grad(lambda x: cr.grad(lambda y: x * y * y)(2.0))(3.0) == pytest.approx(4.0)
    assert cr.grad(lambda x: x * cr.grad(lambda y: x * y * y)(2.0))(3.0) == pytest.approx(24.0)
    assert _jvp1(lambda x: x * cr.grad(lambda y: x * y * y)(2.0), 3.0) == pytest.approx(24.0)
    assert cr.grad(lambda x: x * _jvp1(lambda y: x * y * y, 2.0))(3.0) == pytest.approx(24.0)


def test_grad_four_times_of_sin_is_sin():
    g = cr.sin
    for _ in range(4):
        g = cr.grad(g)
    for x in (0.0, 0.7, -2.3):
        assert g(x) == pytest.approx(np.sin(x), abs=1e-12)
    assert cr.grad(cr.grad(cr.grad(cr.cos)))(0.4) == pytest.approx(np.sin(0.4))


def test_jacfwd_of_jacrev_and_jvp_of_grad_and_grad_of_jvp():
    def f(x):
        return cr.sum(cr.sin(x) * x[0]) + cr.sum(x ** 3)

    x0 = np.array([0.3, 0.5, -0.4])
    H = cr.jacfwd(cr.jacrev(f))(x0)
    Hr = cr.jacrev(cr.jacrev(f))(x0)
    Hf = cr.jacfwd(cr.jacfwd(f))(x0)
    fd = numerical_grad(lambda x: cr.grad(f)(x), x0)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(Hr, H, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Hf, H, rtol=1e-12, atol=1e-12)
    v = np.array([1.0, -1.0, 2.0])
    _, jvp_of_grad = cr.jvp(cr.grad(f), (x0,), (v,))
    np.testing.assert_allclose(jvp_of_grad, H @ v, rtol=1e-12)
    grad_of_jvp = cr.grad(lambda x: cr.jvp(f, (x,), (v,))[1])(x0)
    np.testing.assert_allclose(grad_of_jvp, H @ v, rtol=1e-12)


def test_grad_of_function_with_inplace_ops():
    def f(x):
        t = x * 1
        t[0] = t[1] * t[0]
        t *= x
        t += cr.sin(x)
        return cr.sum(t)

    x0 = np.array([2.0, 3.0])
    g = cr.grad(f)(x0)
    with cr.no_grad():
        fd = numerical_grad(lambda x: f(cr.tensor(x)).item(), x0)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    _, tangent = cr.jvp(f, (x0,), (np.array([1.0, 0.0]),))
    assert tangent == pytest.approx(fd[0])
    H = cr.hessian(f)(x0)
    np.testing.assert_allclose(H, numerical_grad(lambda x: cr.grad(f)(x), x0), rtol=1e-5)


def test_nested_transform_leaves_no_state_behind():
    cr.grad(lambda x: cr.sum(cr.jacfwd(lambda y: y * x)(x)))(X)
    from chainrule.core.modes import STATE
    assert STATE.levels == 0 and cr.is_grad_enabled() and not STATE.raw
    y = cr.tensor(X) * 2
    assert not y.requires_grad and y._tangents is None


def test_transform_state_restored_after_error():
    def bad(x):
        raise KeyError("inside")

    with pytest.raises(KeyError):
        cr.grad(bad)(X)
    with pytest.raises(KeyError):
        cr.jvp(bad, (X,), (X,))
    from chainrule.core.modes import STATE
    assert STATE.levels == 0 and cr.is_grad_enabled()
    assert isinstance(cr.grad(lambda x: cr.sum(x * x))(X), np.ndarray)   # not 'nested'


def test_pytree_round_trip_and_namedtuples():
    from collections import namedtuple

    Params = namedtuple("Params", ["w", "b"])
    tree = {"layers": [Params(np.ones(2), 0.5), None], "scale": (np.array(2.0),)}
    leaves, spec = cr.tree_flatten(tree)
    assert len(leaves) == 3
    rebuilt = cr.tree_unflatten(spec, leaves)
    assert isinstance(rebuilt["layers"][0], Params) and rebuilt["layers"][1] is None
    doubled = cr.tree_map(lambda v: v * 2, tree)
    assert doubled["layers"][0].b == 1.0
    g = cr.grad(lambda p: cr.sum(p.w * p.w) * p.b)(Params(np.array([1.0, 2.0]), 3.0))
    assert isinstance(g, Params)
    np.testing.assert_allclose(g.w, [6.0, 12.0])
    assert g.b == pytest.approx(5.0)
