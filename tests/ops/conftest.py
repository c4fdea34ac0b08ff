"""Load the op table (``specs.py`` beside this file) as the module ``ops_specs``.

A unique module name keeps it importable from the test modules here whatever
pytest's import mode, and never confused with a ``specs`` module elsewhere.
"""
import importlib.util
import os
import sys

if "ops_specs" not in sys.modules:
    _path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs.py")
    _spec = importlib.util.spec_from_file_location("ops_specs", _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["ops_specs"] = _module
    _spec.loader.exec_module(_module)
