"""Every differentiable function, by NumPy name. Rules live beside each primitive.

Each module lists its public functions in its own ``__all__`` (next to their definitions);
this package is their union, and ``chainrule`` re-exports it. Adding an op to a module's
``__all__`` is all it takes to make it ``cr.<name>``.
"""
from . import elementwise, nondifferentiable, norms, products, reductions, shape, special
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
