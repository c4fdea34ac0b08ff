"""Gradient clipping and parameter/vector conversion (PyTorch's ``nn.utils``)."""
import math

import numpy as np

from .. import ops
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "get_total_norm"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The ``norm_type``-norm of the concatenation of ``tensors`` (a 0-d float Tensor)."""
    arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(0.0)
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    elif norm_type == -math.inf:
        total = min(float(np.min(np.abs(a))) if a.size else math.inf for a in arrays)
    else:
        norms = [np.linalg.norm(a.ravel().astype(np.float64), ord=norm_type) for a in arrays]
        total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable this "
                           f"error and scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    dtype = arrays[0].dtype if arrays[0].dtype.kind == "f" else None
    return Tensor(np.array(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``; returns the total norm before clipping (a 0-d Tensor).

    The norm is over all gradients together, as if concatenated into one vector
    (``norm_type`` may be ``inf``). Scale factor ``min(1, max_norm / (total + 1e-6))``, as PyTorch.
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return Tensor(0.0)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    coef = float(max_norm) / (float(total.data) + 1e-6)
    if not coef >= 1.0:  # also a NaN/inf total norm, as PyTorch (grads become NaN/0)
        for p in params:
            g = p.grad
            g.data = (g.data * coef).astype(g.dtype, copy=False)
            g._version += 1
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of ``parameters`` to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            g = p.grad
            g.data = np.clip(g.data, -clip_value, clip_value).astype(g.dtype, copy=False)
            g._version += 1


def parameters_to_vector(parameters):
    """One 1-D Tensor of all parameters, flattened and concatenated (differentiable)."""
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return ops.concatenate([ops.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their dtypes kept)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = _as_list(parameters)
    total = sum(p.size for p in params)
    if total != vec.size:
        raise ValueError(f"vector_to_parameters: vec has {vec.size} elements but the parameters "
                         f"have {total}")
    offset = 0
    for p in params:
        n = p.size
        p.data[...] = vec.data[offset:offset + n].reshape(p.shape)
        p._version += 1
        offset += n
