"""Per-op overhead of tiny ops, chainrule against PyTorch eager (when installed), same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/overhead.py [--threads 2] [--in-process]
        [--repeats 30] [--ops all|none|NAME ...] [--op-chain 500] [--op-repeats 100] [--gc]
        [--no-torch] [--no-w4] [--json PATH]
    python benchmarks/overhead.py --compare A.json B.json     # ratios B/A per op and column

Two measurements, printed one after the other:

W4 (``run``; benchmarks/run.py imports it): a chain of 1,000 elementwise ops (sin, * const) on
a tensor of shape (1,), forward and forward+backward, microseconds per op. Each library runs in
its own worker process (``_common.measure_isolated``), interleaved round by round; medians of
``--repeats`` calls, cyclic GC left on. ``--in-process`` times both in this process instead.

The per-op table (``op_table``; ``--ops``, default all): for each op of ``+ - * / ** exp log
sin tanh sum matmul getitem`` (``**`` twice: ``x ** 2`` and ``x ** y``), in microseconds per call:
  (a) no_grad    forward under ``no_grad()``, the leaves requiring grad;
  (b) recorded   forward with grad mode on, the leaves requiring grad (the graph is recorded);
  (c) backward   the backward pass alone: median(forward+backward) - median(recorded forward).
Method: one timed call runs a chain of ``--op-chain`` (N) links, each consuming the previous
link's output, starting from a float32 leaf of shape (1, 1) that requires grad; (a)-(c) are
that call's median time divided by N. A chain, not N independent calls on one leaf: fanning N
outputs back into one leaf (N roots, N gradient accumulations) costs about as much again as
the ops' own backward, in both libraries, and would swamp what is being measured. Backward is
``y.backward(ones)`` on the chain's end; its time includes releasing the graph and setting the
leaves' ``.grad`` (reset to None inside the timed call, as W4 does). A call's time includes
freeing its graph when the chain's output is dropped (in (b) and (c) alike).
  - binary elementwise (``+ - * / x**y``): ``y = y <op> c``, c one shared leaf of shape (1, 1)
    that requires grad: every link computes both input gradients, and c's gradient
    accumulates N times (in both libraries).
  - unary elementwise: sin, tanh chain directly. ``x ** 2`` (one tensor operand, so counted as
    unary), exp and log cannot: no chain of them alone stays finite in float32, and a chain's
    gradient, the product of N derivatives, must stay clear of Inf and subnormals too. Their
    rows (marked †) take (a) and (b) from the op alone, N independent calls on the leaf
    (outputs dropped at once under no_grad, kept until the call returns when recorded, as
    in a chain; forward costs about the same either way: for sin, tanh, * and + the two
    agreed within 4% under no_grad and 12% recorded, in both libraries), and (c) from a chain of pairs ``y ** 2 + c`` /
    ``exp(y) * c`` / ``log(y) + c`` minus the backward of the helper row (``+`` / ``*``, whose
    link is exactly the pair's second half, c a shared leaf requiring grad), measured in the
    same run next to it. The pairs sit near an attracting fixed point where a link's
    derivative is about 1.
  - reduction: ``y = y.sum()``: the first link sums the (1, 1) leaf to a scalar, the others sum a
    0-d tensor (a 1-element sum either way).
  - matmul: ``y = y @ w``, (1, 1) @ (1, 1), w a shared leaf requiring grad (as c above).
  - indexing: ``y = y[:1]``, a basic slice of the (1, 1) tensor (a view in both libraries).
Every chain is checked once, untimed, before timing: all link outputs and their gradients are
finite and none is subnormal (which would time the FPU's slow path, not the library).
Timing is timeit-style and in this process: ``time.perf_counter`` around each call, the
cyclic GC disabled while timing (timeit's default; ``gc.collect()`` before each round;
``--gc`` keeps it enabled, so young-generation collections triggered by the graph objects are
counted), every closure of every op and library interleaved in ``max(1, R // 6)`` rounds
(order reversed every other round), one untimed warm call per closure per round, ``--op-repeats``
(R) timed calls in all. Both libraries in one process is fine here, unlike W4's bigger runs:
1-element ops start no BLAS/OpenMP worker threads; ``--no-torch`` times chainrule alone as a
cross-check. Thread counts: ``--threads`` for OMP/OpenBLAS/MKL and ``torch.set_num_threads``
(printed in the header, with the BLAS pools threadpoolctl sees, when installed). The header
also gives the 1-min load average before and after timing: on a shared machine, a run with
a high one is better repeated (and ``--compare`` shows PyTorch's drift between two runs).

Run as a script, this file measures the chainrule of its own checkout (the repository root
goes first on ``sys.path``; an editable install may point at another worktree); the header
and the JSON name the path and commit measured.

The table gives each figure with its ratio to the fastest op of the same shape class (unary
elementwise, binary elementwise, reduction, matmul, indexing) in the same column, the PyTorch
figures with theirs, the chainrule / PyTorch ratios, and flags every chainrule figure above
1.3x the fastest of its class (the acceptance target: every op within 1.3x of the fastest op
of its shape class). ``--json PATH`` writes the table (with the raw per-call statistics and
the run's settings) so that ``--compare A.json B.json`` can print B/A per op and column, e.g.
before/after a refactor; PyTorch's B/A is the run-to-run drift of the machine itself.
"""

