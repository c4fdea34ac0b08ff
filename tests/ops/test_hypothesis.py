"""Property tests: hypothesis draws the shapes, axes and indices; NumPy and gradcheck judge.

- binary ops over mutually broadcastable shapes (values and gradients),
- reductions with a random axis (None, int, negative int, tuple) and keepdims,
- indexing: basic slices, integer arrays with repeats (gradients scatter-add), boolean
  masks, and NumPy's mixed advanced indexing (``x[3, 2:, [1, 3]]``).

Inputs stay tiny (at most 12 elements) so each gradcheck is cheap. For a deeper search set
CHAINRULE_HYPOTHESIS_EXAMPLES (default 25 examples per test).
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

SETTINGS = settings(max_examples=int(os.environ.get("CHAINRULE_HYPOTHESIS_EXAMPLES", 25)),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _values(seed, shape, domain="real"):
    rng = np.random.default_rng(seed)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], size=shape)
    if domain == "distinct":   # no ties, no zeros
        n = _size(shape)
        v = (0.25 + 0.13 * np.arange(n)) * rng.choice([-1.0, 1.0], size=n)
        return rng.permutation(v).reshape(shape)
    return rng.standard_normal(shape)


seeds = st.integers(0, 2 ** 32 - 1)


# --------------------------------------------------------------------------- broadcasting
BINARY = {
    "add": (cr.add, np.add, ("real", "real")),
    "subtract": (cr.subtract, np.subtract, ("real", "real")),
    "multiply": (cr.multiply, np.multiply, ("real", "real")),
    "divide": (cr.divide, np.divide, ("real", "nonzero")),
    "power": (cr.power, np.power, ("positive", "real")),
    "maximum": (cr.maximum, np.maximum, ("distinct", "distinct")),
    "minimum": (cr.minimum, np.minimum, ("distinct", "distinct")),
    "arctan2": (cr.arctan2, np.arctan2, ("nonzero", "nonzero")),
    "logaddexp": (cr.logaddexp, np.logaddexp, ("real", "real")),
    "where": (lambda x, y: cr.where(x > 0, x, y), lambda x, y: np.where(x > 0, x, y),
              ("distinct", "real")),
}

broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3).filter(
    lambda s: all(_size(shape) <= 12 for shape in s.input_shapes))


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)), shapes=broadcast_pairs, seed=seeds)
def test_binary_ops_broadcast(name, shapes, seed):
    fn, ref, domains = BINARY[name]
    sx, sy = shapes.input_shapes
    if "distinct" in domains:   # no ties anywhere: draw both from one pool of distinct values
        pool = _values(seed, (_size(sx) + _size(sy),), "distinct")
        a, b = pool[:_size(sx)].reshape(sx), pool[_size(sx):].reshape(sy)
    else:
        a, b = _values(seed, sx, domains[0]), _values(seed + 1, sy, domains[1])
    out = fn(cr.tensor(a), cr.tensor(b))
    expected = ref(a, b)
    assert out.shape == shapes.result_shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert cr.gradcheck(fn, [cr.tensor(a), cr.tensor(b)])
    # float32 in, float32 out and float32 gradients of each input's shape
    x = cr.tensor(a.astype(np.float32), requires_grad=True)
    y = cr.tensor(b.astype(np.float32), requires_grad=True)
    out = fn(x, y)
    assert out.dtype == np.float32
    cr.sum(out).backward()
    assert (x.grad.shape, x.grad.dtype) == (sx, np.float32)
    assert (y.grad.shape, y.grad.dtype) == (sy, np.float32)


# --------------------------------------------------------------------------- reductions
REDUCTIONS = {
    "sum": (cr.sum, np.sum, "real"),
    "mean": (cr.mean, np.mean, "real"),
    "prod": (cr.prod, np.prod, "nonzero"),
    "max": (cr.max, np.max, "distinct"),
    "min": (cr.min, np.min, "distinct"),
    "var": (cr.var, np.var, "real"),
    "std": (cr.std, np.std, "real"),
    "logsumexp": (cr.logsumexp, None, "real"),
    "norm": (cr.norm, np.linalg.norm, "nonzero"),
}


def _logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@st.composite
def shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3).filter(
        lambda s: _size(s) <= 12))
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"] if nd else ["none"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        axis = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    return shape, axis, draw(st.booleans())


@SETTINGS
@given(name=st.sampled_from(sorted(REDUCTIONS)), case=shape_and_axis(), seed=seeds)
def test_reductions_random_axis(name, case, seed):
    fn, ref, domain = REDUCTIONS[name]
    shape, axis, keepdims = case
    if name == "norm" and (axis is None and len(shape) not in (0, 1) or
                           isinstance(axis, tuple) and len(axis) > 2):
        axis = -1 if shape else None   # np.linalg.norm: vector (int) or matrix (2-tuple) axes
    if name == "norm" and not shape:
        shape = (3,)
    a = _values(seed, shape, domain)
    ref = ref or _logsumexp
    out = fn(cr.tensor(a), axis=axis, keepdims=keepdims)
    expected = np.asarray(ref(a, axis=axis, keepdims=keepdims))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    assert cr.gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), [cr.tensor(a)])


# --------------------------------------------------------------------------- indexing
ARRAY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).filter(
    lambda s: _size(s) <= 12)


def _check_index(a, key, seed):
    """x[key] against NumPy, its gradient against NumPy's scatter-add, and gradcheck."""
    x = cr.tensor(a, requires_grad=True)
    out = x[key]
    expected = a[key]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    cotangent = np.random.default_rng(seed).standard_normal(expected.shape)
    out.backward(cotangent)
    scattered = np.zeros_like(a)
    np.add.at(scattered, key, cotangent)   # repeated indices accumulate
    np.testing.assert_allclose(x.grad.data, scattered, rtol=1e-12, atol=1e-12)
    assert x.grad.shape == a.shape
    assert cr.gradcheck(lambda t: t[key], [cr.tensor(a)])


