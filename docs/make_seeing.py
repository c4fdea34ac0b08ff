"""Regenerate the pictures and tables of docs/seeing.md from the examples.

Run from the repository root:  python docs/make_seeing.py

Writes docs/images/{circuit,sigmoid_neuron,complex,mlp}.svg (needs the Graphviz
'dot' program; without it the .dot sources are written instead) and
docs/explain_{circuit,sigmoid_neuron,complex}.txt (the tables of cr.explain).
"""
import pathlib
import runpy
import shutil

import chainrule.viz as viz

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"


def example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def picture(obj, stem, **options):
    suffix = ".svg" if shutil.which("dot") else ".dot"
    path = viz.render(obj, IMAGES / f"{stem}{suffix}", **options)
    print("wrote", path.relative_to(ROOT))


def table(explanation, stem):
    path = DOCS / f"explain_{stem}.txt"
    path.write_text(str(explanation), encoding="utf-8")
    print("wrote", path.relative_to(ROOT))


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    circuit = viz.explain(example("explain_circuit")["circuit"], -2.0, 5.0, -4.0, print=False)
    neuron = viz.explain(example("sigmoid_neuron")["neuron"], [2.0, -3.0, -3.0], [-1.0, -2.0],
                         print=False)
    complex_ = viz.explain(example("explain_complex")["f"], 2.0, 3.0, print=False)
    for explanation, stem in ((circuit, "circuit"), (neuron, "sigmoid_neuron"),
                              (complex_, "complex")):
        picture(explanation, stem)
        table(explanation, stem)
    mlp = example("draw_mlp")
    model, x, target = mlp["build"]()
    import chainrule.nn.functional as F
    with viz.record() as rec:
        loss = F.cross_entropy(model(x), target)
        loss.backward()
    picture(rec, "mlp", model=model)


if __name__ == "__main__":
    main()
