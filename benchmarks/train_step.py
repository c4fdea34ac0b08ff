"""One training step (forward, loss, backward, SGD update) of W1 MLP, W2 CNN, W3 LSTM:
chainrule against PyTorch CPU in the same run, threads fixed for both, medians; peak RSS of
each in a separate process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_step.py [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_info, machine_line, measure_isolated, set_threads  # noqa: E402


def peak_rss_mb(lib, workload, threads, steps=5):
    """Peak resident memory (MiB) of a fresh process doing ``steps`` steps of one workload."""
    code = (
        "import os, sys, resource; sys.path.insert(0, %r); "
        "from _common import set_threads; set_threads(%d); import workloads as w; "
        "step = w.%s; [step() for _ in range(%d)]; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    ) % (os.path.dirname(os.path.abspath(__file__)), threads,
         f"chainrule_step({workload!r})" if lib == "chainrule" else f"torch_step({workload!r}, {threads})",
         steps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return float("nan")
    return float(out.stdout.strip().splitlines()[-1])


def run(names=("W1", "W2", "W3"), threads=2, repeats=20, rss=True):
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
        if name == "W6":
            groups["numpy floor"] = ("workloads", "group", ("numpy", name, threads))
        reps = repeats if name != "W6" else max(5, repeats // 4)
        raw = measure_isolated(groups, threads, repeats=reps, warmup=2)
        res = {k.rsplit(" ", 1)[0]: v for k, v in raw.items()}
        entry = {k: {"median_ms": v[0] * 1e3, "min_ms": v[1] * 1e3, "max_ms": v[2] * 1e3}
                 for k, v in res.items()}
        if rss:
            entry["rss_mb"] = {"chainrule": peak_rss_mb("chainrule", name, threads)}
            if have_torch:
                entry["rss_mb"]["torch"] = peak_rss_mb("torch", name, threads)
        results[name] = entry
    return results, have_torch


def table(results, have_torch, threads):
    import workloads as w
    lines = [f"threads: {threads}; BLAS: {blas_info()}; machine: {machine_line()}", "",
             "| workload | chainrule ms | torch ms | ratio (lower is better) | peak RSS MiB cr / torch |",
             "|---|---|---|---|---|"]
    for name, e in results.items():
        c = e["chainrule"]
        t = e.get("torch")
        ref = e.get("numpy floor") or t
        ratio = c["median_ms"] / ref["median_ms"] if ref else float("nan")
        rss = e.get("rss_mb", {})
        lines.append(
            f"| {name} {w.WORKLOADS[name]} | {c['median_ms']:.2f} ({c['min_ms']:.2f}–{c['max_ms']:.2f}) | "
            + (f"{t['median_ms']:.2f} ({t['min_ms']:.2f}–{t['max_ms']:.2f})" if t else "n/a")
            + f" | {ratio:.2f}{' vs NumPy floor' if 'numpy floor' in e else ''} | "
            + f"{rss.get('chainrule', float('nan')):.0f} / {rss.get('torch', float('nan')):.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--workloads", nargs="*", default=["W1", "W2", "W3"])
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results, have_torch = run(args.workloads, args.threads, args.repeats, rss=not args.no_rss)
    print(json.dumps(results, indent=1) if args.json else table(results, have_torch, args.threads))
