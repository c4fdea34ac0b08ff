"""Find every differentiable-function primitive and every public array function, mechanically.

The op table (``specs.py``) must have a row for each of them; ``test_op_table_coverage.py``
checks it with the helpers here, so a new primitive or a new exported function cannot be
added without a row (or an alias / not-an-array-function declaration in ``specs.py``).

Public functions, by qualified name:
    ``name``         ``chainrule.ops.__all__`` and the top-level ``chainrule`` functions that
                     come from ``chainrule.ops``, ``chainrule.linalg`` or
                     ``chainrule.nn.functional``
    ``linalg.name``  ``chainrule.linalg.__all__`` (functions only)
    ``F.name``       the ``__all__`` of every ``chainrule.nn.functional`` submodule
    ``<module>.name`` the public functions of an extra module passed in (tests of the checker)

Primitives: every object that is a Primitive (an instance of the base class, or anything with
``forward``, ``vjp`` and ``jvp`` methods and a ``name``), found as the ``primitive`` attribute of
a module-level function (public or private), as a module-level object, or as a value of a
module-level dict / list / tuple, in every module under ``chainrule.ops``, ``chainrule.linalg``
and ``chainrule.nn.functional``. The per-user ``cr.Function`` adapter primitive is excluded.

Which primitives a row exercises is observed, not declared: ``applied_primitives`` runs a
function while an observer records every primitive the dispatcher applies.
"""
import importlib
import pkgutil
import types

import chainrule as cr

from chainrule.autograd.function import _FunctionPrimitive as _USER_FUNCTION_PRIMITIVE
from chainrule.core.modes import add_observer, remove_observer
from chainrule.core.primitive import Primitive as _PRIMITIVE_BASE

PACKAGES = ("chainrule.ops", "chainrule.linalg", "chainrule.nn.functional")


# --------------------------------------------------------------------------- modules
def library_modules():
    """Every module of PACKAGES (packages walked with pkgutil; a plain module as itself)."""
    modules = []
    for name in PACKAGES:
        module = importlib.import_module(name)
        modules.append(module)
        path = getattr(module, "__path__", None)
        if path is not None:
            for info in pkgutil.walk_packages(path, name + "."):
                modules.append(importlib.import_module(info.name))
    return modules


# --------------------------------------------------------------------------- primitives
def is_primitive(obj):
    """A primitive object (not a class): the base class, or the forward/vjp/jvp/name contract."""
    if isinstance(obj, type):
        return False
    if _USER_FUNCTION_PRIMITIVE is not None and isinstance(obj, _USER_FUNCTION_PRIMITIVE):
        return False
    if isinstance(obj, _PRIMITIVE_BASE):
        return True
    return (all(callable(getattr(obj, m, None)) for m in ("forward", "vjp", "jvp"))
            and isinstance(getattr(obj, "name", None), str))


def _candidates(value):
    """Objects that may be (or hold) a primitive: the value, its ``.primitive``, container items."""
    yield value
    if callable(value) and not isinstance(value, type):
        yield getattr(value, "primitive", None)
    if isinstance(value, dict):
        yield from value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        yield from value


def primitives(extra_modules=()):
    """{id: (primitive, [where found, ...])} over the library's modules and ``extra_modules``."""
    found = {}
    for module in list(library_modules()) + list(extra_modules):
        for attr, value in list(vars(module).items()):
            if attr.startswith("__") or isinstance(value, types.ModuleType):
                continue
            for obj in _candidates(value):
                if obj is not None and is_primitive(obj):
                    entry = found.setdefault(id(obj), (obj, []))
                    entry[1].append(f"{module.__name__}.{attr}")
    return found


def describe_primitive(prim, where):
    return f"primitive {prim.name!r} ({type(prim).__name__}, found as {', '.join(where[:3])})"


# --------------------------------------------------------------------------- public functions
def _is_function(value):
    return callable(value) and not isinstance(value, type) and not is_primitive(value)


