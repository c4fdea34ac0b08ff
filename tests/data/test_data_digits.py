"""The bundled digits: shapes, dtypes, ranges, the fixed split, no network."""
import gzip
import importlib.resources

import numpy as np
import pytest

from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import digits, load_digits_arrays


def test_shapes_dtypes_and_split_sizes():
    train, test = digits()
    assert isinstance(train, TensorDataset) and isinstance(test, TensorDataset)
    (xtr, ytr), (xte, yte) = [d.tensors for d in (train, test)]
    assert xtr.shape == (1438, 1, 8, 8) and xte.shape == (359, 1, 8, 8)
    assert len(train) + len(test) == 1797
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64 and yte.dtype == np.int64
    for x in (xtr, xte):
        assert x.data.min() == 0.0 and x.data.max() == 1.0
        np.testing.assert_array_equal(x.data * 16, np.round(x.data * 16))  # 17 grey levels
    for y in (ytr, yte):
        assert sorted(set(y.data.tolist())) == list(range(10))


def test_split_is_fixed_disjoint_and_seeded():
    (a_train, a_test), (b_train, b_test) = digits(), digits()
    np.testing.assert_array_equal(a_test.tensors[0].data, b_test.tensors[0].data)
    np.testing.assert_array_equal(a_train.tensors[1].data, b_train.tensors[1].data)
    images, labels = load_digits_arrays()
    # train and test partition the 1,797 images (compare as rows of 64 bytes)
    rows = {img.tobytes() + bytes([lab]) for img, lab in zip(images, labels)}
    split = [img.tobytes() + bytes([lab]) for d in (a_train, a_test)
             for img, lab in zip(d.tensors[0].data, d.tensors[1].data)]
    assert len(split) == 1797 and set(split) == rows
    other_train, other_test = digits(seed=1)
    assert not np.array_equal(other_test.tensors[1].data, a_test.tensors[1].data)
    train, test = digits(test_fraction=0.5)
    assert (len(train), len(test)) == (899, 898)       # round(898.5) == 898


def test_values_match_the_bundled_file():
    resource = importlib.resources.files("chainrule.data.datasets").joinpath("digits.csv.gz")
    first = gzip.decompress(resource.read_bytes()).decode().splitlines()[0].split(",")
    images, labels = load_digits_arrays()
    np.testing.assert_array_equal(images[0, 0].ravel() * 16, np.array(first[:64], dtype=float))
    assert labels[0] == int(first[64]) == 0
    assert images.shape == (1797, 1, 8, 8) and labels.shape == (1797,)
    images[0] = 5.0                                       # copies: the cache is not touched
    assert load_digits_arrays()[0].max() == 1.0


def test_license_file_is_shipped():
    text = importlib.resources.files("chainrule.data.datasets").joinpath(
        "DIGITS_LICENSE.md").read_text()
    for needle in ("Alpaydin", "Kaynak", "UCI Machine Learning Repository", "CC BY 4.0",
                   "10.24432/C50P49", "[0, 1]"):
        assert needle in text


def test_loader_over_digits():
    train, _ = digits()
    xb, yb = next(iter(DataLoader(train, batch_size=32, shuffle=True, seed=0)))
    assert xb.shape == (32, 1, 8, 8) and xb.dtype == np.float32 and yb.dtype == np.int64


@pytest.mark.parametrize("kwargs", [{"test_fraction": 0.0}, {"test_fraction": 1.0},
                                    {"test_fraction": "0.2"}, {"seed": -1}, {"seed": 1.5}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        digits(**kwargs)
