"""The ``mnistlab`` command line: train, list, inspect, predict, and reproduce the notebook study.

    mnistlab train --preset dropout --epochs 5
    mnistlab runs
    mnistlab predict RUN_ID digit.png
    mnistlab reproduce --seeds 3

Every argument is checked before TensorFlow is imported, so a typo is reported at once, as one line on stderr
(``mnistlab: error: ...``) with exit code 2. Each group of commands lives in its own module and adds its
subcommands in ``register``; a subcommand's handler takes ``(args, out, err)`` and returns the exit code.
Ctrl-C during training stops it cleanly: the run is kept with status 'stopped'.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import TextIO

from mnistlab.cli import classroom, cluster, export, handwriting, runs, study, sweep
from mnistlab.cli import data as data_command
from mnistlab.cli import map as map_command
from mnistlab.cli.args import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PROG, CliError, Parser
from mnistlab.cli.study import run_bench
from mnistlab.data import DataError
from mnistlab.files import StoreError
from mnistlab.handwriting import HandwritingError
from mnistlab.modelfile import ModelFileError
from mnistlab.specs import SpecError
from mnistlab.training import ConfigError

EXPECTED_ERRORS = (SpecError, ConfigError, StoreError, DataError, ModelFileError, HandwritingError, OSError)
COMMAND_GROUPS = (runs, study, export, sweep, handwriting, classroom, cluster, map_command, data_command)


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="A hands-on MNIST lab on the command line.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (and full tracebacks)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


class _NoTraceback(logging.Formatter):
    def formatException(self, exc_info) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = ""
        return super().format(record).rstrip()


@contextlib.contextmanager
def _logging(verbose: bool, err: TextIO):
    """While a command runs: library logs go to stderr in verbose mode, and are silenced otherwise (failures
    are reported once, by ``main``). The previous logging setup is restored afterwards."""
    logger = logging.getLogger("mnistlab")
    handler = logging.StreamHandler(err)
    handler.setFormatter(
        logging.Formatter(f"{PROG}: %(levelname)s: %(message)s")
        if verbose
        else _NoTraceback(f"{PROG}: %(levelname)s: %(message)s")
    )
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.CRITICAL)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = sys.stdout, sys.stderr
    if argv and argv[0] == "bench":
        return run_bench(argv[1:])
    verbose = "-v" in argv or "--verbose" in argv
    with _logging(verbose, err):
        try:
            args = build_parser().parse_args(argv)
            if args.command == "bench":  # e.g. "mnistlab -v bench ...": pass on what follows "bench"
                return run_bench(argv[argv.index("bench") + 1 :])
            return args.handler(args, out, err)
        except SystemExit as exc:  # --help and --version exit through argparse
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        except CliError as exc:
            return _fail(err, str(exc))
        except BrokenPipeError:  # e.g. "mnistlab runs | head"
            return EXIT_OK
        except EXPECTED_ERRORS as exc:
            return _fail(err, _one_line(exc))
        except KeyboardInterrupt:
            err.write(f"\n{PROG}: interrupted\n")
            return EXIT_INTERRUPTED
        except Exception as exc:
            if verbose:
                raise
            err.write(
                f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(exc)} "
                "(run with -v for details)\n"
            )
            return EXIT_FAILED


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text


def _fail(err: TextIO, message: str) -> int:
    err.write(f"{PROG}: error: {message}\n")
    err.flush()
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
