"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (PyTorch's rule)."""
import numpy as np

from .optimizer import Optimizer, required
from ._checks import check_bool, check_nonnegative

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    For each parameter ``p`` with gradient ``g`` (PyTorch's algorithm)::

        g = -g if maximize
        g = g + weight_decay * p                      if weight_decay != 0
        if momentum != 0:
            b = g                                     at the first step
            b = momentum * b + (1 - dampening) * g    afterwards
            g = g + momentum * b if nesterov else b
        p = p - lr * g

    State per parameter: ``momentum_buffer`` (when ``momentum != 0``).
    """

    _buffers = ("momentum_buffer",)
    _nullable_buffers = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        if lr is not required:
            check_nonnegative("SGD", "learning rate", lr)
        check_nonnegative("SGD", "momentum value", momentum)
        check_nonnegative("SGD", "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_nonnegative("SGD", "learning rate", group["lr"])
        check_nonnegative("SGD", "momentum value", group["momentum"])
        check_nonnegative("SGD", "weight_decay value", group["weight_decay"])
        check_nonnegative("SGD", "dampening value", group["dampening"], lower=None)
        check_bool("SGD", "nesterov", group["nesterov"])
        check_bool("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _update(self, group, params, grads):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p, grad in zip(params, grads):
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * p.data
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = np.array(grad, dtype=p.data.dtype, copy=True)
                    state["momentum_buffer"] = buf
                else:
                    buf *= momentum
                    buf += (1 - dampening) * grad
                grad = grad + momentum * buf if nesterov else buf
            p.data -= lr * grad
