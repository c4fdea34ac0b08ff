"""Dropout, Flatten/Unflatten, Embedding, F.pad, F.one_hot, F.normalize, cosine_similarity."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

rng = np.random.default_rng(0)


def _t(*shape):
    return cr.tensor(rng.standard_normal(shape))


# --------------------------------------------------------------------------- dropout
def test_dropout_inverted_scaling_and_eval_identity():
    cr.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = cr.ones(200, 50)
    out = drop(x)
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], 1 / 0.75, rtol=1e-6)
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    assert out.data.mean() == pytest.approx(1.0, abs=0.03)   # expectation preserved
    drop.eval()
    assert drop(x) is x
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"


def test_dropout_draws_from_the_seeded_generator():
    x = cr.ones(10, 10)
    cr.manual_seed(42)
    a = F.dropout(x, 0.5).data
    cr.manual_seed(42)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).data)


def test_dropout_gradient_uses_the_same_mask():
    x = cr.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    cr.manual_seed(1)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    mask = out.data != 0
    np.testing.assert_allclose(x.grad.data, mask / 0.6)
    # the mask is a constant: the function is linear, and gradcheck sees a fixed draw
    cr.manual_seed(3)
    fixed = F.dropout(cr.ones(4, 5, dtype=np.float64), 0.4).data

    def f(z):
        return z * fixed
    assert cr.gradcheck(f, (_t(4, 5),)) and cr.gradgradcheck(f, (_t(4, 5),))


def test_dropout_edge_probabilities_and_validation():
    x = cr.randn(3, 3)
    assert F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    assert F.dropout(x, 0.5, training=False) is x
    for bad in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)


def test_dropout2d_zeroes_whole_channels():
    cr.manual_seed(0)
    out = nn.Dropout2d(0.5)(cr.ones(8, 6, 3, 3)).data
    per_channel = out.reshape(8, 6, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < 48
    with pytest.raises(ValueError, match="3-D"):
        nn.Dropout2d()(cr.ones(2, 3))
    out1 = nn.Dropout1d(0.5)(cr.ones(4, 5, 7)).data
    assert np.all((out1 == 0).all(-1) | (out1 == 2.0).all(-1))


# --------------------------------------------------------------------------- flatten
def test_flatten_and_unflatten():
    x = _t(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    np.testing.assert_array_equal(nn.Flatten()(x).data, x.data.reshape(2, 60))
    assert cr.gradcheck(lambda z: nn.Flatten(1, 2)(z), (_t(2, 2, 2, 1),))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(IndexError, match="out of range"):
        nn.Flatten(4)(x)
    un = nn.Unflatten(1, (3, 20))
    assert un(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Unflatten(1, (-1, 4))(cr.zeros(2, 8)).shape == (2, 2, 4)
    with pytest.raises(ValueError, match="multiply"):
        nn.Unflatten(1, (7, 3))(cr.zeros(2, 20))


def test_flatten_then_linear_pipeline():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    assert model(cr.zeros(5, 3, 2, 2)).shape == (5, 2)


# --------------------------------------------------------------------------- embedding
def test_embedding_lookup_and_gradient_accumulation():
    emb = nn.Embedding(5, 3, dtype=np.float64)
    idx = cr.tensor([[0, 2, 2], [4, 0, 2]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx.data])
    out.sum().backward()
    counts = np.bincount(idx.data.ravel(), minlength=5)
    np.testing.assert_array_equal(emb.weight.grad.data, np.repeat(counts[:, None], 3, 1))
    assert list(emb.state_dict()) == ["weight"]
    assert repr(emb) == "Embedding(5, 3)"


def test_embedding_gradcheck_and_second_order():
    idx = np.array([[1, 3], [3, 0]])
    f = lambda w: F.embedding(idx, w) * w[0].sum()
    assert cr.gradcheck(f, (_t(4, 2),)) and cr.gradgradcheck(f, (_t(4, 2),))


def test_embedding_padding_idx_row_gets_no_gradient():
    cr.manual_seed(0)
    emb = nn.Embedding(4, 2, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.data[1], [0, 0])
    emb.weight.data[1] = 5.0    # the forward still returns the row's value
    out = emb(cr.tensor([1, 2, 1]))
    np.testing.assert_array_equal(out.data[0], [5, 5])
    (out * out).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[1], [0, 0])
    np.testing.assert_allclose(emb.weight.grad.data[2], 2 * emb.weight.data[2])
    assert repr(emb) == "Embedding(4, 2, padding_idx=1)"
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3


def test_embedding_scale_grad_by_freq_and_max_norm():
    emb = nn.Embedding(3, 2, scale_grad_by_freq=True, dtype=np.float64)
    emb(cr.tensor([0, 0, 0, 1])).sum().backward()
    np.testing.assert_allclose(emb.weight.grad.data, [[1, 1], [1, 1], [0, 0]])
    emb = nn.Embedding(3, 2, max_norm=1.0, dtype=np.float64)
    emb.weight.data[...] = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]
    out = emb(cr.tensor([0, 1]))
    np.testing.assert_allclose(np.linalg.norm(out.data, axis=1), [1.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(emb.weight.data[2], [6.0, 8.0])   # untouched: not looked up


def test_embedding_from_pretrained_and_errors():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    emb = nn.Embedding.from_pretrained(cr.tensor(table))
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(cr.tensor([2])).data, [[4, 5]])
    assert nn.Embedding.from_pretrained(cr.tensor(table), freeze=False).weight.requires_grad
    with pytest.raises(TypeError, match=r"integer.*astype\(cr.int64\)"):
        emb(cr.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="index 3 is out of range for 3 embeddings"):
        emb(cr.tensor([0, 3]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(IndexError, match="index -1 is out of range"):  # (PyTorch: IndexError)
        emb(cr.tensor([-1]))


# --------------------------------------------------------------------------- functional helpers
@pytest.mark.parametrize("mode, np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                           ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes_match_numpy_and_gradcheck(mode, np_mode):
    x = rng.standard_normal((2, 3, 4))
    out = F.pad(cr.tensor(x), (1, 2, 2, 0), mode=mode)
    np.testing.assert_array_equal(out.data, np.pad(x, ((0, 0), (2, 0), (1, 2)), mode=np_mode))
    f = lambda z: F.pad(z, (1, 2, 2, 0), mode=mode)
    assert cr.gradcheck(f, (_t(1, 3, 4),)) and cr.gradgradcheck(f, (_t(1, 3, 4),))


def test_pad_constant_value_negative_crop_and_errors():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(F.pad(cr.tensor(x), (1, 1), value=-1.0).data,
                                  np.pad(x, ((0, 0), (1, 1)), constant_values=-1))
    np.testing.assert_array_equal(F.pad(cr.tensor(x), (-1, 1, 0, -2)).data,
                                  np.pad(x, ((0, 0), (0, 1)))[:1, 1:])
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(cr.tensor(x), (1, 2, 3))
    with pytest.raises(ValueError, match="too large"):
        F.pad(cr.tensor(x), (1,) * 6)
    with pytest.raises(ValueError, match="less than the size"):
        F.pad(cr.tensor(x), (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="unsupported mode"):
        F.pad(cr.tensor(x), (1, 1), mode="mirror")


def test_one_hot():
    out = F.one_hot(cr.tensor([0, 2, 1]), 4)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(cr.tensor([[1], [3]])).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(cr.tensor([5]), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(cr.tensor([1.0]))


def test_normalize_and_cosine_similarity():
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.normalize(cr.tensor(x)).data,
                               x / np.linalg.norm(x, axis=1, keepdims=True))
    np.testing.assert_allclose(F.normalize(cr.tensor(x), p=1, dim=0).data,
                               x / np.abs(x).sum(0, keepdims=True))
    zero = cr.zeros(2, 3, dtype=np.float64, requires_grad=True)
    out = F.normalize(zero)
    assert np.all(out.data == 0)
    out.sum().backward()
    assert np.all(np.isfinite(zero.grad.data))
    assert cr.gradcheck(lambda z: F.normalize(z, dim=1), (_t(3, 4),))
    assert cr.gradgradcheck(lambda z: F.normalize(z, dim=1), (_t(3, 4),))
    y = rng.standard_normal((4, 3))
    expected = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(cr.tensor(x), cr.tensor(y)).data, expected)
    assert cr.gradcheck(F.cosine_similarity, (_t(3, 4), _t(3, 4)))


# --------------------------------------------------------------------------- issue 16 findings
def test_f16_6_embedding_negative_index_raises_index_error():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index -1 is out of range for 10 embeddings.*"
                                         r"num_embeddings=10.*index out of range in self"):
        emb(cr.tensor([-1]))
    with pytest.raises(IndexError, match="index 10 is out of range"):
        emb(cr.tensor([0, 10]))
    with pytest.raises(IndexError, match="index -2 is out of range"):
        F.embedding(cr.tensor([-2]), cr.ones(10, 3))
    # padding_idx may be negative (it counts from the end); the indices may not
    w = cr.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(cr.tensor([3, 1]), w, padding_idx=-1)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data[3], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(w.grad.data[1], [1.0, 1.0, 1.0])


def test_f16_6_flatten_of_0d_matches_torch():
    x = cr.tensor(2.0)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        nn.Flatten()(x)                                  # start_dim=1: out of range, as PyTorch
    assert nn.Flatten(0)(x).shape == (1,)
    assert nn.Flatten(0, -1)(x).shape == (1,)
    assert nn.Flatten(-1)(x).shape == (1,)
    with pytest.raises(IndexError, match="out of range"):
        nn.Flatten()(cr.ones(3))                         # 1-D, start_dim=1: as PyTorch
    assert nn.Flatten()(cr.ones(2, 3, 4)).shape == (2, 12)


def test_f16_6_flatten_and_embedding_against_torch():
    torch = pytest.importorskip("torch")
    for start, end in [(1, -1), (0, -1), (-1, -1), (0, 0)]:
        try:
            expected = tuple(torch.nn.Flatten(start, end)(torch.tensor(2.0)).shape)
        except IndexError:
            with pytest.raises(IndexError):
                nn.Flatten(start, end)(cr.tensor(2.0))
        else:
            assert nn.Flatten(start, end)(cr.tensor(2.0)).shape == expected
    with pytest.raises(IndexError, match="index out of range in self"):
        torch.nn.Embedding(10, 3)(torch.tensor([-1]))
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(10, 3)(cr.tensor([-1]))
