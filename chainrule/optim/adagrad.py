"""Adagrad (PyTorch's update rule, with learning-rate decay, weight decay and maximize)."""
import numpy as np

from ._checks import check_bool, check_nonnegative
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer); PyTorch's algorithm.

    For each parameter ``p`` with gradient ``g`` at step ``t`` (1, 2, ...)::

        g = -g if maximize
        g = g + weight_decay * p                    if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                               (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    State per parameter (created at construction, as PyTorch does): ``step``, ``sum`` (s).
    """

    _buffers = ("sum",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
        self._check_group(defaults)
        super().__init__(params, defaults)   # add_param_group creates each parameter's state

    def _init_state(self, p, group):
        self.state[p] = {"step": 0,
                         "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _check_group(self, group):
        check_nonnegative("Adagrad", "learning rate", group["lr"])
        check_nonnegative("Adagrad", "lr_decay value", group["lr_decay"])
        check_nonnegative("Adagrad", "weight_decay value", group["weight_decay"])
        check_nonnegative("Adagrad", "initial_accumulator_value value",
                          group["initial_accumulator_value"])
        check_nonnegative("Adagrad", "epsilon value", group["eps"])
        check_bool("Adagrad", "maximize", group["maximize"])

    def _state_keys(self, group):
        return ("step", "sum")

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _update(self, group, params, grads):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p, grad in zip(params, grads):
            state = self.state.get(p)
            if not state:
                self._init_state(p, group)
                state = self.state[p]
            if maximize:
                grad = -grad
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                grad = grad + weight_decay * p.data
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]
            state_sum += grad * grad
            std = np.sqrt(state_sum) + eps
            p.data -= clr * (grad / std)
