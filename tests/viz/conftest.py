"""Shared helpers for the viz tests: golden files.

Golden files (tests/viz/golden/*.txt) hold the exact text of ``cr.explain`` for the
lectures' worked examples. After an intended change of the tables, regenerate them:

    CHAINRULE_UPDATE_GOLDEN=1 python -m pytest -q -p no:xdist tests/viz

then review the diff (``git diff tests/viz/golden``) before committing.
"""
import os
import pathlib

import pytest

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent / "golden"


@pytest.fixture
def golden():
    """``golden(name, text)``: assert ``text`` equals golden/<name>.txt (or rewrite it on request)."""
    def check(name, text):
        path = GOLDEN_DIR / f"{name}.txt"
        if os.environ.get("CHAINRULE_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path}; create it with CHAINRULE_UPDATE_GOLDEN=1")
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"the text differs from {path}; if the change is intended, regenerate with "
            f"CHAINRULE_UPDATE_GOLDEN=1 and review the diff")
    return check

