"""``python -m corridor``: the command line, as ``corridor``."""

import sys

from corridor.cli import main

sys.exit(main())
