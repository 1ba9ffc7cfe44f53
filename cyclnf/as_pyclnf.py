"""Run a program written for pyclnf with cyclnf in pyclnf's place, unmodified.

    python -m cyclnf.as_pyclnf SCRIPT.py [ARGS...]
    python -m cyclnf.as_pyclnf package.module [ARGS...]

The program sees ``sys.argv`` as if it had been started directly; ``import pyclnf``
inside it gives cyclnf (see :func:`cyclnf.install_as_pyclnf`).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import List, Optional

USAGE = "usage: python -m cyclnf.as_pyclnf SCRIPT.py|MODULE [ARGS...]"


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    from .compat import install_as_pyclnf
    install_as_pyclnf()
    target, args = argv[0], argv[1:]
    path = Path(target)
    if path.suffix == ".py" or path.is_file():
        if not path.is_file():
            print(f"cyclnf.as_pyclnf: no such script: {target}", file=sys.stderr)
            return 2
        sys.argv = [str(path), *args]
        sys.path.insert(0, str(path.resolve().parent))
        runpy.run_path(str(path), run_name="__main__")
    else:
        sys.argv = [target, *args]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
