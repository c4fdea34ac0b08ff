"""The benchmark runner: chainrule against PyTorch CPU (when installed), same process, same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--workloads W1 ...] [--threads 2]

Workloads (ratios chainrule / reference; lower is better):
  W1 MLP 784-512-512-10 step (vs PyTorch)       W2 LeNet-like CNN step (vs PyTorch)
  W3 LSTM step (vs PyTorch's fused nn.LSTM)     W4 per-op overhead, forward and backward (vs PyTorch eager)
  W5 Hessian-vector product and gradient of W1's loss (vs torch.func)
  W6 MLP 4096-4096-4096-10 step (vs the plain NumPy matmuls it must do)
Prints a table and writes benchmarks/results.md. Thread counts are fixed for both libraries;
times are medians of interleaved, warm repetitions; peak RSS is measured in a separate process.
"""
import argparse
import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TARGETS = {"W1": 0.60, "W2": 1.00, "W3": 1.00, "W4 forward": 0.50, "W4 backward": 0.50,
           "W5 hvp/grad": 3.0, "W6": 1.15}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="*", default=["W1", "W2", "W3", "W4", "W5", "W6"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--output", default=os.path.join(HERE, "results.md"))
    args = parser.parse_args()

    from _common import blas_info, machine_line, set_threads
    set_threads(args.threads)
    import train_step
    rows = []
    step_names = [w for w in args.workloads if w in ("W1", "W2", "W3", "W6")]
    if step_names:
        results, have_torch = train_step.run(step_names, args.threads, args.repeats,
                                             rss=not args.no_rss)
        step_table = train_step.table(results, have_torch, args.threads)
        for name, e in results.items():
            ref = e.get("numpy floor") or e.get("torch")
            if ref:
                ratio = e["chainrule"]["median_ms"] / ref["median_ms"]
                rows.append((name, ratio, TARGETS[name],
                             "NumPy matmul floor" if "numpy floor" in e else "PyTorch"))
    else:
        step_table = ""
    overhead_text = hvp_text = ""
    if "W4" in args.workloads:
        import io
        from contextlib import redirect_stdout
        import overhead
        buf = io.StringIO()
        with redirect_stdout(buf):
            us = overhead.run(args.threads, args.repeats)
        overhead_text = buf.getvalue()
        if "torch fwd (recorded)" in us:
            fwd = us["chainrule fwd (recorded)"] / us["torch fwd (recorded)"]
            bwd = ((us["chainrule fwd+bwd"] - us["chainrule fwd (recorded)"])
                   / (us["torch fwd+bwd"] - us["torch fwd (recorded)"]))
            rows.append(("W4 forward", fwd, TARGETS["W4 forward"], "PyTorch eager"))
            rows.append(("W4 backward", bwd, TARGETS["W4 backward"], "PyTorch eager"))
    if "W5" in args.workloads:
        import io
        from contextlib import redirect_stdout
        import hvp
        buf = io.StringIO()
        with redirect_stdout(buf):
            med = hvp.run(args.threads, max(5, args.repeats // 2))
        hvp_text = buf.getvalue()
        rows.append(("W5 hvp/grad", med["cr hvp fwd-over-rev"] / med["cr grad"], TARGETS["W5 hvp/grad"],
                     "own gradient (torch.func: "
                     + (f"{med['torch hvp fwd-over-rev'] / med['torch grad']:.2f})" if "torch grad" in med
                        else "n/a)")))
    summary = ["| workload | ratio | target | met | reference |", "|---|---|---|---|---|"]
    for name, ratio, target, ref in rows:
        summary.append(f"| {name} | {ratio:.2f} | ≤ {target:.2f} | {'yes' if ratio <= target else 'no'} | {ref} |")
    command = ("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py "
               + " ".join(sys.argv[1:]))
    text = "\n".join([
        "# chainrule benchmark results", "",
        f"Date: {datetime.date.today().isoformat()}. Command: `{command.strip()}`", "",
        f"Machine: {machine_line()}; BLAS: {blas_info()}; threads: {args.threads} for both libraries.",
        "", "## Summary (chainrule / reference, medians; lower is better)", "", *summary, "",
        "## Training steps", "", step_table, "",
        "## Per-op overhead (W4)", "", overhead_text, "",
        "## Hessian-vector product (W5)", "", hvp_text, ""])
    with open(args.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
