"""``python -m mnistlab ...``: the same command line as the ``mnistlab`` script."""

import sys

from mnistlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
