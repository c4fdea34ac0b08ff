"""Dataset, TensorDataset, Subset, ConcatDataset, random_split, DataLoader and default_collate."""
from collections import namedtuple

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                            default_collate, random_split)


def make_dataset(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    return TensorDataset(x, y)


class Squares(Dataset):
    """A plain map-style dataset: (float vector, python int label)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), int(i % 3)

    def __len__(self):
        return self.n


def first_column(loader):
    """The sample ids of every batch of one epoch (x[:, 0] / 3 for make_dataset)."""
    return [(xb.data[:, 0] // 3).astype(int).tolist() for xb, _ in loader]


# ---------------------------------------------------------------------------- datasets
def test_tensor_dataset_items_and_errors():
    ds = make_dataset(5)
    x, y = ds[2]
    assert isinstance(x, cr.Tensor) and x.shape == (3,) and x.tolist() == [6.0, 7.0, 8.0]
    assert isinstance(y, cr.Tensor) and y.shape == () and y.dtype == np.int64 and y.item() == 2
    assert len(ds) == 5
    with pytest.raises(ValueError, match=r"size mismatch.*\[3, 2\]"):
        TensorDataset(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1 must be a Tensor or ndarray"):
        TensorDataset(np.zeros(2), [1, 2])
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.ones(()))


def test_subset_and_concat():
    ds = make_dataset(6)
    sub = Subset(ds, [4, 1])
    assert len(sub) == 2 and sub[0][1].item() == 0 and sub[1][0].tolist() == [3.0, 4.0, 5.0]
    both = ds + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 9
    assert both[7][1] == 1 and both[-1][1] == 2 and both[5][1].item() == 1
    with pytest.raises(IndexError):
        both[9]


def test_random_split_lengths_fractions_and_seed():
    ds = make_dataset(10)
    a, b = random_split(ds, [7, 3], seed=0)
    ids = sorted(a.indices.tolist() + b.indices.tolist())
    assert len(a) == 7 and len(b) == 3 and ids == list(range(10))
    a2, _ = random_split(ds, [7, 3], seed=0)
    assert a2.indices.tolist() == a.indices.tolist()
    # fractions: floor(3.3) = 3 each, the remainder 1 goes to the first subset (as PyTorch)
    assert [len(s) for s in random_split(ds, [0.33, 0.33, 0.34], seed=1)] == [4, 3, 3]
    cr.manual_seed(5)
    c = random_split(ds, [5, 5])[0].indices.tolist()
    cr.manual_seed(5)
    assert random_split(ds, [5, 5])[0].indices.tolist() == c
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.2])


# ---------------------------------------------------------------------------- loader
def test_sequential_batches_and_len():
    ds = make_dataset(10)
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    assert first_column(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, yb = next(iter(loader))
    assert isinstance(xb, cr.Tensor) and xb.shape == (4, 3) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.tolist() == [0, 1, 2, 3] and not xb.requires_grad
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and first_column(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds)) == 10 and len(DataLoader(ds, batch_size=10, drop_last=True)) == 1


def test_seeded_shuffle_is_reproducible_and_reshuffles_every_epoch():
    ds = make_dataset(20)
    a = DataLoader(ds, batch_size=6, shuffle=True, seed=7)
    b = DataLoader(ds, batch_size=6, shuffle=True, seed=7)
    epochs_a = [sum(first_column(a), []) for _ in range(3)]
    epochs_b = [sum(first_column(b), []) for _ in range(3)]
    assert epochs_a == epochs_b
    for order in epochs_a:
        assert sorted(order) == list(range(20))           # each epoch is a permutation
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] == np.random.default_rng([7, 0]).permutation(20).tolist()
    assert sum(first_column(DataLoader(ds, batch_size=6, shuffle=True, seed=8)), []) != epochs_a[0]
    resumed = DataLoader(ds, batch_size=6, shuffle=True, seed=7)
    resumed.set_epoch(2)
    assert sum(first_column(resumed), []) == epochs_a[2]


def test_unseeded_shuffle_follows_manual_seed():
    ds = make_dataset(20)
    cr.manual_seed(3)
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    first = [sum(first_column(loader), []) for _ in range(2)]
    cr.manual_seed(3)
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    again = [sum(first_column(loader), []) for _ in range(2)]
    assert first == again and first[0] != first[1]


def test_iter_starts_the_epoch():
    ds = make_dataset(8)
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=0)
    it1 = iter(loader)
    it2 = iter(loader)
    assert loader.epoch == 2
    assert next(it1)[0].tolist() != next(it2)[0].tolist()


def test_tensor_fast_path_equals_per_sample_path():
    ds = make_dataset(11)
    fast = DataLoader(ds, batch_size=4, shuffle=True, seed=2)
    slow = DataLoader(ds, batch_size=4, shuffle=True, seed=2, collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(xf.data, xs.data)
        np.testing.assert_array_equal(yf.data, ys.data)
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype


def test_subset_of_tensor_dataset_batches_the_right_rows():
    ds = make_dataset(10)
    sub = Subset(Subset(ds, [9, 8, 7, 6, 5]), [4, 0, 2])
    (xb, yb), = list(DataLoader(sub, batch_size=3))
    assert (xb.data[:, 0] // 3).tolist() == [5, 9, 7]
    assert yb.tolist() == [1, 1, 3]


def test_generic_dataset_collates_python_labels_to_int64():
    loader = DataLoader(Squares(5), batch_size=2)
    batches = list(loader)
    assert len(batches) == 3
    xb, yb = batches[0]
    assert xb.shape == (2, 2) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.tolist() == [0, 1]
    assert batches[-1][0].tolist() == [[4.0, 16.0]]


def test_default_collate_structures():
    Point = namedtuple("Point", "x y")
    out = default_collate([{"a": 1.5, "b": "s", "c": True}, {"a": 2.5, "b": "t", "c": False}])
    assert out["a"].dtype == cr.get_default_dtype() and out["a"].tolist() == [1.5, 2.5]
    assert out["b"] == ["s", "t"] and out["c"].dtype == np.bool_
    pts = default_collate([Point(cr.tensor([1.0]), 1), Point(cr.tensor([2.0]), 2)])
    assert isinstance(pts, Point) and pts.x.shape == (2, 1) and pts.y.dtype == np.int64
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and lists[0].tolist() == [1, 3]
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same number of fields"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object()])


def test_custom_collate_fn():
    loader = DataLoader(make_dataset(4), batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(loader) == [2, 2]


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": 2.5}, "batch_size"),
    ({"seed": -1}, "seed"), ({"seed": "a"}, "seed")])
def test_loader_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(make_dataset(), **kwargs)
