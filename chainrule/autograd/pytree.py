"""Flatten and rebuild nested tuples (named ones too), lists and dicts of arrays (pytrees).

None is an empty subtree (no leaf), as in JAX; anything else is a leaf.
"""

__all__ = ["tree_flatten", "tree_unflatten", "tree_map"]


def tree_flatten(tree):
    """(leaves, spec): the leaves in order, and what ``tree_unflatten`` needs to rebuild ``tree``."""
    leaves = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree, leaves):
    if isinstance(tree, tuple):
        if hasattr(tree, "_fields"):  # a namedtuple: rebuilt as its own type
            return ("namedtuple", type(tree), [_flatten(t, leaves) for t in tree])
        return ("tuple", [_flatten(t, leaves) for t in tree])
    if isinstance(tree, list):
        return ("list", [_flatten(t, leaves) for t in tree])
    if isinstance(tree, dict):
        keys = list(tree.keys())
        return ("dict", keys, [_flatten(tree[k], leaves) for k in keys])
    if tree is None:
        return ("none",)
    leaves.append(tree)
    return ("leaf",)


def tree_unflatten(spec, leaves):
    """Rebuild the structure described by ``spec`` with ``leaves`` in order."""
    it = iter(leaves)
    out = _unflatten(spec, it)
    return out


def _unflatten(spec, it):
    kind = spec[0]
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    if kind == "tuple":
        return tuple(_unflatten(s, it) for s in spec[1])
    if kind == "list":
        return [_unflatten(s, it) for s in spec[1]]
    if kind == "namedtuple":
        return spec[1](*[_unflatten(s, it) for s in spec[2]])
    return {k: _unflatten(s, it) for k, s in zip(spec[1], spec[2])}


def tree_map(fn, tree):
    """The same structure with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(leaf) for leaf in leaves])
