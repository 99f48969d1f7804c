"""The ``mnistlab`` command line: train, list, inspect, predict, and reproduce the notebook study.

    mnistlab train --preset dropout --epochs 5
    mnistlab runs
    mnistlab predict RUN_ID digit.png
    mnistlab reproduce --seeds 3

Every argument is checked before TensorFlow is imported, so a typo is reported at once, as one line on stderr
(``mnistlab: error: ...``) with exit code 2. ``runs``, ``presets``, ``show``, ``rename`` and ``delete`` never
import TensorFlow at all. Ctrl-C during training stops it cleanly: the run is kept with status 'stopped'.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import math
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .data import DataError, load_mnist
from .modelfile import ModelFileError
from .specs import NOTEBOOK_RESULTS, PRESETS, ArchitectureSpec, SpecError, count_params, from_json, preset
from .store import Run, RunStore, StoreError, check_run_id, check_run_name
from .training import SUGGESTED_LR, ConfigError, Progress, TrainConfig

PROG = "mnistlab"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_INPUT_BYTES = 20 * 1024 * 1024  # spec files and images: far above any real one, small enough to read safely
EXPECTED_ERRORS = (SpecError, ConfigError, StoreError, DataError, ModelFileError, OSError)


class CliError(Exception):
    """A problem with what the user asked for: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line instead of printing usage and exiting."""

    def error(self, message: str):
        raise CliError(f"{message} (see '{self.prog} --help')")


# ------------------------------------------------------------------------------------------ argument types


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _finite_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _preset_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected preset names separated by commas, e.g. baseline,dropout")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A hands-on MNIST lab on the command line.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (and full tracebacks)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser("train", help="train a model and save it as a run",
                                description="Train a preset or a spec file; the run is saved in the store. "
                                            "Ctrl-C stops training and keeps the run as 'stopped' (exit 130).")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--spec", metavar="FILE.json", help="an architecture spec as JSON")
    train.add_argument("--epochs", type=_whole_number)
    train.add_argument("--batch-size", type=_whole_number)
    train.add_argument("--optimizer", help="adam, sgd or rmsprop")
    train.add_argument("--learning-rate", type=_finite_number,
                       help="default: the optimizer's suggested rate")
    train.add_argument("--seed", type=_whole_number)
    train.add_argument("--subset", type=_whole_number, help="train on this many training digits (100-60000)")
    train.add_argument("--validation-split", type=_finite_number, help="fraction held out, 0-0.5")
    train.add_argument("--name", help="a display name for the run")
    train.add_argument("--json", action="store_true", help="print only a JSON summary")

    runs = commands.add_parser("runs", help="list saved runs")
    runs.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="details and per-epoch history of one run")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true")

    predict = commands.add_parser("predict", help="classify a digit image with a saved run's model")
    predict.add_argument("run_id", metavar="RUN_ID")
    predict.add_argument("image", metavar="IMAGE", help="a PNG/JPEG of one digit (dark or light background)")
    predict.add_argument("--json", action="store_true")

    rename = commands.add_parser("rename", help="give a run a new display name")
    rename.add_argument("run_id", metavar="RUN_ID")
    rename.add_argument("name", metavar="NAME")

    delete = commands.add_parser("delete", help="delete a run and its model")
    delete.add_argument("run_id", metavar="RUN_ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    presets = commands.add_parser("presets", help="the preset architectures with layers and parameters")
    presets.add_argument("--json", action="store_true")

    repro = commands.add_parser(
        "reproduce", help="re-run the notebook study over several seeds and write a report with figures",
        description="Train the notebook's presets with seeds 0..N-1, save every run, and write results.md, "
                    "results.json and the figures (PNG) to --out.")
    repro.add_argument("--seeds", type=_whole_number, default=3, help="seeds per preset (default 3)")
    repro.add_argument("--epochs", type=_whole_number, help="epochs per run (default 10)")
    repro.add_argument("--out", metavar="DIR", help="output folder (default artifacts/reproduce)")
    repro.add_argument("--presets", type=_preset_list, help="comma-separated (default baseline,deeper,dropout,tuned)")
    repro.add_argument("--subset", type=_whole_number, help=argparse.SUPPRESS)  # quick checks only

    commands.add_parser("bench", help="benchmarks (arguments are passed to mnistlab.bench)", add_help=False)
    return parser


# --------------------------------------------------------------------------------------------- formatting


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _created(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "—"


def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_summary(run: Run) -> dict:
    """A run as JSON-ready plain data (what ``train --json``, ``runs --json`` and ``show --json`` print)."""
    return {
        "id": run.id, "name": run.name, "status": run.status, "preset": run.preset, "params": run.params,
        "epochs_done": run.epochs_done, "test_accuracy": run.test_accuracy, "test_loss": run.test_loss,
        "duration_s": run.duration_s, "created": _created(run.created), "error": run.error,
        "spec": run.spec.to_dict(), "config": run.config,
    }


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
            text = "\r" + _clip(text, width).ljust(width)
        self.stream.write(text + end)
        self.stream.flush()
        self._drawn = self.live and end == ""

    def format(self, p: Progress) -> str:
        steps_per_epoch = p.total_steps / p.epochs if p.epochs else p.total_steps
        done = 1.0 if p.kind == "epoch" else (p.step - (p.epoch - 1) * steps_per_epoch) / max(steps_per_epoch, 1)
        done = min(max(done, 0.0), 1.0)
        bar = "#" * round(20 * done)
        parts = [f"{self.prefix}epoch {p.epoch:>{len(str(p.epochs))}}/{p.epochs} [{bar:<20}] {100 * done:3.0f}%",
                 f"loss {p.loss:.4f}", f"acc {100 * p.accuracy:.2f}%"]
        if p.val_accuracy is not None:
            parts.append(f"val_acc {100 * p.val_accuracy:.2f}%")
        parts.append(f"{p.samples_per_s:,.0f} samples/s")
        finished = p.kind == "epoch" and p.epoch == p.epochs
        parts.append(f"done in {_duration(p.elapsed_s)}" if finished else f"ETA {_duration(p.eta_s)}")
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


# ----------------------------------------------------------------------------------------------- commands


def _read_input(path: str, what: str) -> bytes:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise CliError(f"the {what} {path} is {size / 2**20:.0f} MB; the limit is "
                           f"{MAX_INPUT_BYTES / 2**20:.0f} MB")
        if file.is_dir():
            raise CliError(f"the {what} {path} is a folder, not a file")
        return file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def _spec_from_args(args) -> tuple[ArchitectureSpec, str | None]:
    if args.preset is not None:
        return preset(args.preset), args.preset
    raw = _read_input(args.spec, "spec file")
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


def _config_from_args(args) -> TrainConfig:
    changes = {key: value for key, value in {
        "epochs": args.epochs, "batch_size": args.batch_size, "optimizer": args.optimizer,
        "learning_rate": args.learning_rate, "seed": args.seed, "train_subset": args.subset,
        "validation_split": args.validation_split,
    }.items() if value is not None}
    if args.optimizer is not None and args.learning_rate is None and args.optimizer in SUGGESTED_LR:
        changes["learning_rate"] = SUGGESTED_LR[args.optimizer]
    return TrainConfig().replace(**changes)


def cmd_train(args, out: TextIO, err: TextIO) -> int:
    spec, preset_name = _spec_from_args(args)
    config = _config_from_args(args)
    name = check_run_name(args.name) if args.name is not None else None
    data = load_mnist()  # a missing or damaged dataset is reported before any run is created
    store = RunStore()
    if not args.json:
        digits = int((config.train_subset or 60000) * (1 - config.validation_split))
        out.write(f"Training {name or spec.name}: {spec.summary()} · {count_params(spec):,} parameters · "
                  f"{config.epochs} epochs on {digits:,} digits\n")
        out.flush()
    display = ProgressLine(err) if args.json else ProgressLine(out)
    if args.json and not err.isatty():
        display = None
    from .experiment import train_run  # imports TensorFlow: only now that every argument is known to be good

    with stop_on_interrupt(err) as should_stop:
        run_id = train_run(spec, config, store, name=name, preset=preset_name, on_progress=display,
                           should_stop=should_stop, data=data)
    run = store.load(run_id)
    if args.json:
        out.write(json.dumps(run_summary(run), indent=2) + "\n")
    else:
        out.write(f"Run {run.id} ({run.name}): {run.status} after {run.epochs_done} epochs in "
                  f"{_duration(run.duration_s)}; test accuracy {_percent(run.test_accuracy)}\n")
    return EXIT_INTERRUPTED if run.status == "stopped" else EXIT_OK if run.status == "completed" else EXIT_FAILED


def cmd_runs(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    err.writelines(f"{PROG}: warning: {problem}\n" for folder, problem in store.problems())
    runs = store.list_runs()
    if args.json:
        out.write(json.dumps([run_summary(r) for r in runs], indent=2) + "\n")
        return EXIT_OK
    if not runs:
        out.write(f"No runs yet in {store.root}. Train one with: {PROG} train --preset baseline\n")
        return EXIT_OK
    rows = [[r.id, _clip(r.name, 28), r.status, r.preset or "—", f"{r.params:,}", str(r.epochs_done),
             _percent(r.test_accuracy), _duration(r.duration_s), _created(r.created)] for r in runs]
    headers = ["id", "name", "status", "preset", "params", "epochs", "test acc", "time", "created"]
    out.write(_table(headers, rows, right={4, 5, 6, 7}) + "\n")
    return EXIT_OK


def _existing_run(store: RunStore, run_id: str) -> Run:
    return store.load(check_run_id(run_id))


def cmd_show(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    metrics = store.metrics(run.id)
    if args.json:
        out.write(json.dumps({**run_summary(run), "history": run.history,
                              "metrics": metrics}, indent=2) + "\n")
        return EXIT_OK
    config = run.config
    lines = [
        f"{run.name}  ({run.id})",
        f"  status       {run.status}" + (f": {run.error}" if run.error else ""),
        f"  preset       {run.preset or '—'}",
        f"  layers       {run.spec.summary()}",
        f"  parameters   {run.params:,}",
        "  training     " + ", ".join(f"{k}={v}" for k, v in config.items()),
        f"  epochs done  {run.epochs_done}",
        f"  test acc     {_percent(run.test_accuracy)}"
        + (f"  (loss {run.test_loss:.4f})" if run.test_loss is not None else ""),
        f"  time         {_duration(run.duration_s)}",
        f"  created      {_created(run.created)}",
    ]
    out.write("\n".join(lines) + "\n")
    history = run.history
    if history.get("loss"):
        rows = []
        for i, loss in enumerate(history["loss"]):
            def at(key, i=i):
                values = history.get(key) or []
                return values[i] if i < len(values) else None

            rows.append([str(i + 1), f"{loss:.4f}" if loss is not None else "—", _percent(at("accuracy")),
                         f"{at('val_loss'):.4f}" if at("val_loss") is not None else "—",
                         _percent(at("val_accuracy")), _duration(at("epoch_s"))])
        out.write("\n" + _table(["epoch", "loss", "acc", "val_loss", "val_acc", "time"], rows,
                                right={0, 1, 2, 3, 4, 5}) + "\n")
    if metrics and metrics.get("per_class"):
        recall = metrics["per_class"]["recall"]
        out.write("\nRecall per digit: " + "  ".join(f"{d}: {100 * r:.1f}%" for d, r in enumerate(recall)) + "\n")
    return EXIT_OK


def _drawing():
    try:
        return importlib.import_module("mnistlab.drawing")
    except ModuleNotFoundError as exc:
        if exc.name == "mnistlab.drawing":
            raise CliError("prediction needs mnistlab.drawing, which is not installed in this copy") from None
        raise


def cmd_predict(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    if not run.has_model:
        raise CliError(f"run {run.id} ({run.name}) has no trained model (status: {run.status})")
    drawing = _drawing()
    image_error = getattr(drawing, "ImageError", ValueError)
    raw = _read_input(args.image, "image")
    try:
        image = drawing.canvas_to_mnist(drawing.read_image(raw))
    except image_error as exc:
        raise CliError(f"{args.image}: {exc}") from None
    if image is None:
        raise CliError(f"{args.image}: no digit found (the image looks blank)")
    model = store.load_model(run.id)
    probs = [float(p) for p in drawing.predict_digit(model, image)]
    ranked = sorted(range(10), key=lambda d: probs[d], reverse=True)
    digit = ranked[0]
    if args.json:
        out.write(json.dumps({"run_id": run.id, "digit": digit, "confidence": probs[digit],
                              "top3": [[d, probs[d]] for d in ranked[:3]], "probabilities": probs}) + "\n")
    else:
        out.write(f"{digit}  (confidence {100 * probs[digit]:.1f}%, model: {run.name})\n")
        out.write("top 3: " + ", ".join(f"{d} {100 * probs[d]:.1f}%" for d in ranked[:3]) + "\n")
    return EXIT_OK


def cmd_rename(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    name = check_run_name(args.name)
    store.rename(run.id, name)
    out.write(f"Renamed {run.id}: {run.name} -> {name}\n")
    return EXIT_OK


def cmd_delete(args, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    if not args.yes:
        if not stdin.isatty():
            raise CliError(f"refusing to delete {run.id} without confirmation; add --yes")
        out.write(f"Delete run {run.id} ({run.name}, {run.status})? [y/N] ")
        out.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            out.write("Nothing deleted.\n")
            return EXIT_OK
    store.delete(run.id)
    out.write(f"Deleted {run.id} ({run.name})\n")
    return EXIT_OK


def cmd_presets(args, out: TextIO, err: TextIO) -> int:
    if args.json:
        data = [{**spec.to_dict(), "params": count_params(spec),
                 "notebook_accuracy": NOTEBOOK_RESULTS.get(name, (None, None, None))[2]}
                for name, spec in PRESETS.items()]
        out.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    rows = [[name, spec.summary(), f"{count_params(spec):,}",
             f"{NOTEBOOK_RESULTS[name][2]:.2f}%" if name in NOTEBOOK_RESULTS else "—"]
            for name, spec in PRESETS.items()]
    out.write(_table(["preset", "hidden layers (then Dense(10, softmax))", "params", "notebook"], rows,
                     right={2, 3}) + "\n")
    return EXIT_OK


def cmd_reproduce(args, out: TextIO, err: TextIO) -> int:
    from .reproduce import NOTEBOOK_PRESETS, check_study

    presets = args.presets or list(NOTEBOOK_PRESETS)
    try:
        config = check_study(args.seeds, args.epochs, presets, args.subset)
    except ValueError as exc:  # SpecError and ConfigError are ValueErrors too
        raise CliError(str(exc)) from None
    from .store import artifacts_dir

    target = Path(args.out) if args.out else artifacts_dir() / "reproduce"
    target.mkdir(parents=True, exist_ok=True)  # fail now, not after minutes of training
    tasks = len(presets) * args.seeds
    out.write(f"Reproducing the notebook study: {', '.join(presets)} x {args.seeds} seed"
              f"{'s' if args.seeds != 1 else ''} = {tasks} run{'s' if tasks != 1 else ''} of {config.epochs} "
              f"epoch{'s' if config.epochs != 1 else ''}\n")
    out.flush()
    live = out.isatty()
    line = ProgressLine(out, live=live)

    def show(event) -> None:
        label = f"[{event.task}/{event.tasks}] {event.preset} seed {event.seed}"
        if event.result is not None:
            r = event.result
            text = (f"{label}: {r['status']}, test accuracy {_percent(r['test_accuracy'])} "
                    f"in {_duration(r['duration_s'])}")
            out.write(("\r" + text.ljust(shutil.get_terminal_size((100, 20)).columns - 1) if live else text) + "\n")
            out.flush()
            line._drawn = False
        elif event.progress is not None and live:
            line.prefix = label + "  "
            line._write(line.format(event.progress), end="")

    from .reproduce import reproduce

    with stop_on_interrupt(err) as should_stop:
        results = reproduce(seeds=args.seeds, epochs=args.epochs, out=target, presets=presets,
                            on_progress=show, should_stop=should_stop, subset=args.subset)
    out.write("\n" + _table(
        ["experiment", "params", "notebook", "this study", "seeds"],
        [[e["title"], f"{e['params']:,}", _percent(e["notebook_accuracy"] / 100 if e["notebook_accuracy"] else None),
          "—" if e["accuracy"]["mean"] is None else f"{e['accuracy']['mean']:.2f}%"
          + ("" if e["accuracy"]["std"] is None else f" ± {e['accuracy']['std']:.2f}"),
          str(e["accuracy"]["n"])] for e in results["experiments"]],
        right={1, 2, 3, 4}) + "\n\n")
    out.write("\n".join(f"- {note}" for note in results["findings"]) + "\n\n")
    out.write(f"Wrote {target / 'results.md'}, results.json and {len(results['figures'])} figures "
              f"in {_duration(results['duration_s'])}.\n")
    return EXIT_INTERRUPTED if results["stopped"] else EXIT_OK


def run_bench(argv: list[str], err: TextIO) -> int:
    """Hand every argument to ``mnistlab.bench.main`` when that module is present."""
    try:
        bench = importlib.import_module("mnistlab.bench")
    except ModuleNotFoundError as exc:
        if exc.name != "mnistlab.bench":
            raise
        err.write(f"{PROG}: error: the benchmarks (mnistlab.bench) are not part of this installation\n")
        return EXIT_USAGE
    code = bench.main(argv)
    return int(code or 0)


COMMANDS: dict[str, Callable] = {
    "train": cmd_train, "runs": cmd_runs, "show": cmd_show, "predict": cmd_predict, "rename": cmd_rename,
    "presets": cmd_presets, "reproduce": cmd_reproduce,
}


# --------------------------------------------------------------------------------------------------- main


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
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s") if verbose
                         else _NoTraceback(f"{PROG}: %(levelname)s: %(message)s"))
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
        return run_bench(argv[1:], err)
    verbose = "-v" in argv or "--verbose" in argv
    with _logging(verbose, err):
        try:
            args = build_parser().parse_args(argv)
            if args.command == "bench":  # e.g. "mnistlab -v bench ...": pass on what follows "bench"
                return run_bench(argv[argv.index("bench") + 1:], err)
            if args.command == "delete":
                return cmd_delete(args, out, err, sys.stdin)
            return COMMANDS[args.command](args, out, err)
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
            err.write(f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(exc)} "
                      "(run with -v for details)\n")
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