import argparse
import collections
import datetime
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from _common import blas_info, machine_line, measure_isolated, set_threads  # noqa: E402

N_OPS = 1000


def chainrule_fns():
    import numpy as np

    import chainrule as cr
    x0 = cr.tensor(np.array([0.5], dtype=np.float32), requires_grad=True)
    c = cr.tensor(np.array([0.5], dtype=np.float32))

    def chain(x):
        for _ in range(N_OPS // 2):
            x = cr.sin(x)
            x = x * c
        return x

    def forward():
        with cr.no_grad():
            chain(x0)

    def forward_recorded():
        chain(x0)

    def forward_backward():
        y = chain(x0)
        y.backward(np.ones(1, dtype=np.float32))
        x0.grad = None

    return forward, forward_recorded, forward_backward


def chainrule_group():
    f, r, b = chainrule_fns()
    return {"chainrule fwd (no_grad)": f, "chainrule fwd (recorded)": r, "chainrule fwd+bwd": b}


def torch_group():
    f, r, b = torch_fns()
    return {"torch fwd (no_grad)": f, "torch fwd (recorded)": r, "torch fwd+bwd": b}


def torch_fns():
    import torch
    x0 = torch.tensor([0.5], requires_grad=True)
    c = torch.tensor([0.5])

    def chain(x):
        for _ in range(N_OPS // 2):
            x = torch.sin(x)
            x = x * c
        return x

    def forward():
        with torch.no_grad():
            chain(x0)

    def forward_recorded():
        chain(x0)

    def forward_backward():
        y = chain(x0)
        y.backward(torch.ones(1))
        x0.grad = None

    return forward, forward_recorded, forward_backward


def measure_in_process(groups, repeats):
    """Time the closures one after another in this process, interleaved call by call
    (fine for (1,)-shaped ops, which start no BLAS threads). Same result form as
    ``measure_isolated``."""
    import statistics
    import time
    fns = {}
    for module, factory, args in groups.values():
        fns.update(globals()[factory](*args))
    times = {name: [] for name in fns}
    for _ in range(repeats + 3):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t[3:]), min(t[3:]), max(t[3:])) for name, t in times.items()}


