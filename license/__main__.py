"""Entry point of ``python -m license`` and the ``outpost-license`` script."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
