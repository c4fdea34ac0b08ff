"""The core: the two functions everything else calls, and what they need -- nothing else.

    primitive.py  the Primitive contract and the one family of rule constructors
    apply.py      apply(): the single door every primitive call goes through
    fastpath.py   apply's steps inlined for one or two inputs and no params
    node.py       Node: one recorded application of a primitive
    backward.py   backward(): seed -> schedule -> step -> deliver
    modes.py      grad mode, no_grad, detect_anomaly, observers (the per-thread STATE)
    numeric.py    weak typing, quiet singular points, errors that name the op
    installed.py  the differentiable helpers handed in by ``install``

The core imports nothing from ``ops``, ``nn`` or ``viz`` (``tests/test_architecture.py``
keeps it so). The layers above hand it what it needs once, through ``install``.
"""
from . import apply as _apply
from . import backward as _backward
from . import fastpath as _fastpath
from .installed import OPS
from .modes import STATE, add_observer, raw_rules, remove_observer
from .node import Node
from .primitive import (Primitive, binary, linear, make_op, nondifferentiable, times_finite,
                        unary)

# (``apply`` and ``backward`` are imported from their modules -- ``core.apply.apply``,
# ``core.backward.backward`` -- so the module names stay modules.)
__all__ = ["Primitive", "Node", "install", "unary",
           "binary", "linear", "nondifferentiable", "make_op", "times_finite", "STATE",
           "add_observer", "remove_observer", "raw_rules"]


def install(tensor_type, *, sum_to, broadcast_to, astype, add, where):
    """Hand the core the Tensor class and the differentiable helpers its chores use.

    Called once, by ``chainrule/__init__.py``, after ``tensor`` and ``ops`` are imported:
    the one place the layers are wired together (the core never imports them).
    """
    for module in (_apply, _fastpath, _backward):
        module.Tensor = tensor_type
    OPS.sum_to, OPS.broadcast_to, OPS.astype, OPS.add, OPS.where = \
        sum_to, broadcast_to, astype, add, where
