"""Picture a small network's computation graph, one cluster per layer.

``cr.viz.record()`` records every value and every gradient of a forward and
backward pass; ``model=`` names the parameters by their paths ('0.weight') and
draws a box around the ops of each layer. Big tensors are summarised (shape,
dtype, min / mean / max), so the picture stays small whatever the batch size.

Run:  python examples/draw_mlp.py [--render mlp.svg]
"""
import argparse

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.viz as viz


def build():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = cr.randn(16, 4)
    target = cr.randint(0, 3, (16,))
    return model, x, target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", metavar="PATH",
                        help="draw the graph (.svg/.png/.pdf need Graphviz; .dot does not)")
    args = parser.parse_args(argv)
    model, x, target = build()
    with viz.record() as rec:
        loss = F.cross_entropy(model(x), target)
        loss.backward()
    print(f"loss = {loss.item():.4f}")
    print(f"recorded {len(rec.ops)} ops and {len(rec.steps)} backward steps")
    source = rec.to_dot(model=model)
    if args.render:
        print("wrote", viz.render(rec, args.render, model=model))
    else:
        print(source)
    return rec


if __name__ == "__main__":
    main()
