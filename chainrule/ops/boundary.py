"""Errors that name the public op: the boundary of the composite ops.

A composite (``tile``, ``kron``, ``roll``...) is a plain function of primitives, so an
error inside it names the primitive that raised it (``reshape: ...``) or is Python's own
(``'int' object is not iterable``). ``named(fn)`` is the public function: the same call,
whose TypeError / ValueError / IndexError says which op it came from (``tile: reshape:
...``); an AttributeError (an operand of the wrong type), OverflowError (an integer too large
for NumPy) or MemoryError (a result too large to allocate) becomes the TypeError /
ValueError it stands for. Ops made by ``make_op`` need none of this: their errors name them
already, and their fast paths stay as they are.
"""
import functools

from ..core.numeric import KEPT, names_op, renamed

__all__ = ["named", "is_fast_op"]

def is_fast_op(fn):
    """Whether ``fn`` is a primitive's own public function (errors already name it)."""
    prim = getattr(fn, "primitive", None)
    return (prim is not None and getattr(fn, "__module__", None) == "chainrule.core.fastpath"
            and fn.__name__ == prim.name)


def named(fn, name):
    """``fn`` whose errors name ``name`` (see the module docstring)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KEPT as error:
            if names_op(error, name):
                raise
            raise renamed(error, f"{name}: {error}") from error
        except (AttributeError, KeyError) as error:
            raise TypeError(f"{name}: an argument has the wrong type ({error}); expected "
                            f"Tensors, ndarrays or numbers of numeric dtype") from error
        except OverflowError as error:
            raise ValueError(f"{name}: an integer argument is too large ({error}); expected "
                             f"values that fit in 64 bits") from error
        except MemoryError as error:
            raise ValueError(f"{name}: the result would be too large to allocate "
                             f"({error})") from error
    op.__wrapped_op__ = fn
    return op
