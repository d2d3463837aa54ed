"""``python -m tabgan``: the ``tabgan`` command line (see :mod:`tabgan.cli`)."""

import sys

from tabgan.cli import main

if __name__ == "__main__":
    sys.exit(main())
