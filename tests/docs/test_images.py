"""docs/images/*.dot are what docs/make_seeing.py writes today (the .svg files are drawn from them)."""
import html
import pathlib
import re
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"


@pytest.fixture(scope="module")
def fresh_sources():
    pytest.importorskip("chainrule.nn")
    make_seeing = runpy.run_path(str(ROOT / "docs" / "make_seeing.py"), run_name="make_seeing")
    return make_seeing["dot_sources"]()


def test_docs_images_dot_sources_are_current(fresh_sources):
    assert sorted(fresh_sources) == ["circuit", "complex", "mlp", "sigmoid_neuron"]
    for stem, source in fresh_sources.items():
        committed = (IMAGES / f"{stem}.dot").read_text(encoding="utf-8")
        assert committed == source, f"docs/images/{stem}.dot is stale: run python docs/make_seeing.py"


def test_every_picture_has_its_dot_source(fresh_sources):
    for stem in fresh_sources:
        assert (IMAGES / f"{stem}.svg").exists(), stem


def dot_label_texts(source):
    """Every piece of text the DOT labels show (HTML labels split at their tags)."""
    texts = set(html.unescape(t) for t in re.findall(r'label="([^"]*)"', source))
    for match in re.finditer(r"label=<", source):
        depth, i = 1, match.end()
        while depth:
            depth += {"<": 1, ">": -1}.get(source[i], 0)
            i += 1
        for piece in re.split(r"<[^>]+>", source[match.end():i - 1]):
            if piece.strip():
                texts.add(html.unescape(piece).strip())
    return texts


def svg_texts(svg):
    return set(html.unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg))


@pytest.mark.parametrize("stem", ["circuit", "sigmoid_neuron", "complex", "mlp"])
def test_docs_images_svg_shows_what_its_dot_source_says(stem):
    # Without Graphviz here the .svg files cannot be redrawn; their text must still be the
    # labels of the current .dot source (run python docs/make_seeing.py where 'dot' exists).
    svg = (IMAGES / f"{stem}.svg").read_text(encoding="utf-8")
    dot = (IMAGES / f"{stem}.dot").read_text(encoding="utf-8")
    assert svg_texts(svg) == dot_label_texts(dot)
