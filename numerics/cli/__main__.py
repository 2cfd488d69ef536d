"""``python -m numerics.cli``: the command line."""

import sys

from numerics.cli import main

sys.exit(main())
