"""chainrule: differentiable programming on NumPy.

Reverse-mode autodiff over graphs built as the program runs, forward mode, higher
order, custom operators, gradient checking, and a neural-network library.
"""
from ._allocator import tune_allocator as _tune_allocator

_tune_allocator()  # keep freed big arrays for reuse (see chainrule/_allocator.py)

from .tensor import Tensor  # noqa: E402
from . import ops  # noqa: E402
from .core import install as _install  # noqa: E402

# The one place the layers are wired: the core gets the Tensor class and the differentiable
# helpers its chores use (it never imports them; see chainrule/core/__init__.py).
_install(Tensor, sum_to=ops.plain.sum_to, broadcast_to=ops.plain.broadcast_to,
         astype=ops.plain.astype, add=ops.plain.add, where=ops.plain.where)

from . import autograd  # noqa: E402
from .autograd.function import Function, FunctionCtx
from .autograd.gradcheck import gradcheck, gradgradcheck
from .core.modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                             no_grad, set_grad_enabled)
from .autograd.pytree import tree_flatten, tree_map, tree_unflatten
from .autograd.transforms import (grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp,
                                  value_and_grad, vjp)
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       tensor, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .ops import *  # noqa: F401,F403  (every differentiable function, by NumPy name)
from .ops import __all__ as _ops_all  # noqa: F401
from .random import get_rng_state, manual_seed, set_rng_state

__version__ = "0.1.0"

from .io import load, save  # noqa: E402
from . import data, nn, optim, viz  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from .viz import explain  # noqa: E402
