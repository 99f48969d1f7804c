"""``python -m mnistlab ...``: the same command line as the ``mnistlab`` script."""

import sys

from mnistlab.cli import main

sys.exit(main())
