"""The first worked example of backpropagation: f = (x + y)·z at x = -2, y = 5, z = -4.

The forward pass computes q = x + y = 3 and f = q·z = -12. The backward pass starts
from df/df = 1: the multiply gate sends z = -4 to q and q = 3 to z; the add gate
passes -4 unchanged to both x and y.

Run:  python examples/explain_circuit.py [--render circuit.svg]
"""
import argparse

import chainrule as cr
import chainrule.viz as viz


def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", metavar="PATH",
                        help="also draw the graph (.svg/.png/.pdf need Graphviz; .dot does not)")
    args = parser.parse_args(argv)
    explanation = viz.explain(circuit, -2.0, 5.0, -4.0)      # also cr.explain
    if args.render:
        print("wrote", viz.render(explanation, args.render))
    return explanation


if __name__ == "__main__":
    main()
