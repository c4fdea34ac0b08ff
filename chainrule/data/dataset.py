"""Datasets: the map-style ``Dataset`` protocol, ``TensorDataset``, ``Subset``,
``ConcatDataset`` and ``random_split``."""
import bisect
import math
import numbers

import numpy as np

from ..random import generator
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is the ``i``-th sample, ``len(dataset)`` their number.

    Subclasses implement ``__getitem__`` and ``__len__``. ``a + b`` concatenates.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _as_tensor(x, position):
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x)
    raise TypeError(f"TensorDataset: argument {position} must be a Tensor or ndarray, "
                    f"got {type(x).__name__}")


class TensorDataset(Dataset):
    """Samples are slices along the first axis of each given Tensor (or ndarray).

    ``TensorDataset(images, labels)``: ``dataset[i] == (images[i], labels[i])``, a
    tuple of Tensors. All inputs must have the same length ``N`` (first axis).
    ``tensors``: the stored Tensors (detached; arrays are not copied).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.tensors = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; expected a first axis "
                                 "indexing the samples")
        sizes = [t.shape[0] for t in self.tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions "
                             f"{sizes}; expected all equal")

    def __getitem__(self, index):
        return tuple(Tensor._wrap(np.asarray(t.data[index])) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __repr__(self):
        shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[int(self.indices[i])] for i in index]
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _split_lengths(n, lengths):
    """Integer lengths from ints (summing to n) or fractions (summing to 1), as PyTorch."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or x < 0:
            raise ValueError(f"random_split: lengths must be non-negative numbers, got {lengths}")
    if all(isinstance(x, numbers.Integral) for x in lengths):
        lengths = [int(x) for x in lengths]
        if sum(lengths) != n:
            raise ValueError(f"random_split: sum of input lengths {sum(lengths)} does not equal "
                             f"the length of the input dataset ({n})")
        return lengths
    if not math.isclose(sum(lengths), 1.0, abs_tol=1e-9) or any(x > 1 for x in lengths):
        raise ValueError(f"random_split: fractions must be in [0, 1] and sum to 1, got {lengths}")
    out = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(out)):   # spread the remainder round-robin, as PyTorch does
        out[i % len(out)] += 1
    return out


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` at random into non-overlapping ``Subset``s.

    ``lengths``: ints summing to ``len(dataset)``, or fractions summing to 1 (sizes
    ``floor(n * f)``, the remainder handed out one by one from the first subset).
    ``seed``: an int for a reproducible split; otherwise the permutation comes from
    chainrule's generator (``cr.manual_seed``).
    """
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    rng = np.random.default_rng(seed) if seed is not None else generator()
    order = rng.permutation(n)
    subsets, offset = [], 0
    for size in sizes:
        subsets.append(Subset(dataset, order[offset:offset + size]))
        offset += size
    return subsets
