"""DataLoader: batches of Tensors from a dataset, shuffled reproducibly."""
import math
import numbers
from collections.abc import Mapping

import numpy as np

from .. import dtypes
from ..random import generator
from ..tensor import Tensor
from .dataset import Subset, TensorDataset

__all__ = ["DataLoader", "default_collate"]


def _stack(arrays):
    try:
        return np.stack(arrays)
    except ValueError:
        shapes = sorted({tuple(np.shape(a)) for a in arrays})
        raise ValueError(f"default_collate: the samples of a batch have different shapes "
                         f"{shapes}; expected equal shapes (pass a collate_fn to batch them "
                         "differently)") from None


def default_collate(batch):
    """Stack a list of samples into a batch.

    Tensors and ndarrays are stacked along a new first axis (a Tensor); Python ints
    become an int64 Tensor, floats a Tensor of the default float dtype, bools a bool
    Tensor; strings stay a list; tuples, lists and mappings are collated field by
    field (a tuple of samples gives a tuple of batches).
    """
    if not batch:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor._wrap(_stack([b.data if isinstance(b, Tensor) else b for b in batch]))
    if isinstance(elem, (np.ndarray, np.generic)):
        return Tensor._wrap(_stack(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.array(batch, dtype=dtypes.get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise ValueError("default_collate: each sample of a batch should have the same "
                             f"number of fields; got {sorted({len(b) for b in batch})}")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: samples must hold Tensors, ndarrays, numbers, strings, "
                    f"tuples, lists or dicts; found {type(elem).__name__}")


def _tensor_source(dataset):
    """(arrays, index map or None) when ``dataset`` is a TensorDataset or Subsets of one."""
    if isinstance(dataset, TensorDataset):
        return [t.data for t in dataset.tensors], None
    if isinstance(dataset, Subset):
        inner = _tensor_source(dataset.dataset)
        if inner is None:
            return None
        arrays, mapping = inner
        indices = dataset.indices if mapping is None else mapping[dataset.indices]
        return arrays, indices
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
    collate_fn=None)``. Each iteration is one epoch. Batches are what
    ``collate_fn`` (default :func:`default_collate`) makes of a list of samples:
    for a dataset of ``(image, label)`` pairs, a tuple ``(images (B, ...), labels (B,))``
    of Tensors. The last batch is smaller unless ``drop_last``.

    Shuffling: ``shuffle=True`` draws a new order every epoch. With ``seed`` (an
    int >= 0), epoch ``e`` uses ``np.random.default_rng([seed, e])``, so the whole
    sequence of epochs is reproducible, and ``set_epoch(e)`` resumes it at epoch
    ``e``; without ``seed`` the order comes from chainrule's generator
    (``cr.manual_seed``).

    A ``TensorDataset`` (or a ``Subset`` of one) with the default collate is
    batched by slicing its arrays with each batch's indices (no per-sample loop).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 collate_fn=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got "
                             f"{batch_size!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"DataLoader: seed should be a non-negative integer or None, got "
                             f"{seed!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("DataLoader: collate_fn must be callable")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = None if seed is None else int(seed)
        self.collate_fn = collate_fn
        self.epoch = 0

    def set_epoch(self, epoch):
        """Make the next iteration epoch number ``epoch`` (for resuming a seeded run)."""
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"DataLoader.set_epoch: expected a non-negative int, got {epoch!r}")
        self.epoch = int(epoch)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            order = np.arange(n)
        elif self.seed is not None:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            order = generator().permutation(n)
        self.epoch += 1
        return order

    def __iter__(self):
        # the order is drawn now (not at the first next()), so iter() starts an epoch
        order = self._order()
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        starts = range(0, stop, self.batch_size)
        source = _tensor_source(self.dataset) if self.collate_fn is None else None
        if source is not None:
            arrays, mapping = source
            rows = order if mapping is None else mapping[order]
            return (tuple(Tensor._wrap(a[rows[s:s + self.batch_size]]) for a in arrays)
                    for s in starts)
        collate = self.collate_fn or default_collate
        dataset = self.dataset
        return (collate([dataset[int(i)] for i in order[s:s + self.batch_size]])
                for s in starts)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed})")