def run(threads=2, repeats=30, in_process=False):
    set_threads(threads)
    groups = {"chainrule": ("overhead", "chainrule_group", ())}
    try:
        import torch  # noqa: F401
        have_torch = True
        groups["torch"] = ("overhead", "torch_group", ())
    except ImportError:
        have_torch = False
    res = (measure_in_process(groups, repeats) if in_process
           else measure_isolated(groups, threads, repeats=repeats))
    us = {k: v[0] / N_OPS * 1e6 for k, v in res.items()}
    rows = []
    for k, (med, lo, hi) in res.items():
        rows.append(f"| {k} | {med / N_OPS * 1e6:.2f} | {lo / N_OPS * 1e6:.2f}–{hi / N_OPS * 1e6:.2f} |")
    print(f"per-op time, chain of {N_OPS} elementwise ops on shape (1,), {threads} threads, "
          f"median of {repeats}" + (", one process" if in_process else ""))
    print("| variant | µs/op | min–max |\n|---|---|---|")
    print("\n".join(rows))
    if have_torch:
        bwd_cr = us["chainrule fwd+bwd"] - us["chainrule fwd (recorded)"]
        bwd_t = us["torch fwd+bwd"] - us["torch fwd (recorded)"]
        print(f"\nforward (recorded) ratio chainrule/torch: "
              f"{us['chainrule fwd (recorded)'] / us['torch fwd (recorded)']:.2f}")
        print(f"backward-only µs/op: chainrule {bwd_cr:.2f}, torch {bwd_t:.2f}, ratio "
              f"{bwd_cr / bwd_t:.2f}")
        print(f"fwd+bwd ratio chainrule/torch: {us['chainrule fwd+bwd'] / us['torch fwd+bwd']:.2f}")
    return us



# =========================================================================== per-op table
UNARY, BINARY, REDUCTION, MATMUL, INDEXING = (
    "unary elementwise", "binary elementwise", "reduction", "matmul", "indexing")
CLASSES = (UNARY, BINARY, REDUCTION, MATMUL, INDEXING)
COLUMNS = ("no_grad", "recorded", "backward")
FLAG_AT = 1.3

# One row of the table. link: one link of the chain, an expression of y (the previous link's
# output) and c (the second leaf, None: none); helper: the row whose figures are subtracted
# from this one's backward (None: none); direct: for those rows, the op alone as an
# expression of the leaf x, timed forward as n independent calls (see the module docstring).
# Values: every chain stays finite and normal in float32 (checked before timing, see
# ``_check_chain``): + and - drift by 1e-3 a link; * / ** by 1; the pairs sit near an
# attracting fixed point where the link's derivative is ~1 (y**2 + 1/4 -> 1/2,
# exp(y)/e -> 1, log(y) + 1 -> 1); sin and tanh decay slowly towards 0.
OpSpec = collections.namedtuple("OpSpec", "label klass x0 c link helper direct",
                                defaults=(None, None))
OP_SPECS = {
    "add": OpSpec("x + y", BINARY, 0.5, 1e-3, "y + c"),
    "sub": OpSpec("x - y", BINARY, 0.5, 1e-3, "y - c"),
    "mul": OpSpec("x * y", BINARY, 0.5, 1.0, "y * c"),
    "div": OpSpec("x / y", BINARY, 0.5, 1.0, "y / c"),
    "pow": OpSpec("x ** y", BINARY, 1.5, 1.0, "y ** c"),
    "pow2": OpSpec("x ** 2", UNARY, 0.4, 0.25, "y ** 2 + c", "add", "x ** 2"),
    "exp": OpSpec("exp(x)", UNARY, 0.9, math.exp(-1.0), "exp(y) * c", "mul", "exp(x)"),
    "log": OpSpec("log(x)", UNARY, 1.5, 1.0, "log(y) + c", "add", "log(x)"),
    "sin": OpSpec("sin(x)", UNARY, 0.5, None, "sin(y)"),
    "tanh": OpSpec("tanh(x)", UNARY, 0.5, None, "tanh(y)"),
    "sum": OpSpec("x.sum()", REDUCTION, 0.5, None, "y.sum()"),
    "matmul": OpSpec("x @ w, (1,1) @ (1,1)", MATMUL, 0.5, 1.0, "y @ c"),
    "getitem": OpSpec("x[:1], (1,1)", INDEXING, 0.5, None, "y[:1]"),
}
OP_ALIASES = {"+": ["add"], "-": ["sub"], "*": ["mul"], "/": ["div"], "**": ["pow2", "pow"],
              "@": ["matmul"], "[]": ["getitem"], "x**2": ["pow2"], "x**y": ["pow"]}

