"""Scratch memory of the recurrent scans: a per-thread pool of arrays, the workspace a
forward leaves for the first backward, and the gatherer of a backward loop's per-step values.

The pool is keyed by (shape, dtype); ``_Gathered`` turns per-step (G, batch, n) values
((batch, n) when G = 1) into one (G, seq_len * batch, n) in time order.
"""
import sys
import threading

import numpy as np

from .... import ops


class _Pool(threading.local):
    """Scratch arrays returned after use, handed out again for the same shape and dtype.

    Only arrays that never escape (workspaces, gathered per-step gradients) go back in.
    At most ``per_key`` arrays per (shape, dtype), ``keys`` different keys and ``max_bytes``
    in all are kept (the pool empties itself rather than grow past that).
    """

    per_key, keys, max_bytes = 4, 16, 1 << 28

    def __init__(self):
        self.free = {}
        self.nbytes = 0
        self.outputs = {}

    def output(self, shape, dtype):
        """An array for a scan's output: one handed out before that nothing refers to any more
        (no Tensor, graph node or view: its reference count is the pool's own), else a new one."""
        key = (shape, np.dtype(dtype))
        handed = self.outputs.get(key)
        if handed is None:
            if len(self.outputs) >= self.keys:
                self.outputs.clear()
            handed = self.outputs[key] = []
        for k in range(len(handed)):
            if sys.getrefcount(handed[k]) == 2:      # the list's reference and the argument's
                return handed[k]
        array = np.empty(shape, dtype)
        if len(handed) < 2 and array.nbytes <= self.max_bytes // 8:
            handed.append(array)
        return array

    def empty(self, shape, dtype):
        stack = self.free.get((shape, np.dtype(dtype)))
        if not stack:
            return np.empty(shape, dtype)
        array = stack.pop()
        self.nbytes -= array.nbytes
        return array

    def give(self, *arrays):
        for a in arrays:
            if not isinstance(a, np.ndarray) or a.base is not None or a.nbytes > self.max_bytes:
                continue
            key = (a.shape, a.dtype)
            if key not in self.free and len(self.free) >= self.keys \
                    or self.nbytes + a.nbytes > self.max_bytes:
                self.free.clear()
                self.nbytes = 0
            stack = self.free.setdefault(key, [])
            if len(stack) < self.per_key and not any(b is a for b in stack):
                stack.append(a)
                self.nbytes += a.nbytes


_POOL = _Pool()


class _Workspace:
    """Arrays a scan's forward computed for its first unrecorded backward (taken once)."""

    __slots__ = ("values",)

    def __init__(self):
        self.values = None

    def take(self):
        values, self.values = self.values, None
        return values

    def __repr__(self):
        return "<workspace>"


class _Gathered:
    """Per-step (G, batch, n) values of a backward loop, as one (G, seq_len * batch, n) in time order
    (G = 1 takes (batch, n) values: a batch-major gather).

    Unrecorded (ndarrays): written into a pooled buffer (give it back with ``release``).
    Recorded (Tensors): collected and concatenated, so the result stays differentiable.
    """

    def __init__(self, gates, length, batch, hidden, dtype, reverse, raw):
        self.batch, self.reverse, self.raw = batch, reverse, raw
        self.buffer = _POOL.empty((gates, length * batch, hidden), dtype) if raw else None
        self.items = []

    def put(self, t, value):
        if self.raw:
            self.buffer[:, t * self.batch:(t + 1) * self.batch] = value
        else:
            self.items.append(value if value.ndim == 3 else value[None])

    def result(self):
        if self.raw:
            return self.buffer
        items = self.items if self.reverse else self.items[::-1]
        return items[0] if len(items) == 1 else ops.concatenate(items, axis=1)

    def release(self):
        if self.raw:
            _POOL.give(self.buffer)
            self.buffer = None


def _recycle(*arrays):
    """Give a workspace's arrays (or the arrays they view) back to the pool."""
    _POOL.give(*(a if a is None or a.base is None else a.base for a in arrays))
