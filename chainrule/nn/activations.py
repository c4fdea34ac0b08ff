"""Activation functions by name: ``get``, ``serialize``, ``deserialize`` (for configs and CLIs).

>>> from chainrule.nn import activations
>>> activations.get("relu") is F.relu
True
>>> activations.serialize(F.relu)
'relu'

Names are the functional names (``"relu"``, ``"leaky_relu"``, ``"gelu"``, ...); a few
aliases are accepted (``"hard_sigmoid"``, ``"swish"``, ``"linear"``/``"identity"``), and
lookup ignores case.
"""
from . import functional as F

__all__ = ["get", "serialize", "deserialize", "names"]

_REGISTRY = {
    "linear": F.linear_activation,
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "selu": F.selu,
    "celu": F.celu,
    "gelu": F.gelu,
    "sigmoid": F.sigmoid,
    "hardsigmoid": F.hardsigmoid,
    "hardtanh": F.hardtanh,
    "hardswish": F.hardswish,
    "tanh": F.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "mish": F.mish,
    "logsigmoid": F.logsigmoid,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "tanhshrink": F.tanhshrink,
}

_ALIASES = {
    "identity": "linear",
    "none": "linear",
    "hard_sigmoid": "hardsigmoid",
    "swish": "silu",
    "leakyrelu": "leaky_relu",
    "logsoftmax": "log_softmax",
    "log_sigmoid": "logsigmoid",
    "hard_tanh": "hardtanh",
    "hard_swish": "hardswish",
}

# function -> its canonical name (identity of the function object)
_NAMES = {id(fn): name for name, fn in _REGISTRY.items()}


def names():
    """The canonical activation names, sorted."""
    return sorted(_REGISTRY)


def _canonical(name):
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def get(identifier):
    """The activation function for a name, or ``identifier`` itself if it is callable.

    ``None`` gives the identity (``linear``). Unknown names raise ``ValueError`` listing the
    known names; other types raise ``TypeError``.
    """
    if identifier is None:
        return F.linear_activation
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        name = _canonical(identifier)
        if name not in _REGISTRY:
            raise ValueError(f"unknown activation {identifier!r}; known activations: "
                             f"{', '.join(names())} (aliases: {', '.join(sorted(_ALIASES))})")
        return _REGISTRY[name]
    raise TypeError(f"activations.get: expected an activation name (str) or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(activation):
    """The canonical name of a built-in activation function (``serialize(F.relu) == "relu"``).

    Activation modules with default settings (``nn.ReLU()``, ``nn.GELU()``) serialise to the
    name of their function too. Anything else raises ``ValueError``.
    """
    name = _NAMES.get(id(activation))
    if name is not None:
        return name
    from .module import Module
    if isinstance(activation, Module):
        name = _module_name(activation)
        if name is not None:
            return name
    raise ValueError(f"activations.serialize: {activation!r} is not a built-in activation; "
                     f"known activations: {', '.join(names())}")


def deserialize(name):
    """The activation function named ``name`` (the inverse of ``serialize``)."""
    if not isinstance(name, str):
        raise TypeError(f"activations.deserialize: expected a str, got {type(name).__name__}")
    return get(name)


def _module_name(module):
    """The registry name of an activation module whose hyperparameters are the defaults."""
    from . import layers
    plain = {layers.ReLU: "relu", layers.ReLU6: "relu6", layers.SELU: "selu",
             layers.Sigmoid: "sigmoid", layers.Hardsigmoid: "hardsigmoid",
             layers.Hardswish: "hardswish", layers.Tanh: "tanh", layers.Softsign: "softsign",
             layers.SiLU: "silu", layers.Mish: "mish", layers.LogSigmoid: "logsigmoid",
             layers.Tanhshrink: "tanhshrink", layers.Identity: "linear"}
    kind = type(module)
    if kind in plain:
        return plain[kind]
    defaults = {layers.LeakyReLU: ("leaky_relu", {"negative_slope": 0.01}),
                layers.ELU: ("elu", {"alpha": 1.0}), layers.CELU: ("celu", {"alpha": 1.0}),
                layers.GELU: ("gelu", {"approximate": "none"}),
                layers.Softplus: ("softplus", {"beta": 1.0, "threshold": 20.0}),
                layers.Hardtanh: ("hardtanh", {"min_val": -1.0, "max_val": 1.0})}
    if kind in defaults:
        name, values = defaults[kind]
        if all(getattr(module, k) == v for k, v in values.items()):
            return name
    return None