# A chain is compiled from this template (as timeit compiles its statement): the link's
# expression is inlined in a plain loop, so the harness adds one loop iteration per link.
_CHAIN_TEMPLATE = """
def chain(y):
    for _ in _links:
        y = {link}
    return y

def chain_kept(y):
    kept = []
    for _ in _links:
        y = {link}
        y.retain_grad()
        kept.append(y)
    return kept

def direct(x):
    for _ in _links:
        {direct}

def direct_kept(x):
    outs = []
    keep = outs.append
    for _ in _links:
        keep({direct})
    return outs
"""


def resolve_ops(names):
    """--ops arguments (names, symbols, 'all', 'none'; commas allowed) -> op names in table order."""
    wanted = []
    for arg in names:
        for token in filter(None, (t.strip() for t in arg.split(","))):
            if token == "all":
                wanted.extend(OP_SPECS)
            elif token == "none":
                continue
            elif token in OP_SPECS:
                wanted.append(token)
            elif token in OP_ALIASES:
                wanted.extend(OP_ALIASES[token])
            else:
                raise ValueError(f"unknown op {token!r}: choose from {', '.join(OP_SPECS)} "
                                 f"(or {' '.join(OP_ALIASES)}, all, none)")
    # A derived row needs its helper row measured in the same run.
    for name in list(wanted):
        helper = OP_SPECS[name].helper
        if helper and helper not in wanted:
            wanted.append(helper)
    return [name for name in OP_SPECS if name in wanted]


def _library(lib):
    """Leaf maker, seed maker, no_grad context and the namespace the links see, for one library."""
    import numpy as np
    if lib == "chainrule":
        import chainrule as cr

        def leaf(value):
            return cr.tensor(np.full((1, 1), value, dtype=np.float32), requires_grad=True)

        def ones(shape):
            return np.ones(shape, dtype=np.float32)

        return leaf, ones, cr.no_grad, {"exp": cr.exp, "log": cr.log, "sin": cr.sin,
                                        "tanh": cr.tanh}
    import torch

    def leaf(value):
        return torch.full((1, 1), value, dtype=torch.float32, requires_grad=True)

    def ones(shape):
        return torch.ones(shape, dtype=torch.float32)

    return leaf, ones, torch.no_grad, {"exp": torch.exp, "log": torch.log, "sin": torch.sin,
                                       "tanh": torch.tanh}


def op_closures(lib, name, n):
    """{variant: fn} for one op and library, each fn one timed call over n links.

    no_grad / recorded / fwd+bwd run the chain; for a row with a helper, direct no_grad /
    direct recorded run the op alone n times on the leaf (each output dropped at once under
    no_grad, as an unrecorded chain drops its links; kept until the call returns when
    recorded, as a recorded chain's graph keeps them)."""
    spec = OP_SPECS[name]
    leaf, ones, no_grad, namespace = _library(lib)
    x0 = leaf(spec.x0)
    c = leaf(spec.c) if spec.c is not None else None
    leaves = (x0,) if c is None else (x0, c)
    ns = dict(namespace, c=c, _links=range(n))
    exec(_CHAIN_TEMPLATE.format(link=spec.link, direct=spec.direct or "x"), ns)
    chain, chain_kept = ns["chain"], ns["chain_kept"]
    direct, direct_kept = ns["direct"], ns["direct_kept"]
    seed = ones(tuple(chain(x0).shape))
    _check_chain(lib, name, chain_kept, x0, leaves, seed)

    def fwd_no_grad():
        with no_grad():
            chain(x0)

    def fwd_recorded():
        chain(x0)

    if c is None:
        def fwd_bwd():
            chain(x0).backward(seed)
            x0.grad = None
    else:
        def fwd_bwd():
            chain(x0).backward(seed)
            x0.grad = None
            c.grad = None

    fns = {"no_grad": fwd_no_grad, "recorded": fwd_recorded, "fwd+bwd": fwd_bwd}
    if spec.helper:
        def direct_no_grad():
            with no_grad():
                direct(x0)

        def direct_recorded():
            direct_kept(x0)

        if not all(_finite_normal(y) for y in direct_kept(x0)):
            raise RuntimeError(f"{lib} {name}: {spec.direct} leaves float32's normal range")
        fns.update({"direct no_grad": direct_no_grad, "direct recorded": direct_recorded})
    return fns


