"""Load the op table's helper modules beside this file under unique module names.

``nn_reference.py`` -> ``ops_nn_reference`` (NumPy references of the nn rows), ``specs.py`` ->
``ops_specs`` (the op table) and ``discover.py`` -> ``ops_discover`` (finds every primitive
and public function). Unique names keep them importable from the test modules here whatever
pytest's import mode, and never confused with a ``specs`` module elsewhere.
"""
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

for _name, _file in (("ops_nn_reference", "nn_reference.py"), ("ops_specs", "specs.py"),
                     ("ops_discover", "discover.py")):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, os.path.join(_HERE, _file))
        _module = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _module
        _spec.loader.exec_module(_module)
