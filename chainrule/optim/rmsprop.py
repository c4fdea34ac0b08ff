"""RMSprop (PyTorch's update rule, with momentum, centering, weight decay and maximize)."""
import numpy as np

from ._checks import check_bool, check_nonnegative
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton); PyTorch's algorithm.

    For each parameter ``p`` with gradient ``g``::

        g = -g if maximize
        g = g + weight_decay * p                    if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g         (running mean of g)
            d = sqrt(v - a * a) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, when
    ``momentum > 0``), ``grad_avg`` (a, when centered).
    """

    _buffers = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize}
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_nonnegative("RMSprop", "learning rate", group["lr"])
        check_nonnegative("RMSprop", "epsilon value", group["eps"])
        check_nonnegative("RMSprop", "momentum value", group["momentum"])
        check_nonnegative("RMSprop", "weight_decay value", group["weight_decay"])
        check_nonnegative("RMSprop", "alpha value", group["alpha"])
        check_bool("RMSprop", "centered", group["centered"])
        check_bool("RMSprop", "maximize", group["maximize"])

    def _state_keys(self, group):
        keys = ("step", "square_avg")
        if group["momentum"] > 0:
            keys += ("momentum_buffer",)
        if group["centered"]:
            keys += ("grad_avg",)
        return keys

    def _update(self, group, params, grads):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p, grad in zip(params, grads):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(p.data)
            # buffers for options switched on later start at zero (as at initialisation)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(p.data)
            if maximize:
                grad = -grad
            state["step"] += 1
            if weight_decay != 0:
                grad = grad + weight_decay * p.data
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * (grad * grad)
            if centered:
                grad_avg = state["grad_avg"]
                grad_avg += (grad - grad_avg) * (1 - alpha)    # lerp towards grad
                avg = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += grad / avg
                p.data -= lr * buf
            else:
                p.data -= lr * (grad / avg)
