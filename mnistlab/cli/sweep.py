"""``mnistlab sweep``: run a hyperparameter sweep headless, with a line per trial and a summary at the end.

    mnistlab sweep examples/sweeps/notebook_mlp.json            # a new sweep from a file
    mnistlab sweep examples/sweeps/notebook_mlp.json --trials 6 # a smaller budget
    mnistlab sweep sw-20261125-210000-ab12                      # resume a stopped or interrupted sweep

The sweep is checked before anything is created or imported (a bad file is one line, exit code 2). Its state,
Optuna study and ``summary.json``/``summary.md`` live in ``artifacts/sweeps/<id>/``; every trial is a normal
run in the store. Ctrl-C stops the trials in flight (they are asked again on resume) and exits with 130.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from mnistlab.cli.args import EXIT_INTERRUPTED, EXIT_OK, CliError, read_input, whole_number
from mnistlab.cli.terminal import stop_on_interrupt
from mnistlab.files import StoreError
from mnistlab.sweeps.parsing import parse_sweep
from mnistlab.sweeps.spec import MAX_TRIALS, SweepError
from mnistlab.sweeps.store import SWEEP_ID, SweepStore
from mnistlab.text import duration


def register(commands) -> None:
    """Add ``sweep`` to the subparsers."""
    sweep = commands.add_parser(
        "sweep",
        help="search which settings matter: a sweep of trainings (grid, random or TPE, with pruning)",
        description="Run the sweep in FILE.json (see examples/sweeps/), or resume the sweep with id SWEEP_ID. "
        "Writes artifacts/sweeps/<id>/summary.json and summary.md. Ctrl-C stops it (resume later).",
    )
    sweep.add_argument("source", metavar="FILE.json|SWEEP_ID")
    sweep.add_argument(
        "--trials", type=whole_number, help=f"the trial budget (1-{MAX_TRIALS}), overriding the file's"
    )
    sweep.add_argument("--json", action="store_true", help="print only summary.json at the end")
    sweep.set_defaults(handler=cmd_sweep)


def _load(args, sweeps: SweepStore) -> tuple[str | None, object]:
    """(existing sweep id or None, SweepSpec): a file is parsed; a sweep id is resumed."""
    source = args.source
    if SWEEP_ID.match(source) and not Path(source).exists():
        try:
            sweep = sweeps.load_spec(source)
        except StoreError as exc:
            raise CliError(str(exc)) from None
        if args.trials is not None:
            raise CliError("--trials applies to a new sweep from a file, not to a resumed one")
        return source, sweep
    raw = read_input(source, "sweep file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CliError(f"{source}: not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CliError(f"{source}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and args.trials is not None:
        data = {**data, "trials": args.trials}
    try:
        return None, parse_sweep(data)
    except SweepError as exc:
        raise CliError(f"{source}: {exc}") from None


def _settings(params: dict) -> str:
    from mnistlab.sweeps.results import format_param

    return ", ".join(f"{k}={format_param(v)}" for k, v in (params or {}).items())


def cmd_sweep(args, out: TextIO, err: TextIO) -> int:
    sweeps = SweepStore()
    sweep_id, sweep = _load(args, sweeps)
    from mnistlab.datasets import load_dataset

    load_dataset(sweep.config.dataset)  # a missing or damaged dataset is reported before a sweep is created
    if sweep_id is None:
        sweep_id = sweeps.create(sweep, owner="cli")
    elif sweeps.status(sweep_id) == "running":
        raise CliError(f"sweep {sweep_id} is running in another process")
    from mnistlab.runs.jobs import JobRunner, default_per_owner
    from mnistlab.runs.store import RunStore
    from mnistlab.sweeps.results import format_value, write_summary
    from mnistlab.sweeps.runner import SweepDriver
    from mnistlab.sweeps.study import load_study

    stream = err if args.json else out
    verbose = not args.json or err.isatty()
    done = [0]

    def show(event) -> None:
        if not verbose:
            return
        if event.kind == "waiting":
            stream.write(f"  waiting for room on the job runner: {event.message}\n")
        elif event.kind == "started":
            stream.write(f"  trial #{event.number} started: {_settings(event.params)}\n")
        elif event.kind == "epoch":
            curve = sweep.metric if sweep.metric.startswith("val_") else "val_accuracy"
            epochs = int((event.params or {}).get("epochs", sweep.config.epochs))
            stream.write(
                f"  trial #{event.number} epoch {event.epochs}/{epochs}: {curve} {format_value(curve, event.value)}\n"
            )
        elif event.kind == "finished":
            if event.status in ("completed", "pruned"):
                done[0] += 1
            value = format_value(sweep.metric, event.value)
            detail = f" after epoch {event.epochs}" if event.status == "pruned" else ""
            why = f" ({event.message})" if event.message else ""
            stream.write(
                f"[{done[0]}/{sweep.budget}] trial #{event.number} {event.status}{detail}: "
                f"{sweep.metric} {value}{why}\n"
            )
        stream.flush()

    if verbose:
        stream.write(
            f"Sweep {sweep_id} ({sweep.name}): {sweep.method}, {sweep.budget} trials over "
            f"{', '.join(sweep.keys)}; metric {sweep.metric}; pruning {sweep.prune or 'off'}\n"
        )
        stream.flush()
    runner = JobRunner(RunStore(), max_queued_per_owner=default_per_owner())
    try:
        with stop_on_interrupt(err) as should_stop:
            driver = SweepDriver(
                sweeps, sweep_id, runner, owner="cli", should_stop=should_stop, on_event=show
            )
            status = driver.run()
    finally:
        runner.shutdown(wait=True, timeout=30)
    data = write_summary(sweeps, sweep_id, load_study(sweeps, sweep_id, sweep), sweep)
    folder = sweeps.path(sweep_id)
    if args.json:
        out.write(json.dumps({**data, "status": status}, indent=2) + "\n")
    else:
        best = data["best"]
        if best:
            out.write(
                f"Best: trial #{best['id']}, {sweep.metric} {format_value(sweep.metric, best['metric'])}: "
                f"{_settings(best['params'])} (run {', '.join(best['run_ids'])})\n"
            )
        if data["importance"]:
            out.write(
                "Importance: "
                + ", ".join(f"{k} {100 * v:.0f} %" for k, v in data["importance"].items())
                + "\n"
            )
        out.write(
            f"Sweep {status}: {data['counts']['completed']} completed, {data['counts']['pruned']} pruned, "
            f"{data['counts']['failed']} failed; training time {duration(data['train_s'])}. "
            f"Summary: {folder / 'summary.md'}\n"
        )
        if status != "completed":
            out.write(f"Resume with: mnistlab sweep {sweep_id}\n")
    return EXIT_INTERRUPTED if status != "completed" else EXIT_OK
