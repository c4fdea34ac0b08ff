"""Convolution and pooling speed on LeNet's shapes, against PyTorch CPU in the same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/conv_algos.py [--threads 2]

Prints medians (and minima) over interleaved repetitions of forward+backward for
* the two LeNet convolutions (batch 64: 1x28x28 conv 1->16 5x5 pad 2; 16x14x14 conv 16->32 5x5),
  with the column layout chosen automatically and forced to each of the two layouts;
* 2x2 max pooling of the first convolution's output;
* one LeNet training step (the ``chainrule train --model cnn`` network on 28x28 images,
  cross-entropy, SGD), the number the library promises (<= 2x PyTorch).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import blas_info, machine_line, measure, set_threads  # noqa: E402

BATCH = 64
CONVS = [("conv1 1->16 5x5 pad2 on 1x28x28", (BATCH, 1, 28, 28), 1, 16, 2, False),
         ("conv2 16->32 5x5 on 16x14x14", (BATCH, 16, 14, 14), 16, 32, 0, True)]


def conv_fns(np, cr, nn, torch, shape, cin, cout, pad, input_grad, layout):
    from chainrule.nn.functional import conv as conv_module
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    cr.manual_seed(0)
    layer = nn.Conv2d(cin, cout, 5, padding=pad)
    xc = cr.tensor(x, requires_grad=input_grad)
    choose = conv_module._batch_inner

    def ours():
        if layout is not None:
            conv_module._batch_inner = lambda *args: layout
        try:
            layer.zero_grad()
            y = layer(xc)
            y.backward(np.ones(y.shape, dtype=np.float32))
        finally:
            conv_module._batch_inner = choose

    fns = {"chainrule": ours}
    if torch is not None:
        tlayer = torch.nn.Conv2d(cin, cout, 5, padding=pad)
        xt = torch.tensor(x, requires_grad=input_grad)

        def theirs():
            tlayer.zero_grad()
            y = tlayer(xt)
            y.backward(torch.ones_like(y))
        fns["torch"] = theirs
    return fns


def pool_fns(np, cr, F, torch):
    x = np.random.default_rng(0).standard_normal((BATCH, 16, 28, 28)).astype(np.float32)
    xc = cr.tensor(x, requires_grad=True)

    def ours():
        xc.grad = None
        y = F.max_pool2d(xc, 2)
        y.backward(np.ones(y.shape, dtype=np.float32))

    fns = {"chainrule": ours}
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)

        def theirs():
            xt.grad = None
            y = torch.nn.functional.max_pool2d(xt, 2)
            y.backward(torch.ones_like(y))
        fns["torch"] = theirs
    return fns


def lenet_fns(np, cr, nn, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, BATCH)

    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 16, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
            lib.Conv2d(16, 32, 5), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
            lib.Linear(32 * 5 * 5, 128), lib.ReLU(), lib.Linear(128, 10))

    model = build(nn)
    import chainrule.optim as optim
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    xc, yc = cr.tensor(x), cr.tensor(labels)

    def ours():
        optimizer.zero_grad()
        loss = loss_fn(model(xc), yc)
        loss.backward()
        optimizer.step()

    fns = {"chainrule": ours}
    if torch is not None:
        tmodel = build(torch.nn)
        toptimizer = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tloss = torch.nn.CrossEntropyLoss()
        xt, yt = torch.tensor(x), torch.tensor(labels)

        def theirs():
            toptimizer.zero_grad()
            loss = tloss(tmodel(xt), yt)
            loss.backward()
            toptimizer.step()
        fns["torch"] = theirs
    return fns


def report(title, results):
    line = f"{title:44s}"
    for name, (median, low, _) in results.items():
        line += f"  {name} {median * 1e3:7.2f} ms (min {low * 1e3:6.2f})"
    if "torch" in results:
        ratio = results["chainrule"][0] / results["torch"][0]
        line += f"  ratio {ratio:4.2f}"
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    set_threads(args.threads)
    import numpy as np

    import chainrule as cr
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(machine_line())
    print(f"BLAS: {blas_info()}; threads {args.threads}; batch {BATCH}; medians of "
          f"{args.repeats} interleaved repetitions, forward + backward")
    for title, shape, cin, cout, pad, input_grad in CONVS:
        for layout, label in ((None, "auto"), (True, "batch-inner"), (False, "sample-major")):
            fns = conv_fns(np, cr, nn, torch if layout is None else None, shape, cin, cout, pad,
                           input_grad, layout)
            report(f"{title} [{label}]", measure(fns, repeats=args.repeats))
    report("max_pool2d 2x2 on 64x16x28x28", measure(pool_fns(np, cr, F, torch),
                                                     repeats=args.repeats))
    report("LeNet training step (batch 64)", measure(lenet_fns(np, cr, nn, torch),
                                                      repeats=args.repeats))


if __name__ == "__main__":
    main()
