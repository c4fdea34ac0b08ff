"""The benchmark runner: chainrule against PyTorch CPU (when installed) and hand-written NumPy,
same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--workloads W1 ...] [--threads 2]
    python benchmarks/run.py --check      # verify the hand-written NumPy steps against chainrule

Workloads and the speed issue's (#7) targets (ratios chainrule / reference; lower is better):
  W1 MLP 784-512-512-10 step              <= 0.60 x PyTorch
  W2 LeNet-like CNN step                  <= 1.00 x PyTorch
  W3 LSTM step                            <= 1.00 x PyTorch's fused nn.LSTM
  W4 per-op overhead                      <= 0.50 x PyTorch eager, forward and backward
  W5 Hessian-vector product of W1's loss  <= 0.50 x PyTorch's fastest HVP (min over torch.func
     fwd-over-rev and rev-over-rev, double backward, autograd.functional.hvp/vhp), and
     chainrule HVP / chainrule gradient <= 2.5; chainrule's fastest HVP variant is used for both
  W6 MLP 4096-4096-4096-10 step           <= 1.15 x the plain NumPy matmuls it must do
  peak RSS of W1-W3                       <= 1.5 x a hand-written NumPy step's (absolute peak RSS)
The training-step table also times the hand-written NumPy step (``workloads.numpy_step``) of
W1-W3 and reports cr/numpy, for reference only.

Prints a table and writes benchmarks/results.md (or --output). Thread counts are fixed for all
libraries; each library runs in its own worker process; times are medians (with min–max) of
warm repetitions, the libraries interleaved round by round with a settle pause between batches;
peak RSS is measured in a separate fresh process per library and workload.
"""
import argparse
import datetime
import io
import os
import sys
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TARGETS = {"W1": 0.60, "W2": 1.00, "W3": 1.00, "W4 forward": 0.50, "W4 backward": 0.50,
           "W5 hvp vs torch fastest": 0.50, "W5 hvp/grad": 2.5, "W6": 1.15, "peak RSS": 1.5}


def _captured(fn, *args):
    buf = io.StringIO()
    with redirect_stdout(buf):
        value = fn(*args)
    return value, buf.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="*", default=["W1", "W2", "W3", "W4", "W5", "W6"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS processes")
    parser.add_argument("--check", action="store_true",
                        help="only check the hand-written NumPy steps against chainrule, then exit")
    parser.add_argument("--output", default=os.path.join(HERE, "results.md"))
    args = parser.parse_args()

    from _common import blas_info, machine_line, set_threads
    set_threads(args.threads)
    if args.check:
        import workloads
        names = [w for w in args.workloads if w in workloads.NUMPY_STEP_WORKLOADS]
        if not names:
            parser.error(f"--check: none of {args.workloads} has a hand-written NumPy step "
                         f"(those are {', '.join(workloads.NUMPY_STEP_WORKLOADS)})")
        workloads.check_numpy_reference(names)
        return
    import train_step
    rows = []
    rss_rows = []
    step_names = [w for w in args.workloads if w in ("W1", "W2", "W3", "W6")]
    if step_names:
        results, have_torch = train_step.run(step_names, args.threads, args.repeats,
                                             rss=not args.no_rss)
        step_table = train_step.table(results, have_torch, args.threads)
        for name, e in results.items():
            ref, label = ((e.get("numpy floor"), "NumPy matmul floor") if name == "W6"
                          else (e.get("torch"), "PyTorch"))
            if ref:
                rows.append((name, e["chainrule"]["median_ms"] / ref["median_ms"], TARGETS[name],
                             label))
            rss = e.get("rss_mb", {})
            if "chainrule" in rss and "numpy" in rss:
                c, n = rss["chainrule"], rss["numpy"]
                rss_rows.append((f"{name} peak RSS vs NumPy", c["peak"] / n["peak"],
                                 TARGETS["peak RSS"],
                                 f"hand-written NumPy step: {c['peak']:.0f} / {n['peak']:.0f} MiB "
                                 f"(growth over imports {c['peak'] - c['import']:.0f} / "
                                 f"{n['peak'] - n['import']:.0f} MiB)"))
    else:
        step_table = ""
    overhead_text = hvp_text = ""
    if "W4" in args.workloads:
        import overhead
        us, overhead_text = _captured(overhead.run, args.threads, args.repeats)
        if "torch fwd (recorded)" in us:
            fwd = us["chainrule fwd (recorded)"] / us["torch fwd (recorded)"]
            bwd = ((us["chainrule fwd+bwd"] - us["chainrule fwd (recorded)"])
                   / (us["torch fwd+bwd"] - us["torch fwd (recorded)"]))
            rows.append(("W4 forward", fwd, TARGETS["W4 forward"], "PyTorch eager"))
            rows.append(("W4 backward", bwd, TARGETS["W4 backward"], "PyTorch eager"))
    if "W5" in args.workloads:
        import hvp
        med, hvp_text = _captured(hvp.run, args.threads, max(5, args.repeats // 2))
        w5 = hvp.w5_ratios(med)
        if w5["vs_torch"] is not None:
            rows.append(("W5 hvp vs torch fastest", w5["vs_torch"],
                         TARGETS["W5 hvp vs torch fastest"],
                         f"PyTorch's fastest HVP ({w5['torch_hvp']}); chainrule's fastest "
                         f"({w5['cr_hvp']})"))
        rows.append(("W5 hvp/grad", w5["hvp_over_grad"], TARGETS["W5 hvp/grad"],
                     f"chainrule's own gradient; chainrule's fastest HVP ({w5['cr_hvp']})"))
    summary = ["| workload | ratio | target | met | reference |", "|---|---|---|---|---|"]
    for name, ratio, target, ref in rows + rss_rows:
        met = "yes" if ratio <= target else "no"
        summary.append(f"| {name} | {ratio:.2f} | ≤ {target:.2f} | {met} | {ref} |")
    command = ("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py "
               + " ".join(sys.argv[1:]))
    text = "\n".join([
        "# chainrule benchmark results", "",
        f"Date: {datetime.date.today().isoformat()}. Command: `{command.strip()}`", "",
        f"Machine: {machine_line()}; BLAS: {blas_info()}; "
        f"threads: {args.threads} for all libraries.",
        "", "## Summary (chainrule / reference; lower is better)", "",
        "Time rows: ratio of medians. Peak-RSS rows: ratio of absolute peak RSS (chainrule / "
        "hand-written NumPy step, each in a fresh process).", "",
        *summary, "",
        "## Training steps", "", step_table, "",
        "## Per-op overhead (W4)", "", overhead_text, "",
        "## Hessian-vector product (W5)", "", hvp_text, ""])
    with open(args.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
