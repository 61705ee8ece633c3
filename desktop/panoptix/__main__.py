"""``python -m panoptix``: the same as the ``panoptix`` command."""

import sys

from panoptix.cli import main

if __name__ == "__main__":
    sys.exit(main())