def _finite_normal(value):
    """True when every element is finite and either 0 or a normal float32."""
    import numpy as np
    if hasattr(value, "detach"):                   # a torch.Tensor
        a = value.detach().double().numpy()
    else:                                          # a chainrule Tensor
        a = np.asarray(value.data, dtype=np.float64)
    return bool(np.isfinite(a).all()
                and ((a == 0) | (np.abs(a) >= np.finfo(np.float32).tiny)).all())


def _check_chain(lib, name, chain_kept, x0, leaves, seed):
    """Every link output and gradient of the chain finite and not subnormal (untimed, once)."""
    kept = chain_kept(x0)
    kept[-1].backward(seed)
    bad = [f"link {i} output" for i, y in enumerate(kept) if not _finite_normal(y)]
    bad += [f"link {i} gradient" for i, y in enumerate(kept)
            if y.grad is None or not _finite_normal(y.grad)]
    bad += [f"leaf {i} gradient" for i, t in enumerate(leaves)
            if t.grad is None or not _finite_normal(t.grad)]
    for t in leaves:
        t.grad = None
    if bad:
        raise RuntimeError(f"{lib} {name}: the chain leaves float32's normal range "
                           f"({', '.join(bad[:5])}{', ...' if len(bad) > 5 else ''}); "
                           "choose another --op-chain or other values in OP_SPECS")


def _stats(samples):
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "p25": q[0], "p75": q[2], "n": len(samples)}


