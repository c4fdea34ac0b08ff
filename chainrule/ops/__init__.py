"""Every differentiable function, by NumPy name. Rules live beside each primitive.

Each module lists its public functions in its own ``__all__`` (next to their definitions);
this package is their union, and ``chainrule`` re-exports it. Adding an op to a module's
``__all__`` is all it takes to make it ``cr.<name>``.
"""
import types as _types

from . import elementwise, nondifferentiable, norms, products, reductions, shape, special
from .boundary import is_fast_op as _is_fast_op
from .boundary import named as _named
from .elementwise import *  # noqa: F401,F403
from .indexing import getitem, index_put, scatter_add, unwrap_index  # noqa: F401 (for the layers)
from .nondifferentiable import *  # noqa: F401,F403
from .norms import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403

__all__ = sorted({*elementwise.__all__, *special.__all__, *reductions.__all__, *shape.__all__,
                  *norms.__all__, *products.__all__, *nondifferentiable.__all__})

# the functions as defined, for the layers below the public surface (Tensor's methods and
# the core's installed helpers: no extra frame there)
plain = _types.SimpleNamespace(**{k: v for k, v in globals().items()
                                  if not k.startswith("_") and callable(v)
                                  and not isinstance(v, _types.ModuleType)})

# the public functions: a composite's errors name it (``boundary.py``)
_public = {}   # one public function per function: an alias stays the same object
for _name in __all__:
    _fn = globals()[_name]
    if not _is_fast_op(_fn):
        if id(_fn) not in _public:
            _canonical = _fn.__name__ if _fn.__name__ in __all__ else _name
            _public[id(_fn)] = _named(_fn, _canonical)
        globals()[_name] = _public[id(_fn)]
