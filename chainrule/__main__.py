"""``python -m chainrule`` is the ``chainrule`` program."""
import sys

from .cli.main import main

sys.exit(main())
