"""Seeing the computation: pictures of graphs and the worked examples of backprop.

- ``to_dot(y)``: Graphviz DOT text of the graph that produced ``y`` (no dependency);
  ``render(y, "graph.svg")`` draws it with the Graphviz ``dot`` program;
  ``draw(y)`` returns a :class:`Graph` that Jupyter shows as SVG.
- ``explain(f, *args)``: the forward table and the backward table
  (upstream gradient × local gradient = gradient) of ``f`` at ``args``.
- ``trace(f, *args)`` / ``with record() as rec:``: record every value and every
  gradient, so a picture can show them all.
"""
from .dot import Graph, draw, render, to_dot
from .explain import Explanation, explain
from .trace import Trace, record, trace

__all__ = ["to_dot", "render", "draw", "Graph", "explain", "Explanation", "trace", "record",
           "Trace"]
