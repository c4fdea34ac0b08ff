"""Regenerate the pictures and tables of docs/seeing.md from the examples.

Run from the repository root:  python docs/make_seeing.py

Writes docs/images/{circuit,sigmoid_neuron,complex,mlp}.dot (the DOT sources, always;
tests/docs/test_images.py checks they are current), the .svg pictures drawn from them
(needs the Graphviz 'dot' program; without it the .svg files are left as they are and
the script says so) and docs/explain_{circuit,sigmoid_neuron,complex}.txt (the tables
of cr.explain).
"""
import pathlib
import runpy
import shutil
import subprocess

import chainrule.viz as viz

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"


def example(name):
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def picture(stem, source):
    dot_path = IMAGES / f"{stem}.dot"
    dot_path.write_text(source, encoding="utf-8")
    print("wrote", dot_path.relative_to(ROOT))
    if shutil.which("dot") is None:
        print(f"  (no Graphviz 'dot' program: {stem}.svg not redrawn)")
        return
    svg_path = IMAGES / f"{stem}.svg"
    subprocess.run(["dot", "-Tsvg", str(dot_path), "-o", str(svg_path)], check=True)
    print("wrote", svg_path.relative_to(ROOT))


def table(explanation, stem):
    path = DOCS / f"explain_{stem}.txt"
    path.write_text(str(explanation), encoding="utf-8")
    print("wrote", path.relative_to(ROOT))


def explanations():
    """{stem: Explanation} of the three worked examples."""
    circuit = viz.explain(example("explain_circuit")["circuit"], -2.0, 5.0, -4.0, print=False)
    neuron = viz.explain(example("sigmoid_neuron")["neuron"], [2.0, -3.0, -3.0], [-1.0, -2.0],
                         print=False)
    complex_ = viz.explain(example("explain_complex")["f"], 2.0, 3.0, print=False)
    return {"circuit": circuit, "sigmoid_neuron": neuron, "complex": complex_}


def dot_sources(explained=None):
    """{stem: DOT text} of every picture in docs/images (what main() writes)."""
    explained = explanations() if explained is None else explained
    sources = {stem: viz.to_dot(ex) for stem, ex in explained.items()}
    mlp = example("draw_mlp")
    model, x, target = mlp["build"]()
    import chainrule.nn.functional as F
    with viz.record() as rec:
        loss = F.cross_entropy(model(x), target)
        loss.backward()
    sources["mlp"] = rec.to_dot(model=model)
    return sources


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    explained = explanations()
    for stem, explanation in explained.items():
        table(explanation, stem)
    for stem, source in dot_sources(explained).items():
        picture(stem, source)


if __name__ == "__main__":
    main()
