"""A longer worked example: f(x, z) = exp(xz) + xz / log(x) + sin(log(x)) / (xz) at x = 2, z = 3.

xz is used three times and x three times (twice through log): the backward table
shows each contribution and the running sum -- gradients add at branches.
df/dx = 1208.4 and df/dz = 809.7.

Run:  python examples/explain_complex.py [--render complex.svg]
"""
import argparse

import chainrule as cr
import chainrule.viz as viz


def f(x, z):
    xz = x * z
    return cr.exp(xz) + xz / cr.log(x) + cr.sin(cr.log(x)) / xz


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", metavar="PATH",
                        help="also draw the graph (.svg/.png/.pdf need Graphviz; .dot does not)")
    args = parser.parse_args(argv)
    explanation = viz.explain(f, 2.0, 3.0)
    if args.render:
        print("wrote", viz.render(explanation, args.render))
    return explanation


if __name__ == "__main__":
    main()
