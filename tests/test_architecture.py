"""The layers stay layers: what the core may import, the one deliberate cycle, short functions.

The import graph is read from the source by ``docs/import_graph.py`` (no import is run),
so these tests fail the moment a change adds an upward import, a cycle or a hidden
function-local import -- before anyone notices in a picture.
"""
import ast
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "docs" / "import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)

EDGES, LOCAL = import_graph.import_graph(str(ROOT / "chainrule"))
EVERY = {m: EDGES[m] | {p for name in LOCAL[m] for p in (name, *import_graph._parents(name, m))}
         for m in EDGES}
CORE = sorted(m for m in EDGES if m == "chainrule.core" or m.startswith("chainrule.core."))
# What the core may import: itself, the dtype defaults, nothing above it.
CORE_MAY_IMPORT = ("chainrule.core", "chainrule.dtypes")


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_nothing_above_it(module):
    above = sorted(m for m in EVERY[module]
                   if not any(m == allowed or m.startswith(allowed + ".")
                              for allowed in CORE_MAY_IMPORT))
    assert not above, f"{module} imports {above}: the core must not import ops, nn, viz, " \
                      "tensor or autograd (hand it what it needs through chainrule.core.install)"


def test_the_only_import_cycle_is_tensor_and_ops():
    # Tensor's operators call into ops at call time (tensor.py imports ops at its end): the
    # one deliberate circle. Without that edge, nothing may be circular.
    for graph in (EDGES, EVERY):
        assert import_graph.cycles(import_graph.without_operator_wiring(graph)) == []


def test_no_function_local_imports_in_the_core_layers():
    layers = ("chainrule.core", "chainrule.autograd", "chainrule.ops")
    offenders = {m: LOCAL[m] for m in LOCAL
                 if LOCAL[m] and (m.startswith(layers) or m in ("chainrule.tensor",
                                                                 "chainrule.creation"))}
    assert not offenders, f"function-local imports (a hidden cycle?): {offenders}"


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


def test_apply_and_backward_fit_on_one_screen():
    lengths = dict(_functions(ROOT / "chainrule/core/apply.py"))
    assert lengths["apply_packed"] <= 60
    lengths = dict(_functions(ROOT / "chainrule/core/backward.py"))
    assert lengths["backward"] <= 60


def test_no_core_function_is_long():
    long = [(path.name, name, n) for path in sorted((ROOT / "chainrule/core").glob("*.py"))
            for name, n in _functions(path) if n > 80]
    assert not long, long


def test_the_analyzer_finds_a_cycle():
    # The cycle check itself can fail: a two-module circle and a self-contained chain.
    assert import_graph.cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert import_graph.cycles({"a": {"b"}, "b": set()}) == []
