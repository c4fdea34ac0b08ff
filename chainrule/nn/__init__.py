"""chainrule.nn: modules, layers, activations, losses and initialisation (PyTorch names and state-dict keys)."""
from . import functional, init, utils, activations  # noqa: F401
from .module import Module, Parameter
from .containers import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .summary import summary, Summary  # noqa: F401
