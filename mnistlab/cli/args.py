"""Command-line arguments: one-line usage errors, argument types, and reading input files safely."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

PROG = "mnistlab"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_INPUT_BYTES = (
    20 * 1024 * 1024
)  # spec files and images: far above any real one, small enough to read safely


class CliError(Exception):
    """A problem with what the user asked for: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line instead of printing usage and exiting."""

    def error(self, message: str):
        raise CliError(f"{message} (see '{self.prog} --help')")


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def finite_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def preset_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected preset names separated by commas, e.g. baseline,dropout")
    return names


def read_input(path: str, what: str) -> bytes:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise CliError(
                f"the {what} {path} is {size / 2**20:.0f} MB; the limit is {MAX_INPUT_BYTES / 2**20:.0f} MB"
            )
        if file.is_dir():
            raise CliError(f"the {what} {path} is a folder, not a file")
        return file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def spec_from_args(args) -> tuple:
    """(spec, preset name or None) from ``--preset NAME`` or ``--spec FILE.json``; bad files are a CliError."""
    from mnistlab.specs import SpecError, from_json, preset

    if args.preset is not None:
        return preset(args.preset), args.preset
    raw = read_input(args.spec, "spec file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"the spec file {args.spec} is not UTF-8 text") from None
    try:
        return from_json(text), None
    except SpecError as exc:
        raise CliError(f"{args.spec}: {exc}") from None
    except RecursionError:  # the JSON parser gives up on absurdly nested brackets
        raise CliError(f"{args.spec}: nested too deeply to be an architecture spec") from None


def setting_changes(args, **more: str) -> dict:
    """The training settings given as flags (``TrainConfig`` names), left out when not given. ``more`` maps
    further argument names to settings (``subset="train_subset"``)."""
    names = {
        "epochs": "epochs",
        "batch_size": "batch_size",
        "optimizer": "optimizer",
        "learning_rate": "learning_rate",
        "seed": "seed",
        **more,
    }
    return {
        setting: getattr(args, arg) for arg, setting in names.items() if getattr(args, arg, None) is not None
    }
