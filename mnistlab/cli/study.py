"""Study commands: reproduce the notebook's study headlessly, and run the benchmarks."""

from __future__ import annotations

import argparse
import contextlib
import shutil
from pathlib import Path
from typing import TextIO

from mnistlab.cli.args import EXIT_INTERRUPTED, EXIT_OK, CliError, preset_list, whole_number
from mnistlab.cli.terminal import ProgressLine, stop_on_interrupt, table
from mnistlab.text import duration, percent
from mnistlab.training import TrainConfig


def register(commands) -> None:
    """Add ``reproduce`` and ``bench`` to the subparsers."""
    repro = commands.add_parser(
        "reproduce",
        help="re-run the notebook study over several seeds and write a report with figures",
        description="Train the notebook's presets with seeds 0..N-1, save every run, and write results.md, "
        "results.json and the figures (PNG) to --out.",
    )
    repro.add_argument("--seeds", type=whole_number, default=3, help="seeds per preset (default 3)")
    repro.add_argument("--epochs", type=whole_number, help=f"epochs per run (default {TrainConfig().epochs})")
    repro.add_argument("--out", metavar="DIR", help="output folder (default artifacts/reproduce)")
    repro.add_argument(
        "--presets", type=preset_list, help="comma-separated (default baseline,deeper,dropout,tuned)"
    )
    repro.add_argument(
        "--dataset", default="mnist", help="the image set (default mnist; see 'mnistlab data list')"
    )
    repro.add_argument(
        "--no-plain-fit",
        dest="plain_fit",
        action="store_false",
        help="skip training each network with plain Keras fit at the same budget (halves the time)",
    )
    repro.add_argument("--subset", type=whole_number, help=argparse.SUPPRESS)  # quick checks only
    repro.set_defaults(handler=cmd_reproduce)

    commands.add_parser(
        "bench", help="benchmarks: speed, latency, memory (see 'mnistlab bench --help')", add_help=False
    )


def cmd_reproduce(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.datasets import load_dataset
    from mnistlab.study.reproduce import check_study, study_presets

    presets = args.presets or study_presets(args.dataset)
    try:
        config = check_study(args.seeds, args.epochs, presets, args.subset, args.dataset)
    except ValueError as exc:  # SpecError and ConfigError are ValueErrors too
        raise CliError(str(exc)) from None
    data = load_dataset(config.dataset)  # missing or damaged: one line, before any training
    from mnistlab.files import artifacts_dir

    target = Path(args.out) if args.out else artifacts_dir() / "reproduce"
    target.mkdir(parents=True, exist_ok=True)  # fail now, not after minutes of training
    tasks = len(presets) * args.seeds
    on = "" if config.dataset == "mnist" else f" on {config.dataset}"
    versus = " (each against plain Keras fit at the same budget)" if args.plain_fit else ""
    out.write(
        f"Reproducing the notebook study{on}{versus}: {', '.join(presets)} x {args.seeds} seed"
        f"{'s' if args.seeds != 1 else ''} = {tasks} run{'s' if tasks != 1 else ''} of {config.epochs} "
        f"epoch{'s' if config.epochs != 1 else ''}\n"
    )
    out.flush()
    live = out.isatty()
    line = ProgressLine(out, live=live)

    def show(event) -> None:
        label = f"[{event.task}/{event.tasks}] {event.preset} seed {event.seed}"
        if event.result is not None:
            r = event.result
            text = (
                f"{label}: {r['status']}, test accuracy {percent(r['test_accuracy'])} "
                f"in {duration(r['duration_s'])}"
            )
            out.write(
                ("\r" + text.ljust(shutil.get_terminal_size((100, 20)).columns - 1) if live else text) + "\n"
            )
            out.flush()
            line._drawn = False
        elif event.progress is not None and live:
            line.prefix = label + "  "
            line._write(line.format(event.progress), end="")

    from mnistlab.runs.executors import make_executor
    from mnistlab.study.reproduce import reproduce

    executor = make_executor(workers=1)
    with stop_on_interrupt(err) as should_stop, _shut_down_at_end(executor):
        results = reproduce(
            seeds=args.seeds,
            epochs=args.epochs,
            out=target,
            presets=presets,
            on_progress=show,
            should_stop=should_stop,
            subset=args.subset,
            executor=executor,
            data=data,
            dataset=config.dataset,
            plain_fit=args.plain_fit,
        )
    out.write(
        "\n"
        + table(
            ["experiment", "params", "notebook", "this study", "seeds"],
            [
                [
                    e["title"],
                    f"{e['params']:,}",
                    percent(e["notebook_accuracy"] / 100 if e["notebook_accuracy"] else None),
                    "—"
                    if e["accuracy"]["mean"] is None
                    else f"{e['accuracy']['mean']:.2f}%"
                    + ("" if e["accuracy"]["std"] is None else f" ± {e['accuracy']['std']:.2f}"),
                    str(e["accuracy"]["n"]),
                ]
                for e in results["experiments"]
            ],
            right={1, 2, 3, 4},
        )
        + "\n\n"
    )
    compared = [e for e in results["experiments"] if e.get("plain_fit")]
    if compared:
        out.write(_fit_table(compared) + "\n\n")
    out.write("\n".join(f"- {note}" for note in results["findings"]) + "\n\n")
    out.write(
        f"Wrote {target / 'results.md'}, results.json and {len(results['figures'])} figures "
        f"in {duration(results['duration_s'])}.\n"
    )
    return EXIT_INTERRUPTED if results["stopped"] else EXIT_OK


def _fit_table(experiments: list[dict]) -> str:
    """mnistlab against plain fit at the same budget: final accuracies, seconds to fit's accuracy, speed-up."""
    rows = []
    for e in experiments:
        c = e["plain_fit"]
        rows.append(
            [
                e["title"],
                percent(c["ours_accuracy"]),
                percent(c["fit_accuracy"]),
                "never" if c["ours_s"] is None else f"{c['ours_s']:.1f} s ({c['reached']}/{c['seeds']})",
                "—" if c["fit_s"] is None else f"{c['fit_s']:.1f} s",
                "—" if c["speedup"] is None else f"{c['speedup']:.1f}x",
            ]
        )
    headers = ["experiment", "mnistlab", "plain fit", "mnistlab to fit's acc", "fit to it", "speed-up"]
    return "Against plain Keras fit (Adam 1e-3, batch 128), same epochs:\n" + table(
        headers, rows, right={1, 2, 3, 4, 5}
    )


@contextlib.contextmanager
def _shut_down_at_end(executor):
    try:
        yield executor
    finally:
        executor.shutdown()


def run_bench(argv: list[str]) -> int:
    """Hand every argument to ``mnistlab bench``'s own parser."""
    from mnistlab.bench.run import main as bench_main

    return int(bench_main(argv) or 0)
