"""The import graph of the chainrule package, read from the source (no import is run).

    python docs/import_graph.py              # cycles, function-local imports, layer check
    python docs/import_graph.py --dot FILE   # the graph of folders/files as Graphviz DOT
    python docs/import_graph.py --png FILE   # ... drawn in layers (needs matplotlib)

An edge A -> B means module A imports module B at module level (``import``/``from`` at
the top of the file or in a class body). Imports inside functions are listed separately:
they are how code hides a cycle, so the core layers should have none.
``tests/test_architecture.py`` uses the same functions to keep the layers honest.
"""
import argparse
import ast
import os
import sys

PACKAGE = "chainrule"
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), PACKAGE)


def module_files(root=ROOT):
    """{module name: file path} for every .py file of the package."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, os.path.dirname(root))[:-3].replace(os.sep, ".")
            if rel.endswith(".__init__"):
                rel = rel[: -len(".__init__")]
            files[rel] = path
    return files


def _resolve(module, is_package, level, target):
    """The absolute name of a relative import ``from <level dots><target>``."""
    if level == 0:
        return target
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


def _parents(name, importer):
    """The packages that importing ``name`` runs first (not the root, not the importer's own)."""
    parts = name.split(".")
    for i in range(2, len(parts)):
        parent = ".".join(parts[:i])
        if not (importer == parent or importer.startswith(parent + ".")):
            yield parent


def _imports(tree, module, is_package, known):
    """(module-level imports, function-local imports) of one parsed file, as module names."""
    top, local = set(), []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_package, child.level, child.module)
                for a in child.names:     # `from . import x` may name a submodule
                    full = f"{base}.{a.name}"
                    names.append(full if full in known else base)
            for name in names:
                while name and name not in known and "." in name:
                    name = name.rsplit(".", 1)[0]
                if name in known and name != module:
                    if not inside:      # importing a.b.c runs a/b/__init__.py first
                        top.update(_parents(name, module))
                    if inside:
                        local.append(name)   # one per import statement and name
                    else:
                        top.add(name)
            visit(child, inside)

    visit(tree, False)
    return top, local


def import_graph(root=ROOT):
    """({module: set of modules it imports at module level}, {module: function-local imports}).

    Importing ``a.b.c`` runs ``a/b/__init__.py`` first, so it counts as an import of ``a.b``
    too (unless the importer lives inside ``a.b``)."""
    files = module_files(root)
    known = set(files)
    edges, local = {}, {}
    for module, path in files.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith("__init__.py")
        edges[module], local[module] = _imports(tree, module, is_package, known)
        # a package's submodule imports its parent package implicitly; not an edge we count
    return edges, local


def cycles(edges):
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))
    return sorted(result)


def without_operator_wiring(graph):
    """``graph`` without the one deliberate circle: tensor.py importing ops at its end."""
    cut = {m: set(targets) for m, targets in graph.items()}
    tensor = f"{PACKAGE}.tensor"
    if tensor in cut:
        cut[tensor] = {m for m in cut[tensor]
                       if not (m == f"{PACKAGE}.ops" or m.startswith(f"{PACKAGE}.ops."))}
    return cut


def _group(module):
    """The folder (or top-level file) a module belongs to, for the picture."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def to_dot(edges):
    groups = {}
    for a, targets in edges.items():
        for b in targets:
            ga, gb = _group(a), _group(b)
            if ga != gb and not gb == PACKAGE:
                groups[(ga, gb)] = groups.get((ga, gb), 0) + 1
    lines = ["digraph imports {", "  rankdir=BT; node [shape=box, fontname=Helvetica];"]
    for (a, b), n in sorted(groups.items()):
        lines.append(f'  "{a}" -> "{b}" [label="{n}"];')
    lines.append("}")
    return "\n".join(lines)


def folder_graph(edges):
    """{folder: folders it imports}: modules grouped by top-level folder (or file), the
    package's own ``__init__`` left out (it re-exports everything)."""
    groups = {}
    for a, targets in edges.items():
        ga = _group(a)
        if ga == PACKAGE:
            continue
        groups.setdefault(ga, set())
        for b in targets:
            gb = _group(b)
            if gb not in (ga, PACKAGE):
                groups[ga].add(gb)
                groups.setdefault(gb, set())
    return groups


