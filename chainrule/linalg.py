"""``cr.linalg``: the public path of ``chainrule.ops.linalg`` (inverse, determinants, linear
solves, the Cholesky factor) and ``norm``, as ``np.linalg`` names them."""
from .ops import norm  # noqa: F401  (cr.norm itself: its errors name it)
from .ops.linalg import (LinAlgError, SlogdetResult, cholesky, det, inv, slogdet,  # noqa: F401
                         solve)

__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "norm", "LinAlgError", "SlogdetResult"]