def time_interleaved(closures, repeats, gc_enabled=False):
    """timeit-style timing of {key: fn}, all interleaved: {key: [seconds per call]}.

    ``max(1, repeats // 6)`` rounds; each round runs every closure once untimed, then its
    share of the ``repeats`` timed calls, the order reversed every other round. The cyclic GC
    is collected before each round and disabled while timing unless ``gc_enabled``.
    """
    rounds = max(1, repeats // 6)
    shares = [repeats // rounds + (1 if r < repeats % rounds else 0) for r in range(rounds)]
    keys = list(closures)
    times = {key: [] for key in keys}
    was_enabled = gc.isenabled()
    clock = time.perf_counter
    try:
        for r, share in enumerate(shares):
            gc.collect()
            if not gc_enabled:
                gc.disable()
            for key in (keys if r % 2 == 0 else reversed(keys)):
                fn = closures[key]
                fn()
                out = times[key]
                for _ in range(share):
                    start = clock()
                    fn()
                    out.append(clock() - start)
            if was_enabled:
                gc.enable()
    finally:
        if was_enabled:
            gc.enable()
    return times


def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _have_torch():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def _chainrule_source():
    import chainrule
    path = os.path.dirname(os.path.dirname(os.path.abspath(chainrule.__file__)))
    try:
        commit = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--", "chainrule"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    return {"path": os.path.dirname(os.path.abspath(chainrule.__file__)),
            "commit": (commit + ("+dirty" if dirty else "")) or "unknown"}


def op_table(ops=None, threads=2, n=500, repeats=100, gc_enabled=False, torch=True):
    """Measure the per-op table; returns a JSON-able dict (see ``print_op_table``)."""
    set_threads(threads)
    ops = resolve_ops(["all"] if ops is None else ops)
    libs = ["chainrule"] + (["torch"] if torch and _have_torch() else [])
    import numpy as np
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv), "machine": machine_line(),
            "numpy": np.__version__, "chain_links": n, "repeats": repeats,
            "rounds": max(1, repeats // 6), "gc": "enabled" if gc_enabled else "disabled",
            "threads": threads, "libraries": libs, "chainrule": _chainrule_source(),
            "flag_at": FLAG_AT}
    if "torch" in libs:
        import torch as torch_module
        torch_module.set_num_threads(threads)
        meta["torch"] = torch_module.__version__
        meta["torch_threads"] = torch_module.get_num_threads()
        meta["torch_interop_threads"] = torch_module.get_num_interop_threads()
    closures = {}
    for name in _timing_order(ops):     # a helper's closures next to its dependants'
        for lib in libs:
            for variant, fn in op_closures(lib, name, n).items():
                closures[(name, lib, variant)] = fn
    meta["blas"] = blas_info()      # after the imports, so that every pool is listed
    load_before = _load()
    start = time.perf_counter()
    times = time_interleaved(closures, repeats, gc_enabled)
    meta["seconds"] = round(time.perf_counter() - start, 1)
    meta["load_average_1min"] = [load_before, _load()]
    result = {"meta": meta, "ops": {}}
    for name in ops:
        spec = OP_SPECS[name]
        entry = {"label": spec.label, "class": spec.klass, "link": spec.link,
                 "helper": spec.helper, "direct": spec.direct}
        for lib in libs:
            raw = {key[2]: _stats(times[key]) for key in closures if key[:2] == (name, lib)}
            us = {v: s["median"] / n * 1e6 for v, s in raw.items()}
            entry[lib] = {"us": {"no_grad": us["no_grad"], "recorded": us["recorded"],
                                 "backward": us["fwd+bwd"] - us["recorded"]},
                          "raw_seconds_per_call": raw}
        result["ops"][name] = entry
    for name in ops:        # rows with a helper: forward direct, backward pair - helper's
        entry = result["ops"][name]
        if not entry["helper"]:
            continue
        for lib in libs:
            e = entry[lib]
            us = {v: s["median"] / n * 1e6 for v, s in e["raw_seconds_per_call"].items()}
            e["pair_us"] = dict(e["us"])
            e["us"] = {"no_grad": us["direct no_grad"], "recorded": us["direct recorded"],
                       "backward": (e["pair_us"]["backward"]
                                    - result["ops"][entry["helper"]][lib]["us"]["backward"])}
    _class_ratios(result, libs)
    return result


def _timing_order(ops):
    order = []
    for name in ops:
        if name not in order:
            order.append(name)
            order += [d for d in ops if OP_SPECS[d].helper == name and d not in order]
    return order


def _class_ratios(result, libs):
    for lib in libs:
        for klass in CLASSES:
            members = [e for e in result["ops"].values() if e["class"] == klass and lib in e]
            for col in COLUMNS:
                fastest = min((e[lib]["us"][col] for e in members), default=None)
                for e in members:
                    e[lib].setdefault("x_fastest", {})[col] = (
                        e[lib]["us"][col] / fastest if fastest and fastest > 0 else None)
        for e in result["ops"].values():
            if lib == "chainrule":
                e["flags"] = [col for col in COLUMNS
                              if (e[lib]["x_fastest"][col] or 0) > result["meta"]["flag_at"]]
    for e in result["ops"].values():
        if "torch" in e:
            e["cr_over_torch"] = {col: (e["chainrule"]["us"][col] / e["torch"]["us"][col]
                                        if e["torch"]["us"][col] > 0 else None)
                                  for col in COLUMNS}


