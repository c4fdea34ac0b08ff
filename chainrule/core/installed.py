"""What the layers above hand the core once, at import, through ``chainrule.core.install``.

The core names no op, yet its shared chores need a few differentiable ones (so that
``create_graph=True`` records them too): summing a gradient back to an input's shape,
broadcasting a tangent, casting a dtype, adding at a branch, selecting with ``where``.
"""


class Installed:
    """The differentiable helpers of ``install`` (None until ``chainrule.ops`` is imported).

    sum_to(grad, shape)   broadcast_to(x, shape)   astype(x, dtype)   add(x, y)
    where(condition, x, y)
    """

    sum_to = broadcast_to = astype = add = where = None


OPS = Installed()
