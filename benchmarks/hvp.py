"""Cost of second order and forward mode on the MLP loss 784-512-512-10 (batch 128, float32).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/hvp.py [--threads 2]

Reports, as medians in one run: time(hvp) / time(gradient) for chainrule's forward-over-reverse
and reverse-over-reverse Hessian-vector products, and time(jvp) / time(forward); with PyTorch's
torch.func figures (jvp(grad), vjp(grad), jvp) in the same run when torch is installed.
Targets: hvp/grad <= 3, jvp/forward <= 2.
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

    def loss(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h = torch.relu(tx @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        return torch.nn.functional.cross_entropy(h @ w3 + b3, ty)

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

    def jvp_fn():
        jvp(loss, (tp,), (tv,))

    return {"torch forward": forward, "torch grad": gradient,
            "torch hvp fwd-over-rev": hvp_fwd_over_rev, "torch hvp rev-over-rev": hvp_rev_over_rev,
            "torch jvp": jvp_fn}


def chainrule_group():
    return chainrule_fns(*make_data())


def torch_group(threads):
    return torch_fns(*make_data(), threads)


def run(threads=2, repeats=20):
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
    print("| ratio | chainrule | torch.func | target |\n|---|---|---|---|")
    for label, num, den, target in (
            ("hvp (fwd-over-rev) / grad", "hvp fwd-over-rev", "grad", "≤ 3"),
            ("hvp (rev-over-rev) / grad", "hvp rev-over-rev", "grad", "≤ 3"),
            ("jvp / forward", "jvp", "forward", "≤ 2")):
        c = med[f"cr {num}"] / med[f"cr {den}"]
        t = (f"{med[f'torch {num}'] / med[f'torch {den}']:.2f}" if have_torch else "n/a")
        print(f"| {label} | {c:.2f} | {t} | {target} |")
    return med


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    run(args.threads, args.repeats)
