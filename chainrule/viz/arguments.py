"""A call's arguments as named leaves, and names for what the call computes.

``trace(f, *args)`` (and so ``cr.explain``) turns every floating-point argument into
a fresh leaf named after f's parameter, names the intermediates after f's local
variables, and names the parameters of the ``nn`` modules f uses by their paths.
"""
import inspect
import numbers
import sys

import numpy as np

__all__ = ["make_leaves", "bind_arguments", "rebind", "parameter_names", "call_recording_locals"]


def _is_number_tree(x):
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_number_tree(e) for e in x)
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _has_float(x):
    if isinstance(x, (list, tuple)):
        return any(_has_float(e) for e in x)
    return isinstance(x, (float, np.floating))


def make_leaves(value, name, leaves):
    """``value`` with every floating-point array in it replaced by a fresh leaf Tensor named ``name``.

    Python floats (and lists of numbers with a float in them) become float64 leaves;
    ndarrays and Tensors keep their dtype. Integers, bools and other objects pass
    through unchanged (constants). Tuples, lists and dicts of arrays are walked and
    their leaves named ``name[0]``, ``name['key']``.
    """
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        if value.dtype.kind != "f":
            return value
        leaf = Tensor(np.array(value.data, copy=True), requires_grad=True,
                      name=value.name or name)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind != "f":
            return value
        leaf = Tensor(np.array(value, copy=True), requires_grad=True, name=name)
    elif isinstance(value, (float, np.floating)):
        leaf = Tensor(np.array(value, dtype=np.float64 if isinstance(value, float) else None),
                      requires_grad=True, name=name)
    elif _is_number_tree(value) and _has_float(value):
        leaf = Tensor(np.array(value, dtype=np.float64), requires_grad=True, name=name)
    elif isinstance(value, (list, tuple)) and not _is_number_tree(value):
        items = [make_leaves(e, f"{name}[{i}]", leaves) for i, e in enumerate(value)]
        return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
    elif isinstance(value, dict):
        return {k: make_leaves(v, f"{name}[{k!r}]", leaves) for k, v in value.items()}
    else:
        return value
    leaves[leaf.name] = leaf
    return leaf


def bind_arguments(f, args, kwargs):
    """(name, value) for each argument, named after f's parameters where they can be read."""
    module_class = _module_class()
    target = f.forward if module_class is not None and isinstance(f, module_class) else f
    try:
        bound = inspect.signature(target).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return ([(f"arg{i}", a) for i, a in enumerate(args)] + list(kwargs.items())), None
    named = []
    for pname, value in bound.arguments.items():
        kind = bound.signature.parameters[pname].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            named.extend((f"{pname}[{i}]", v) for i, v in enumerate(value))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            named.extend(value.items())
        else:
            named.append((pname, value))
    return named, bound


def _module_class():
    module = sys.modules.get("chainrule.nn.module")
    return getattr(module, "Module", None)


def parameter_names(f):
    """id(parameter) -> dotted name for the nn Modules that ``f`` is, is a method of, or uses.

    The modules are found in f itself, its ``__self__``, its closure and the globals
    its code names. One module: 'fc1.weight'; several: prefixed by the variable name
    that holds each ('encoder.fc1.weight').
    """
    module_class = _module_class()
    if module_class is None:
        return {}
    found = {}
    if isinstance(f, module_class):
        found[""] = f
    owner = getattr(f, "__self__", None)
    if isinstance(owner, module_class):
        found[""] = owner
    try:
        closure = inspect.getclosurevars(f) if _code_of(f) is not None else None
    except (TypeError, ValueError):
        closure = None
    if closure is not None:
        for var, obj in list(closure.nonlocals.items()) + list(closure.globals.items()):
            if isinstance(obj, module_class) and all(obj is not m for m in found.values()):
                found[var] = obj
    names = {}
    prefix_needed = len(found) > 1
    for var, module in found.items():
        prefix = var if prefix_needed and var else ""
        for name, p in module.named_parameters(prefix=prefix):
            names.setdefault(id(p), name)
    return names


def _code_of(f):
    code = getattr(f, "__code__", None)
    if code is None:
        code = getattr(getattr(f, "__func__", None), "__code__", None)
    if code is None:  # an nn.Module: its forward's code
        forward = getattr(f, "forward", None)
        code = getattr(getattr(forward, "__func__", None), "__code__", None)
    return code


def call_recording_locals(f, args, kwargs):
    """``f(*args, **kwargs)`` and f's local variables at its return (to name intermediates).

    Uses ``sys.setprofile`` for the duration of the call, only for plain Python
    functions and only when no other profiler is installed.
    """
    code = _code_of(f)
    if code is None or sys.getprofile() is not None:
        return f(*args, **kwargs), {}
    captured = {}
    depth = [0]

    def profiler(frame, event, arg):
        if frame.f_code is code:
            if event == "call":
                depth[0] += 1
            elif event == "return":
                if depth[0] == 1:
                    captured.update(frame.f_locals)
                depth[0] -= 1

    sys.setprofile(profiler)
    try:
        result = f(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return result, captured


def rebind(bound, converted):
    """The call's (args, kwargs) with each argument replaced by its converted form.

    Positional parameters stay positional until one is left to its default; after
    that the rest go by keyword, so every value lands on the parameter it was bound to.
    """
    args, kwargs = [], {}
    positional = True
    for pname, param in bound.signature.parameters.items():
        kind = param.kind
        if pname not in bound.arguments:
            if kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                positional = False
            continue
        value = bound.arguments[pname]
        if kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(converted[f"{pname}[{i}]"] for i in range(len(value)))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            kwargs.update({k: converted[k] for k in value})
        elif kind is inspect.Parameter.KEYWORD_ONLY or not positional:
            kwargs[pname] = converted[pname]
        else:
            args.append(converted[pname])
    return args, kwargs
