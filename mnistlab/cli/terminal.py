"""What the command line looks like in a terminal: tables, live progress lines, and a gentle Ctrl-C."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
import time
from typing import TextIO

from mnistlab.text import duration
from mnistlab.training import Progress


def created(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "—"


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ProgressLine:
    """Training progress for a terminal: one line per epoch, redrawn in place while the epoch runs.

    When the stream is not a terminal (a log file, a pipe) only the finished epochs are printed, one line each.
    ``prefix`` is put in front of every line (the reproduce command uses it for "[2/12] deeper seed 1").
    """

    def __init__(self, stream: TextIO, live: bool | None = None, prefix: str = ""):
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.prefix = prefix
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        text = self.format(progress)
        if progress.kind == "epoch":
            self._write(text, end="\n")
        elif self.live:
            self._write(text, end="")

    def _write(self, text: str, end: str) -> None:
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            text = "\r" + clip(text, width).ljust(width)
        self.stream.write(text + end)
        self.stream.flush()
        self._drawn = self.live and end == ""

    def format(self, p: Progress) -> str:
        steps_per_epoch = p.total_steps / p.epochs if p.epochs else p.total_steps
        done = (
            1.0 if p.kind == "epoch" else (p.step - (p.epoch - 1) * steps_per_epoch) / max(steps_per_epoch, 1)
        )
        done = min(max(done, 0.0), 1.0)
        bar = "#" * round(20 * done)
        parts = [
            f"{self.prefix}epoch {p.epoch:>{len(str(p.epochs))}}/{p.epochs} [{bar:<20}] {100 * done:3.0f}%",
            f"loss {p.loss:.4f}",
            f"acc {100 * p.accuracy:.2f}%",
        ]
        if p.val_accuracy is not None:
            parts.append(f"val_acc {100 * p.val_accuracy:.2f}%")
        parts.append(f"{p.samples_per_s:,.0f} samples/s")
        finished = p.kind == "epoch" and p.epoch == p.epochs
        parts.append(f"done in {duration(p.elapsed_s)}" if finished else f"ETA {duration(p.eta_s)}")
        return "  ".join(parts)


@contextlib.contextmanager
def stop_on_interrupt(err: TextIO):
    """Yield a ``should_stop`` function that turns True on the first Ctrl-C; a second Ctrl-C aborts at once."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return

    def handler(signum, frame):
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()
        err.write("\nStopping after the current batches (Ctrl-C again to abort)...\n")
        err.flush()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield requested.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
