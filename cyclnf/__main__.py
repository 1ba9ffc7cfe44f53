"""``python -m cyclnf``: the ``cyclnf`` command."""

import sys

from .cli import main

sys.exit(main())
