"""One training step (forward, loss, backward, SGD update) of W1 MLP, W2 CNN, W3 LSTM (and W6):
chainrule against PyTorch CPU and against a hand-written NumPy step in the same run, threads
fixed for all, medians; peak RSS of each in a separate process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_step.py [--threads 2]

Each library's step runs in its own worker process (``_common.measure_isolated``), the
libraries interleaved round by round. The NumPy reference is ``workloads.numpy_step`` for W1-W3
(checked against chainrule by ``run.py --check``) and the bare matmul floor for W6. Peak RSS:
a fresh process imports numpy and the library, records its RSS ("after imports"), builds the
workload, runs 5 steps and records its peak RSS (VmHWM; see ``peak_rss_mb``).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_info, machine_line, measure_isolated, set_threads  # noqa: E402

# What each library's process imports before the "after imports" RSS reading.
_IMPORTS = {
    "chainrule": "import chainrule, chainrule.nn, chainrule.nn.functional, chainrule.optim",
    "torch": "import torch, torch.nn, torch.optim",
    "numpy": "pass",
}


# Peak RSS is read from /proc/self/status (VmHWM: the high-water mark of this process's own
# address space), not from getrusage's ru_maxrss: Linux carries ru_maxrss over fork and exec,
# so a child started by a parent that has imported PyTorch reports at least the parent's peak
# (that made every chainrule workload read the same 219 MiB). Elsewhere ru_maxrss is the fallback.
_RSS_READER = """
import resource, sys
def rss_mib(field):
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    unit = 1024 * 1024 if sys.platform == 'darwin' else 1024   # ru_maxrss: bytes / KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit
"""


def peak_rss_mb(lib, workload, threads, steps=5):
    """Memory of a fresh process doing ``steps`` steps of ``workload`` with ``lib``.

    ``lib``: "chainrule", "torch" or "numpy" (the hand-written step; W1-W3 only). Returns
    {"peak": peak RSS in MiB at the end, "import": RSS in MiB right after importing numpy and
    the library}; NaNs when the process fails.
    """
    step = {"chainrule": f"chainrule_step({workload!r})",
            "torch": f"torch_step({workload!r}, {threads})",
            "numpy": f"numpy_step({workload!r})"}[lib]
    code = "\n".join([
        "import os, sys",
        f"sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})",
        f"from _common import set_threads; set_threads({threads})",
        _RSS_READER,
        "import numpy",
        _IMPORTS[lib],
        "after_imports = rss_mib('VmRSS')",
        "import workloads as w",
        f"step = w.{step}",
        f"for _ in range({steps}): step()",
        "print(after_imports, rss_mib('VmHWM'))",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        print(f"peak_rss_mb({lib!r}, {workload!r}) failed:\n{out.stderr}", file=sys.stderr)
        return {"peak": float("nan"), "import": float("nan")}
    base, peak = map(float, out.stdout.strip().splitlines()[-1].split())
    return {"peak": peak, "import": base}


def run(names=("W1", "W2", "W3"), threads=2, repeats=20, rss=True):
    """Time one step of each workload in ``names`` for chainrule, PyTorch (if installed) and NumPy.

    Returns (results, have_torch): results[name] has "chainrule", "torch", "numpy" (W1-W3) or
    "numpy floor" (W6), each {"median_ms", "min_ms", "max_ms"}, and with ``rss`` "rss_mb"
    {lib: {"peak", "import"}} (MiB).
    """
    set_threads(threads)
    import workloads as w
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    results = {}
    for name in names:
        groups = {"chainrule": ("workloads", "group", ("chainrule", name, threads))}
        if have_torch:
            groups["torch"] = ("workloads", "group", ("torch", name, threads))
        groups["numpy"] = ("workloads", "group", ("numpy", name, threads))
        reps = repeats if name != "W6" else max(5, repeats // 4)
        raw = measure_isolated(groups, threads, repeats=reps, warmup=2)
        res = {k.rsplit(" ", 1)[0]: v for k, v in raw.items()}
        entry = {k: {"median_ms": v[0] * 1e3, "min_ms": v[1] * 1e3, "max_ms": v[2] * 1e3}
                 for k, v in res.items()}
        if rss:
            libs = ["chainrule"] + (["torch"] if have_torch else [])
            if name in w.NUMPY_STEP_WORKLOADS:
                libs.append("numpy")
            entry["rss_mb"] = {lib: peak_rss_mb(lib, name, threads) for lib in libs}
        results[name] = entry
    return results, have_torch


def _ms(e):
    return f"{e['median_ms']:.2f} ({e['min_ms']:.2f}–{e['max_ms']:.2f})" if e else "n/a"


def _ratio(a, b):
    return f"{a['median_ms'] / b['median_ms']:.2f}" if a and b else "n/a"


def table(results, have_torch, threads):
    """A markdown table of ``run``'s results (times: median (min–max) ms; RSS in MiB)."""
    import workloads as w
    lines = [f"threads: {threads}; BLAS: {blas_info()}; machine: {machine_line()}", "",
             "numpy = the hand-written NumPy step (`workloads.numpy_step`) for W1–W3, the bare "
             "NumPy matmul floor for W6. Peak RSS: absolute, of a fresh process running 5 steps; "
             "growth: peak minus the RSS right after importing numpy and the library.", "",
             "| workload | chainrule ms | torch ms | numpy ms | cr/torch | cr/numpy "
             "| peak RSS MiB cr / torch / numpy | growth over imports MiB cr / torch / numpy |",
             "|---|---|---|---|---|---|---|---|"]

    def mib(rss, value):
        if not rss:
            return "n/a"
        return " / ".join(f"{value(rss[lib]):.0f}" if lib in rss else "–"
                          for lib in ("chainrule", "torch", "numpy"))

    for name, e in results.items():
        c, t = e["chainrule"], e.get("torch")
        n = e.get("numpy") or e.get("numpy floor")
        floor = " (floor)" if "numpy floor" in e else ""
        rss = e.get("rss_mb", {})
        rss_peak = mib(rss, lambda r: r["peak"])
        rss_growth = mib(rss, lambda r: r["peak"] - r["import"])
        lines.append(f"| {name} {w.WORKLOADS[name]} | {_ms(c)} | {_ms(t)} | {_ms(n)}{floor} | "
                     f"{_ratio(c, t)} | {_ratio(c, n)}{floor} | {rss_peak} | {rss_growth} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--workloads", nargs="*", default=["W1", "W2", "W3"])
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results, have_torch = run(args.workloads, args.threads, args.repeats, rss=not args.no_rss)
    print(json.dumps(results, indent=1) if args.json else table(results, have_torch, args.threads))