def public_functions(extra_modules=()):
    """{qualified name: function} of every public array function (see the module docstring)."""
    import chainrule.linalg
    import chainrule.nn.functional as F
    import chainrule.ops

    functions = {}
    for name in chainrule.ops.__all__:
        value = getattr(chainrule.ops, name)
        if _is_function(value):
            functions[name] = value
    for name in dir(cr):
        value = getattr(cr, name)
        if name.startswith("_") or not _is_function(value):
            continue
        module = getattr(value, "__module__", None) or ""
        if module.startswith(PACKAGES) and name not in functions:
            functions[name] = value
    for name in chainrule.linalg.__all__:
        value = getattr(chainrule.linalg, name)
        if _is_function(value):
            functions[f"linalg.{name}"] = value
    for info in pkgutil.iter_modules(F.__path__, F.__name__ + "."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if _is_function(value) and not name.startswith("_"):   # (a package's internals)
                functions[f"F.{name}"] = value
    for module in extra_modules:
        names = getattr(module, "__all__", None)
        if names is None:   # the module's own public functions
            names = [n for n, v in vars(module).items() if not n.startswith("_")
                     and getattr(v, "__module__", None) == module.__name__]
        for name in names:
            value = getattr(module, name)
            if _is_function(value):
                functions[f"{module.__name__}.{name}"] = value
    return functions


# --------------------------------------------------------------------------- observing
class _Recorder:
    """An observer that keeps every primitive the dispatcher applies."""

    def __init__(self):
        self.applied = {}

    def on_apply(self, prim, args, params, out):
        self.applied[id(prim)] = prim

    def on_backward(self, node, grad, grads):
        pass


def applied_primitives(fn, *args, **kwargs):
    """{id: primitive} of every primitive applied while ``fn(*args, **kwargs)`` runs."""
    recorder = _Recorder()
    add_observer(recorder)
    try:
        fn(*args, **kwargs)
    finally:
        remove_observer(recorder)
    return recorder.applied


# --------------------------------------------------------------------------- coverage
_ADD_A_ROW = "add a row to tests/ops/specs.py"


def attributed_function(row_name, function_names):
    """The public function a row is named after: the longest name ``n`` with the row called
    ``n``, ``n_<variant>`` or ``n[<variant>]`` (so "F.linear_activation" belongs to itself,
    "F.linear_no_bias" to "F.linear"); None when there is none."""
    best = None
    for name in function_names:
        if row_name == name or row_name.startswith((name + "_", name + "[")):
            if best is None or len(name) > len(best):
                best = name
    return best


def exercised_primitives(rows, inputs):
    """{id: primitive} applied by the forward of some row, each run once on its first case;
    ``inputs(row, shapes)`` gives the row's arguments."""
    applied = {}
    for row in rows:
        shapes, kwargs = row.cases()[0]
        applied.update(applied_primitives(row.fn, *inputs(row, shapes), **kwargs))
    return applied


def coverage_gaps(rows, inputs, aliases, not_array_functions, extra_modules=()):
    """What the op table misses: {"primitives": {id: message}, "functions": {name: message}}."""
    exercised = exercised_primitives(rows, inputs)
    primitive_gaps = {
        key: f"{describe_primitive(prim, where)} is applied by no row's forward: {_ADD_A_ROW} "
             f"whose fn calls it"
        for key, (prim, where) in primitives(extra_modules).items() if key not in exercised}
    functions = public_functions(extra_modules)
    covered = {attributed_function(row.name, functions) for row in rows}
    function_gaps = {
        name: f"public function {name} has no row: {_ADD_A_ROW} named {name!r} (or "
              f"{name + '_<variant>'!r}), or declare it in ALIASES / NOT_ARRAY_FUNCTIONS there"
        for name in functions
        if name not in covered and name not in aliases and name not in not_array_functions}
    return {"primitives": primitive_gaps, "functions": function_gaps}
