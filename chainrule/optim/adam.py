"""Adam and AdamW (PyTorch's update rules, including amsgrad and maximize)."""
import numpy as np

from ._checks import check_betas, check_bool, check_nonnegative
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), with optional AMSGrad; PyTorch's algorithm.

    For each parameter ``p`` with gradient ``g`` at step ``t`` (1, 2, ...)::

        g = -g if maximize
        p = p * (1 - lr * weight_decay)       if decoupled (AdamW)
        g = g + weight_decay * p              otherwise, if weight_decay != 0
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                 if amsgrad (and v_max is used below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and
    ``max_exp_avg_sq`` with amsgrad.
    """

    _decoupled = False

    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize}
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group):
        name = type(self).__name__
        check_nonnegative(name, "learning rate", group["lr"])
        check_nonnegative(name, "epsilon value", group["eps"])
        check_nonnegative(name, "weight_decay value", group["weight_decay"])
        check_betas(name, group)
        check_bool(name, "amsgrad", group["amsgrad"])
        check_bool(name, "maximize", group["maximize"])

    def _state_keys(self, group):
        keys = ("step", "exp_avg", "exp_avg_sq")
        return keys + ("max_exp_avg_sq",) if group["amsgrad"] else keys

    def _update(self, group, params, grads):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        for p, grad in zip(params, grads):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
                if amsgrad:
                    state["max_exp_avg_sq"] = np.zeros_like(p.data)
            elif amsgrad and "max_exp_avg_sq" not in state:
                # amsgrad switched on after some steps (PyTorch starts the max at zero too)
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
            if maximize:
                grad = -grad
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if self._decoupled:
                    p.data *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * p.data
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg += (grad - exp_avg) * (1 - beta1)          # lerp towards grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * (grad * grad)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            step_size = lr / bias_correction1
            if amsgrad:
                np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                second = state["max_exp_avg_sq"]
            else:
                second = exp_avg_sq
            denom = np.sqrt(second) / bias_correction2_sqrt + eps
            p.data -= step_size * (exp_avg / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter); PyTorch's AdamW.

    Same as :class:`Adam` except that weight decay shrinks the parameter directly,
    ``p = p * (1 - lr * weight_decay)``, before the moment updates; default
    ``weight_decay=1e-2``.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