def _fmt(value, digits=2, suffix=""):
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def print_op_table(result):
    meta = result["meta"]
    have_torch = "torch" in meta["libraries"]
    cr_src = meta["chainrule"]
    print(f"per-op table: µs per call; each figure the median of {meta['repeats']} timed calls "
          f"of a chain of {meta['chain_links']} links (float32 leaves of shape (1, 1) requiring "
          f"grad), all ops and libraries interleaved in {meta['rounds']} rounds in one process; "
          f"cyclic GC {meta['gc']} while timing; backward = median(fwd+bwd) - median(recorded); "
          f"(×N) = ratio to the fastest op of the same class in the same column")
    threads = f"threads: {meta['threads']} (OMP/OPENBLAS/MKL_NUM_THREADS"
    if have_torch:
        threads += (f"; torch.get_num_threads() {meta['torch_threads']}, interop "
                    f"{meta['torch_interop_threads']}")
    print(f"{threads}); BLAS: {meta['blas']}; {meta['machine']}; numpy {meta['numpy']}"
          + (f", torch {meta['torch']}" if have_torch else "")
          + f"; chainrule {cr_src['commit']} ({cr_src['path']}); {meta['seconds']} s of timing, "
          f"1-min load average {meta['load_average_1min'][0]} before, "
          f"{meta['load_average_1min'][1]} after (other processes on the cores)")
    head = ["op", "class", "no_grad µs", "recorded µs", "backward µs"]
    if have_torch:
        head += ["torch no_grad", "torch recorded", "torch backward",
                 "cr/torch no_grad", "cr/torch recorded", "cr/torch backward"]
    head.append(f"> {meta['flag_at']}x fastest of class")
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for name, e in result["ops"].items():
        label = e["label"] + (f" †" if e["helper"] else "")
        cells = [f"`{label}`", e["class"]]
        for lib in (["chainrule", "torch"] if have_torch else ["chainrule"]):
            for col in COLUMNS:
                cells.append(f"{_fmt(e[lib]['us'][col])} "
                             f"({_fmt(e[lib]['x_fastest'][col], suffix='×')})")
        if have_torch:
            cells += [_fmt(e["cr_over_torch"][col]) for col in COLUMNS]
        cells.append(", ".join(f"**{col} {e['chainrule']['x_fastest'][col]:.2f}x**"
                               for col in e["flags"]))
        print("| " + " | ".join(cells) + " |")
    derived = [n for n, e in result["ops"].items() if e["helper"]]
    if derived:
        rows = result["ops"]
        print("† forward: the op alone, n independent calls on the leaf ("
              + ", ".join(f"`{rows[d]['direct']}`" for d in derived)
              + "); backward: the chain of pairs ("
              + ", ".join(f"`{rows[d]['link']}`" for d in derived)
              + ") minus the helper row's backward ("
              + ", ".join(f"{rows[rows[d]['helper']]['label']}" for d in derived) + ")")
    single = [k for k in CLASSES
              if sum(e["class"] == k for e in result["ops"].values()) == 1]
    flagged = [(n, e["flags"]) for n, e in result["ops"].items() if e["flags"]]
    if flagged:
        print(f"above {meta['flag_at']}x the fastest op of their class: "
              + "; ".join(f"{n} ({', '.join(cols)})" for n, cols in flagged))
    else:
        print(f"every op within {meta['flag_at']}x of the fastest op of its class")
    if single:
        print(f"(one op only, so 1.00x by construction: {', '.join(single)})")
    # Noise: the widest interquartile range among the timed closures, relative to the median.
    widest = max(((s["p75"] - s["p25"]) / s["median"], f"{n} {lib} {v}")
                 for n, e in result["ops"].items() for lib in meta["libraries"]
                 for v, s in e[lib]["raw_seconds_per_call"].items())
    print(f"noise: widest interquartile range of a timed closure {widest[0] * 100:.0f}% of its "
          f"median ({widest[1]})")


