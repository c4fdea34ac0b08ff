"""A sigmoid neuron, f(w, x) = 1 / (1 + exp(-(w0·x0 + w1·x1 + w2))), at w = (2, -3, -3), x = (-1, -2).

The lecture's circuit: the dot product is 1, the output 0.73; the sigmoid's local
gradient (1 - f)·f = 0.20 flows back, giving dw = (-0.20, -0.39, 0.20) and
dx = (0.39, -0.59). The table shows every gate on the way: the getitems that pick
w0, w1, ... scatter their gradient back into w and x, where the contributions add.

Run:  python examples/sigmoid_neuron.py [--render neuron.svg]
"""
import argparse

import chainrule as cr
import chainrule.viz as viz


def neuron(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1 / (1 + cr.exp(-dot))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", metavar="PATH",
                        help="also draw the graph (.svg/.png/.pdf need Graphviz; .dot does not)")
    args = parser.parse_args(argv)
    explanation = viz.explain(neuron, [2.0, -3.0, -3.0], [-1.0, -2.0])
    # The same numbers with the sigmoid as one gate: its local gradient is (1 - f)·f.
    f = float(explanation.value)
    print(f"one sigmoid gate: local gradient (1 - f)·f = {(1 - f) * f:.4f}")
    if args.render:
        print("wrote", viz.render(explanation, args.render))
    return explanation


if __name__ == "__main__":
    main()
