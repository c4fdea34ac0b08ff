"""Flatten and Unflatten: reshape a range of axes (PyTorch's defaults: start_dim=1, end_dim=-1)."""
import numpy as np

from ... import ops
from ...ops._util import data_of
from ..module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge axes start_dim..end_dim into one.

    Shape: input (N, *dims) -> output (N, prod(dims)) with the defaults.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        ndim = np.ndim(data_of(input))
        start, end = self.start_dim, self.end_dim
        dims = max(ndim, 1)   # (as PyTorch: a 0-d input has the dims of a 1-d one, -1 and 0)
        for d in (start, end):
            if not -dims <= d < dims:
                raise IndexError(f"Flatten(start_dim={start}, end_dim={end}): Dimension out of "
                                 f"range (expected to be in range of [{-dims}, {dims - 1}], but "
                                 f"got {d}) for an input of shape {np.shape(data_of(input))}")
        if ndim == 0:
            return ops.reshape(input, (1,))
        start, end = start % ndim, end % ndim
        if start > end:
            raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): "
                             f"start_dim comes after end_dim for a {ndim}-D input")
        shape = np.shape(data_of(input))
        new_shape = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
        if new_shape == shape:
            return input
        return ops.reshape(input, new_shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``.

    Shape: input (*, S, *) -> output (*, *unflattened_size, *) with prod(unflattened_size) = S
    (one entry may be -1).
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        shape = np.shape(data_of(input))
        ndim = len(shape)
        if not -ndim <= self.dim < ndim:
            raise ValueError(f"Unflatten(dim={self.dim}): dimension out of range for an input of "
                             f"shape {shape}")
        dim = self.dim % ndim
        sizes = self.unflattened_size
        known = int(np.prod([s for s in sizes if s != -1]))
        if (-1 not in sizes and known != shape[dim]) or (-1 in sizes and shape[dim] % max(known, 1)):
            raise ValueError(f"Unflatten(dim={self.dim}, unflattened_size={sizes}): the sizes "
                             f"must multiply to the size of axis {dim} ({shape[dim]}) of input "
                             f"shape {shape}")
        return ops.reshape(input, shape[:dim] + sizes + shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
