"""Reverse-mode engine, forward mode, transforms, custom Functions and gradient checking.

``cr.autograd.grad`` is PyTorch's function (outputs, inputs); ``cr.grad`` is JAX's transform.
"""
import numpy as np

from ..core.backward import backward as _backward
from ..core.modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                          set_grad_enabled)
from ..tensor import Tensor
from .function import Function, FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["grad", "backward", "Function", "FunctionCtx", "gradcheck", "gradgradcheck",
           "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
           "GradcheckError"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _seed(outputs, grad_outputs, create_graph, op):
    seeds = []
    grad_outputs = grad_outputs if grad_outputs is not None else [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for o, g in zip(outputs, grad_outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(o).__name__}")
        if not o.requires_grad:
            raise RuntimeError(f"{op}: an output (shape {tuple(o.shape)}) does not require grad "
                               "and has no grad_fn")
        if g is None:
            if o.size != 1:
                name = f"the output of {o.node.name}" if o.node is not None else "an output"
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar "
                                   f"outputs, but {name} has shape {tuple(o.shape)}; pass "
                                   "grad_outputs")
            g = np.ones(o.shape, dtype=o.dtype)
        data = g.data if isinstance(g, Tensor) else np.asarray(g, dtype=o.dtype)
        if data.shape != o.shape:
            raise RuntimeError(f"{op}: grad_output of shape {data.shape} for an output of shape "
                               f"{tuple(o.shape)}")
        if create_graph:
            seeds.append(g if isinstance(g, Tensor) else Tensor._wrap(data))
        else:
            seeds.append(data)
    return seeds


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` as a tuple, without touching ``.grad``.

    An input the outputs do not depend on raises unless ``allow_unused=True`` (its entry
    is then None). ``create_graph=True`` makes the result differentiable.
    """
    outputs = _as_list(outputs)
    inputs_list = _as_list(inputs)
    for i, t in enumerate(inputs_list):
        if not isinstance(t, Tensor):
            raise TypeError(f"autograd.grad: inputs must be Tensors, got {type(t).__name__} "
                            f"for input {i}")
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} (a tensor of shape {tuple(t.shape)}) "
                               "does not require grad")
    seeds = _seed(outputs, _as_list(grad_outputs), create_graph, "autograd.grad")
    if retain_graph is None:
        retain_graph = create_graph
    return _backward(outputs, seeds, retain_graph=retain_graph, create_graph=create_graph,
                     inputs=inputs_list, allow_unused=allow_unused)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward)."""
    tensors = _as_list(tensors)
    seeds = _seed(tensors, _as_list(grad_tensors), create_graph, "autograd.backward")
    if retain_graph is None:
        retain_graph = create_graph
    _backward(tensors, seeds, retain_graph=retain_graph, create_graph=create_graph)