def draw_png(edges, path):
    """A layered picture of the folder graph: each folder above everything it imports; the
    deliberate tensor -> ops edge dashed red (needs matplotlib, the [train] extra)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graph = folder_graph(edges)
    wiring = (f"{PACKAGE}.tensor", f"{PACKAGE}.ops")
    acyclic = {a: {b for b in bs if (a, b) != wiring} for a, bs in graph.items()}
    level = {}

    def depth(node):
        if node not in level:
            level[node] = 0       # (acyclic once the wiring edge is out: no recursion loop)
            level[node] = 1 + max((depth(b) for b in acyclic[node]), default=-1)
        return level[node]

    for node in graph:
        depth(node)
    rows = {}
    for node in sorted(graph):
        rows.setdefault(level[node], []).append(node)
    position = {}
    for y, names in rows.items():
        for i, name in enumerate(names):
            position[name] = ((i + 0.5) / len(names), y)
    fig, ax = plt.subplots(figsize=(13, 1.1 * (len(rows) + 1)))
    for a, bs in graph.items():
        for b in bs:
            (x0, y0), (x1, y1) = position[a], position[b]
            deliberate = (a, b) == wiring
            ax.annotate("", xy=(x1, y1 + 0.18), xytext=(x0, y0 - 0.18),
                        arrowprops=dict(arrowstyle="->", lw=1.6 if deliberate else 0.6,
                                        color="#c0392b" if deliberate else "#95a5a6",
                                        linestyle="--" if deliberate else "-",
                                        connectionstyle="arc3,rad=0.25" if deliberate else None))
    for name, (x, y) in position.items():
        short = name.split(".", 1)[1]
        core = short == "core"
        ax.text(x, y, short, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.35", fc="#d6eaf8" if core else "#fdfefe",
                          ec="#2471a3" if core else "#566573", lw=2 if core else 1))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, max(rows) + 0.6)
    ax.axis("off")
    ax.set_title("chainrule: folders and top-level files, each above what it imports "
                 "(red dashed: Tensor's operators calling ops, the one deliberate circle)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", help="write the folder-level graph as DOT to this file")
    parser.add_argument("--png", help="draw the folder-level graph to this PNG (matplotlib)")
    parser.add_argument("--root", default=ROOT)
    args = parser.parse_args(argv)
    edges, local = import_graph(args.root)
    found = cycles(edges)
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} module-level import edges")
    print(f"{len(found)} import cycle(s) among module-level imports:")
    for component in found:
        print(f"  {len(component)} modules: {', '.join(component)}")
    every = {m: edges[m] | {p for name in local[m] for p in (name, *_parents(name, m))}
             for m in edges}
    found = cycles(every)
    print(f"{len(found)} import cycle(s) counting function-local imports too:")
    for component in found:
        print(f"  {len(component)} modules: {', '.join(component)}")
    found = cycles(without_operator_wiring(every))
    print(f"{len(found)} import cycle(s) once the deliberate tensor -> ops edge (Tensor's "
          "operators) is set aside:")
    for component in found:
        print(f"  {len(component)} modules: {', '.join(component)}")
    print(f"{sum(map(len, local.values()))} function-local imports of package modules in all")
    core = [m for m in local if m.split(".")[1:2] in (["core"], ["autograd"], ["ops"])
            or m in (f"{PACKAGE}.tensor", f"{PACKAGE}.creation")]
    count = sum(len(local[m]) for m in core)
    print(f"{count} function-local imports of package modules in the core layers "
          "(core, autograd, ops, tensor, creation):")
    for m in sorted(core):
        if local[m]:
            print(f"  {m}: {', '.join(sorted(local[m]))}")
    if args.png:
        draw_png(edges, args.png)
        print(f"wrote {args.png}")
    if args.dot:
        with open(args.dot, "w", encoding="utf-8") as f:
            f.write(to_dot(edges) + "\n")
        print(f"wrote {args.dot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
