"""``python -m robustlaw``: the command line (same as the ``robustlaw`` script)."""

import sys

from numerics.cli import main

if __name__ == "__main__":
    sys.exit(main())
