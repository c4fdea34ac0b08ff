"""Convolution and pooling speed on LeNet's shapes, against PyTorch CPU.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/conv_algos.py [--threads 2]

Forward + backward times (medians over repetitions) of
* the two LeNet convolutions at batch 64 (1x28x28, conv 1->16 5x5 pad 2; 16x14x14, conv
  16->32 5x5), with chainrule's column layout chosen automatically and forced to each of
  its two layouts (the evidence for the choice in nn/functional/conv.py);
* 2x2 max pooling of the first convolution's output;
* one LeNet training step (the ``chainrule train --model cnn`` network on 28x28 images,
  cross-entropy, SGD with momentum) -- the number the library promises (<= 2x PyTorch).

``--mallopt`` first raises glibc's mmap and trim thresholds (``mallopt``), so that freed
large arrays stay mapped and are reused instead of being faulted in again (PyTorch keeps
its memory in a caching allocator); it shows what that allocator setting is worth.

Each (case, library) runs in its own process: OpenBLAS's and PyTorch's OpenMP worker
threads spin after each call, and on a small machine two spinning pools in one process
slow each other down unpredictably. The processes alternate over ``--rounds`` rounds; the
table shows the median of the per-round medians and the overall minimum.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_info, machine_line, measure, set_threads  # noqa: E402

BATCH = 64
CONVS = {"conv1": ("conv1 1->16 5x5 pad2 on 1x28x28", (BATCH, 1, 28, 28), 1, 16, 2, False),
         "conv2": ("conv2 16->32 5x5 on 16x14x14", (BATCH, 16, 14, 14), 16, 32, 0, True)}
LAYOUTS = {"auto": None, "batch-inner": True, "sample-major": False}


def conv_fn(lib, key, layout):
    import numpy as np
    _, shape, cin, cout, pad, input_grad = CONVS[key]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if lib == "torch":
        import torch
        layer = torch.nn.Conv2d(cin, cout, 5, padding=pad)
        xt = torch.tensor(x, requires_grad=input_grad)

        def step():
            layer.zero_grad()
            y = layer(xt)
            y.backward(torch.ones_like(y))
        return step
    import chainrule as cr
    import chainrule.nn as nn
    from chainrule.nn.functional import conv as conv_module
    if LAYOUTS[layout] is not None:
        forced = LAYOUTS[layout]
        conv_module._batch_inner = lambda *args: forced
    cr.manual_seed(0)
    layer = nn.Conv2d(cin, cout, 5, padding=pad)
    xc = cr.tensor(x, requires_grad=input_grad)

    def step():
        layer.zero_grad()
        y = layer(xc)
        y.backward(np.ones(y.shape, dtype=np.float32))
    return step


def pool_fn(lib):
    import numpy as np
    x = np.random.default_rng(0).standard_normal((BATCH, 16, 28, 28)).astype(np.float32)
    if lib == "torch":
        import torch
        xt = torch.tensor(x, requires_grad=True)

        def step():
            xt.grad = None
            y = torch.nn.functional.max_pool2d(xt, 2)
            y.backward(torch.ones_like(y))
        return step
    import chainrule as cr
    import chainrule.nn.functional as F
    xc = cr.tensor(x, requires_grad=True)

    def step():
        xc.grad = None
        y = F.max_pool2d(xc, 2)
        y.backward(np.ones(y.shape, dtype=np.float32))
    return step


def lenet_fn(lib):
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, BATCH)
    if lib == "torch":
        import torch as base
        nn, optim = base.nn, base.optim
        xs, ys = base.tensor(x), base.tensor(labels)
    else:
        import chainrule as base
        import chainrule.nn as nn
        import chainrule.optim as optim
        xs, ys = base.tensor(x), base.tensor(labels)
    base.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        optimizer.step()
    return step


CASES = ([(f"{CONVS[key][0]} [{layout}]", key, layout) for key in CONVS for layout in LAYOUTS]
         + [("max_pool2d 2x2 on 64x16x28x28", "pool", None),
            ("LeNet training step (batch 64)", "lenet", None)])


def worker(case, lib, repeats):
    if case in CONVS:
        fn = conv_fn(lib, case, LAYOUTS_ARG[0])
    elif case == "pool":
        fn = pool_fn(lib)
    else:
        fn = lenet_fn(lib)
    median, low, _ = measure({lib: fn}, repeats=repeats, warmup=5)[lib]
    print(json.dumps({"median": median, "min": low}))


LAYOUTS_ARG = [None]


def keep_freed_memory():
    """glibc: serve big arrays from the heap and never trim it (M_MMAP_THRESHOLD = -3,
    M_TRIM_THRESHOLD = -1), so memory freed by one step is reused by the next."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 1 << 28)
    libc.mallopt(-1, 1 << 30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mallopt", action="store_true",
                        help="raise glibc's mmap/trim thresholds in the chainrule processes")
    parser.add_argument("--worker", nargs=3, metavar=("CASE", "LAYOUT", "LIB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    set_threads(args.threads)
    if args.worker:
        case, layout, lib = args.worker
        LAYOUTS_ARG[0] = None if layout == "-" else layout
        if args.mallopt and lib == "chainrule":
            keep_freed_memory()
        if lib == "torch":
            import torch
            torch.set_num_threads(args.threads)
        worker(case, lib, args.repeats)
        return
    try:
        import torch  # noqa: F401
        libs = ("chainrule", "torch")
    except ImportError:
        libs = ("chainrule",)
    import numpy  # noqa: F401  (for blas_info)
    print(machine_line())
    print(f"BLAS: {blas_info()}; threads {args.threads}; batch {BATCH}; forward + backward; "
          f"median of {args.rounds} per-process medians of {args.repeats} repetitions (min)"
          + ("; chainrule with mallopt thresholds raised" if args.mallopt else ""))
    for title, key, layout in CASES:
        case_libs = libs if layout in (None, "auto") else ("chainrule",)
        runs = {lib: [] for lib in case_libs}
        for _ in range(args.rounds):
            for lib in case_libs:
                command = [sys.executable, __file__, "--threads", str(args.threads),
                           "--repeats", str(args.repeats),
                           "--worker", key, layout or "-", lib] + \
                    (["--mallopt"] if args.mallopt else [])
                result = subprocess.run(command, capture_output=True, text=True, check=True)
                runs[lib].append(json.loads(result.stdout.strip().splitlines()[-1]))
        line = f"{title:46s}"
        medians = {}
        for lib, values in runs.items():
            medians[lib] = statistics.median(v["median"] for v in values)
            low = min(v["min"] for v in values)
            line += f"  {lib} {medians[lib] * 1e3:7.2f} ms (min {low * 1e3:6.2f})"
        if "torch" in medians:
            line += f"  ratio {medians['chainrule'] / medians['torch']:4.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
