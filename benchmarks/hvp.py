"""Cost of second order and forward mode on the MLP loss 784-512-512-10 (batch 128, float32).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/hvp.py [--threads 2]

Times, as medians in one run (each library in its own worker process, interleaved):
chainrule's forward, gradient, jvp and two Hessian-vector products (forward-over-reverse
``cr.jvp(cr.grad(f))``, which is what ``cr.hvp`` does, and reverse-over-reverse
``cr.grad(<cr.grad(f), v>)``); PyTorch's forward, ``torch.func`` gradient and jvp, and every
HVP it offers: ``torch.func`` forward-over-reverse ``jvp(grad)`` and reverse-over-reverse
``vjp(grad)``, eager double backward (``autograd.grad`` with ``create_graph=True``), and
``torch.autograd.functional.hvp`` and ``vhp`` (equal here: the Hessian is symmetric).

Two tables of ratios, for two different issues:
- the speed issue (#7), W5: chainrule's fastest HVP / PyTorch's fastest HVP <= 0.50, and
  chainrule's fastest HVP / chainrule's gradient <= 2.5 (``w5_ratios``);
- the forward-mode issue: hvp/grad <= 3 for each chainrule HVP, jvp/forward <= 2.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import measure_isolated, set_threads  # noqa: E402

SIZES = (784, 512, 512, 10)
BATCH = 128


def make_data(seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    vs = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    return params, x, y, vs


def chainrule_fns(params, x, y, vs):
    import numpy as np
    import chainrule as cr

    rows = np.arange(BATCH)

    def loss(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h = cr.relu(x @ w1 + b1)
        h = cr.relu(h @ w2 + b2)
        logp = cr.log_softmax(h @ w3 + b3, axis=1)
        return -cr.mean(logp[rows, y])

    grad_fn = cr.grad(loss)
    pt = [cr.tensor(p) for p in params]

    def forward():
        with cr.no_grad():
            loss(pt)

    def gradient():
        grad_fn(params)

    def hvp_fwd_over_rev():
        cr.jvp(grad_fn, (params,), (vs,))

    def hvp_rev_over_rev():
        def inner(ps):
            gs = cr.grad(loss)(ps)
            return sum(cr.sum(g * v) for g, v in zip(gs, vs))
        cr.grad(inner)(params)

    def jvp():
        cr.jvp(loss, (params,), (vs,))

    return {"cr forward": forward, "cr grad": gradient, "cr hvp fwd-over-rev": hvp_fwd_over_rev,
            "cr hvp rev-over-rev": hvp_rev_over_rev, "cr jvp": jvp}


def torch_fns(params, x, y, vs, threads):
    import torch
    from torch.func import grad, jvp, vjp
    torch.set_num_threads(threads)
    tp = tuple(torch.tensor(p) for p in params)
    tx, ty = torch.tensor(x), torch.tensor(y)
    tv = tuple(torch.tensor(v) for v in vs)
    tp_leaf = tuple(torch.tensor(p, requires_grad=True) for p in params)

    def loss(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h = torch.relu(tx @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        return torch.nn.functional.cross_entropy(h @ w3 + b3, ty)

    def loss_args(*ps):
        return loss(ps)

    def forward():
        with torch.no_grad():
            loss(tp)

    def gradient():
        grad(loss)(tp)

    def hvp_fwd_over_rev():
        jvp(grad(loss), (tp,), (tv,))

    def hvp_rev_over_rev():
        _, fn = vjp(grad(loss), tp)
        fn(tv)

    def hvp_double_backward():
        gs = torch.autograd.grad(loss(tp_leaf), tp_leaf, create_graph=True)
        torch.autograd.grad(sum((g * v).sum() for g, v in zip(gs, tv)), tp_leaf)

    def hvp_functional():
        torch.autograd.functional.hvp(loss_args, tp, tv)

    def vhp_functional():
        torch.autograd.functional.vhp(loss_args, tp, tv)

    def jvp_fn():
        jvp(loss, (tp,), (tv,))

    return {"torch forward": forward, "torch grad": gradient,
            "torch hvp fwd-over-rev": hvp_fwd_over_rev, "torch hvp rev-over-rev": hvp_rev_over_rev,
            "torch hvp double-backward": hvp_double_backward,
            "torch hvp functional.hvp": hvp_functional, "torch hvp functional.vhp": vhp_functional,
            "torch jvp": jvp_fn}


# The HVP variants compared for the speed issue's W5 (names as in the timing table).
CR_HVPS = {"cr hvp fwd-over-rev": "fwd-over-rev", "cr hvp rev-over-rev": "rev-over-rev"}
TORCH_HVPS = {"torch hvp fwd-over-rev": "torch.func jvp(grad)",
              "torch hvp rev-over-rev": "torch.func vjp(grad)",
              "torch hvp double-backward": "double backward",
              "torch hvp functional.hvp": "autograd.functional.hvp",
              "torch hvp functional.vhp": "autograd.functional.vhp"}


def w5_ratios(med):
    """The speed issue's W5 figures from ``run``'s medians (seconds by name).

    Returns {"cr_hvp": label of chainrule's fastest HVP, "hvp_over_grad": its time / chainrule's
    gradient time, "torch_hvp": label of PyTorch's fastest HVP or None, "vs_torch": chainrule's
    fastest / PyTorch's fastest or None}.
    """
    cr_best = min(CR_HVPS, key=med.__getitem__)
    out = {"cr_hvp": CR_HVPS[cr_best], "hvp_over_grad": med[cr_best] / med["cr grad"],
           "torch_hvp": None, "vs_torch": None}
    measured = [k for k in TORCH_HVPS if k in med]
    if measured:
        torch_best = min(measured, key=med.__getitem__)
        out["torch_hvp"] = TORCH_HVPS[torch_best]
        out["vs_torch"] = med[cr_best] / med[torch_best]
    return out


def chainrule_group():
    return chainrule_fns(*make_data())


def torch_group(threads):
    return torch_fns(*make_data(), threads)


def run(threads=2, repeats=20):
    """Time every variant, print the timing table and both ratio tables; returns the medians
    in seconds by name ("cr grad", "torch hvp double-backward", ...)."""
    set_threads(threads)
    groups = {"chainrule": ("hvp", "chainrule_group", ())}
    try:
        import torch  # noqa: F401
        have_torch = True
        groups["torch"] = ("hvp", "torch_group", (threads,))
    except ImportError:
        have_torch = False
    res = measure_isolated(groups, threads, repeats=repeats)
    med = {k: v[0] for k, v in res.items()}
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, {threads} threads, "
          f"median of {repeats}")
    print("| quantity | ms (median) | min–max |\n|---|---|---|")
    for k, (m, lo, hi) in res.items():
        print(f"| {k} | {m * 1e3:.2f} | {lo * 1e3:.2f}–{hi * 1e3:.2f} |")
    print()
    w5 = w5_ratios(med)
    print("Speed issue (#7) W5 targets, chainrule's fastest HVP "
          f"({w5['cr_hvp']}) against PyTorch's fastest ({w5['torch_hvp'] or 'n/a'}):")
    print("| ratio (speed issue #7, W5) | value | #7 target |\n|---|---|---|")
    vs_torch = f"{w5['vs_torch']:.2f}" if w5["vs_torch"] is not None else "n/a"
    print(f"| cr fastest hvp / torch fastest hvp | {vs_torch} | ≤ 0.50 |")
    print(f"| cr fastest hvp / cr grad | {w5['hvp_over_grad']:.2f} | ≤ 2.5 |")
    print()
    print("Forward-mode issue targets (per HVP variant; not #7's W5):")
    print("| ratio (forward-mode issue) | chainrule | torch.func | forward-mode target |\n"
          "|---|---|---|---|")
    for label, num, den, target in (
            ("hvp (fwd-over-rev) / grad", "hvp fwd-over-rev", "grad", "≤ 3"),
            ("hvp (rev-over-rev) / grad", "hvp rev-over-rev", "grad", "≤ 3"),
            ("jvp / forward", "jvp", "forward", "≤ 2")):
        c = med[f"cr {num}"] / med[f"cr {den}"]
        t = (f"{med[f'torch {num}'] / med[f'torch {den}']:.2f}" if have_torch else "n/a")
        print(f"| {label} | {c:.2f} | {t} | {target} |")
    return med


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    run(args.threads, args.repeats)