def compare(path_a, path_b):
    """Print B/A for every op and column both JSON files have (chainrule, then PyTorch)."""
    with open(path_a) as f:
        a = json.load(f)
    with open(path_b) as f:
        b = json.load(f)
    for key in ("chain_links", "threads", "gc", "repeats"):
        if a["meta"].get(key) != b["meta"].get(key):
            print(f"note: {key} differs: A {a['meta'].get(key)}, B {b['meta'].get(key)}")
    libs = [lib for lib in ("chainrule", "torch")
            if lib in a["meta"]["libraries"] and lib in b["meta"]["libraries"]]
    print(f"B/A per op (lower: B faster). A: {path_a} ({a['meta']['date']}, chainrule "
          f"{a['meta']['chainrule']['commit']}); B: {path_b} ({b['meta']['date']}, chainrule "
          f"{b['meta']['chainrule']['commit']})")
    head = ["op"] + [f"{'cr' if lib == 'chainrule' else lib} {col}" for lib in libs
                     for col in COLUMNS] + ["cr µs B (no_grad / recorded / backward)"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    logs = {(lib, col): [] for lib in libs for col in COLUMNS}
    for name, eb in b["ops"].items():
        ea = a["ops"].get(name)
        if ea is None:
            continue
        cells = [f"`{eb['label']}`" + (" †" if eb.get("helper") else "")]
        for lib in libs:
            for col in COLUMNS:
                va, vb = ea[lib]["us"][col], eb[lib]["us"][col]
                ratio = vb / va if va > 0 and vb > 0 else None
                if ratio:
                    logs[(lib, col)].append(math.log(ratio))
                cells.append(_fmt(ratio))
        cells.append(" / ".join(_fmt(eb["chainrule"]["us"][col]) for col in COLUMNS))
        print("| " + " | ".join(cells) + " |")
    only_a = [n for n in a["ops"] if n not in b["ops"]]
    only_b = [n for n in b["ops"] if n not in a["ops"]]
    missing = [lib for lib in ("chainrule", "torch") if lib not in libs
               and (lib in a["meta"]["libraries"] or lib in b["meta"]["libraries"])]
    geo = ["geometric mean"] + [_fmt(math.exp(statistics.fmean(v)) if v else None)
                                for v in logs.values()] + [""]
    print("| " + " | ".join(geo) + " |")
    if only_a or only_b:
        print(f"not compared: only in A: {', '.join(only_a) or '-'}; only in B: "
              f"{', '.join(only_b) or '-'}")
    if missing:
        print(f"not compared: {', '.join(missing)} (timed in one run only)")
    if "torch" in libs:
        print("PyTorch did not change between the runs: its B/A is the machine's own drift.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30, help="W4: timed calls per variant")
    parser.add_argument("--in-process", action="store_true",
                        help="time both libraries in this process, call by call (a cross-check)")
    parser.add_argument("--no-w4", action="store_true", help="skip W4 (the per-op table only)")
    parser.add_argument("--ops", nargs="+", default=["all"], metavar="OP",
                        help=f"the per-op table's ops: all (default), none, or names "
                             f"({', '.join(OP_SPECS)}) or symbols ({' '.join(OP_ALIASES)})")
    parser.add_argument("--op-chain", type=int, default=500, metavar="N",
                        help="per-op table: links per timed chain (default 500)")
    parser.add_argument("--op-repeats", type=int, default=100, metavar="R",
                        help="per-op table: timed calls per closure (default 100)")
    parser.add_argument("--gc", action="store_true",
                        help="per-op table: keep the cyclic GC enabled while timing")
    parser.add_argument("--no-torch", action="store_true",
                        help="per-op table: time chainrule alone (with --no-w4, PyTorch is not even imported)")
    parser.add_argument("--json", metavar="PATH", help="write the per-op table as JSON")
    parser.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"),
                        help="print B/A per op and column of two --json files, then exit")
    args = parser.parse_args(argv)
    if args.compare:
        compare(*args.compare)
        return
    try:
        ops = resolve_ops(args.ops)
    except ValueError as error:
        parser.error(str(error))
    if args.json and not ops:
        parser.error("--json writes the per-op table: give --ops")
    set_threads(args.threads)
    # Measure the chainrule of this checkout, not whichever one is installed (an editable
    # install may point at another worktree); spawned W4 workers inherit sys.path.
    if os.path.isdir(os.path.join(ROOT, "chainrule")):
        sys.path.insert(0, ROOT)
    if not args.no_w4:
        run(args.threads, args.repeats, args.in_process)
    if ops:
        if not args.no_w4:
            print()
        result = op_table(ops, args.threads, args.op_chain, args.op_repeats, args.gc,
                          torch=not args.no_torch)
        print_op_table(result)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
            print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
