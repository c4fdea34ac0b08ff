"""Per-op overhead: a chain of 1,000 elementwise ops on a tiny tensor, forward and forward+backward.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/overhead.py [--threads 2] [--in-process]

Prints microseconds per op for chainrule and, when installed, PyTorch eager, measured in
the same run (interleaved, medians).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import measure_isolated, set_threads  # noqa: E402

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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--in-process", action="store_true",
                        help="time both libraries in this process, call by call (a cross-check)")
    args = parser.parse_args()
    run(args.threads, args.repeats, args.in_process)