@SETTINGS
@given(data=st.data(), shape=ARRAY_SHAPES, seed=seeds)
def test_basic_indexing(data, shape, seed):
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    _check_index(_values(seed, shape), key, seed)


@SETTINGS
@given(data=st.data(), shape=ARRAY_SHAPES, seed=seeds)
def test_integer_array_indexing_with_repeats(data, shape, seed):
    # several index arrays drawn over the leading axes, with repeats and negative indices
    n_arrays = data.draw(st.integers(1, len(shape)))
    result_shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    key = tuple(np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=_size(result_shape),
                                            max_size=_size(result_shape)))).reshape(result_shape)
                for n in shape[:n_arrays])
    _check_index(_values(seed, shape), key if len(key) > 1 else key[0], seed)


@SETTINGS
@given(data=st.data(), shape=ARRAY_SHAPES, seed=seeds)
def test_boolean_mask_indexing(data, shape, seed):
    k = data.draw(st.integers(1, len(shape)))   # the mask covers the first k axes
    mask = data.draw(hnp.arrays(np.bool_, shape[:k]))
    a = _values(seed, shape)
    _check_index(a, mask, seed)
    # a mask built from the tensor itself, as users write it
    x = cr.tensor(a)
    np.testing.assert_array_equal(x[x > 0].data, a[a > 0])


@st.composite
def mixed_index(draw, shape):
    """A key mixing ints, slices and integer lists (NumPy's mixed advanced indexing)."""
    key = []
    has_advanced = False
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "list"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            step = draw(st.none() | st.sampled_from([1, 2, -1]))
            key.append(slice(start, stop, step))
        else:
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
            has_advanced = True
    if not has_advanced:   # make at least one axis advanced, with a repeat
        i = draw(st.integers(0, len(shape) - 1))
        key[i] = [0, 0] if shape[i] == 1 else [shape[i] - 1, 0, shape[i] - 1]
    lists = [k for k in key if isinstance(k, list)]
    length = max(len(k) for k in lists)
    # index lists must broadcast together: pad each to the common length
    return tuple((k * length)[:length] if isinstance(k, list) else k for k in key)


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3)
       .filter(lambda s: _size(s) <= 12), seed=seeds)
def test_mixed_advanced_indexing(data, shape, seed):
    key = data.draw(mixed_index(shape))
    _check_index(_values(seed, shape), key, seed)


def test_numpy_mixed_indexing_example():
    a = np.arange(80.0).reshape(4, 5, 4)
    _check_index(a, (3, slice(2, None), [1, 3]), 0)
    _check_index(a, (slice(None), [0, 0, 4], [1, 1, 3]), 1)   # repeats accumulate
    _check_index(a, ([1, 2], slice(None), [0, 3]), 2)        # separated: advanced axes first


@pytest.mark.parametrize("key", [np.array([0, 0, 0]), np.array([[1, 1], [1, 0]])])
def test_integer_index_repeats_scatter_add_exactly(key):
    x = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    cr.sum(x[key]).backward()
    np.testing.assert_array_equal(x.grad.data, np.bincount(key.ravel(), minlength=3))
