"""The ``mnistlab`` command line (see ``mnistlab.cli.main``)."""

from mnistlab.cli.args import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, MAX_INPUT_BYTES
from mnistlab.cli.main import main

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "MAX_INPUT_BYTES", "main"]
