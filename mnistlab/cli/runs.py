"""Run commands: train a model, list and show runs, classify an image, rename, delete, list presets.

``runs``, ``presets``, ``show``, ``rename`` and ``delete`` never import TensorFlow; ``train`` imports it only
once every argument is known to be good.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from mnistlab.cli.args import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    CliError,
    finite_number,
    read_input,
    setting_changes,
    spec_from_args,
    whole_number,
)
from mnistlab.cli.terminal import ProgressLine, clip, created, stop_on_interrupt, table
from mnistlab.datasets import class_names_for, get_dataset, load_dataset
from mnistlab.people import MACHINE
from mnistlab.recipes import recommended_config
from mnistlab.runs.run import Run, check_run_id, check_run_name
from mnistlab.runs.store import RunStore
from mnistlab.specs import (
    NOTEBOOK_RESULTS,
    PRESETS,
    count_params,
)
from mnistlab.text import duration, epochs_on_digits, percent, plural
from mnistlab.training import TrainConfig


def register(commands) -> None:
    """Add the run commands (train, runs, show, predict, rename, delete, presets) to the subparsers."""
    train = commands.add_parser(
        "train",
        help="train a model and save it as a run",
        description="Train a preset or a spec file; the run is saved in the store. "
        "Ctrl-C stops training and keeps the run as 'stopped' (exit 130).",
    )
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--spec", metavar="FILE.json", help="an architecture spec as JSON")
    train.add_argument("--epochs", type=whole_number)
    train.add_argument("--batch-size", type=whole_number)
    train.add_argument("--optimizer", help="adam, sgd or rmsprop")
    train.add_argument(
        "--learning-rate", type=finite_number, help="default: recommended for the batch size and optimizer"
    )
    train.add_argument("--seed", type=whole_number)
    train.add_argument("--subset", type=whole_number, help="train on this many training images (100-60000)")
    train.add_argument("--validation-split", type=finite_number, help="fraction held out, 0-0.5")
    train.add_argument("--name", help="a display name for the run")
    train.add_argument(
        "--dataset", help="the image set to train and test on (default mnist; see 'mnistlab data list')"
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="vary training images as fits the set (digits: tilts, slants, sizes, pens; clothing: mirror images, "
        "shifts); default: the preset's recipe (on for the cnn on Fashion-MNIST)",
    )
    train.add_argument("--json", action="store_true", help="print only a JSON summary")
    train.set_defaults(handler=cmd_train)

    runs = commands.add_parser("runs", help="list saved runs")
    runs.add_argument("action", nargs="?", choices=["list"], help="list (the default)")
    runs.add_argument("--dataset", help="only the runs of this dataset")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(handler=cmd_runs)

    show = commands.add_parser("show", help="details and per-epoch history of one run")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    predict = commands.add_parser("predict", help="classify a digit image with a saved run's model")
    predict.add_argument("run_id", metavar="RUN_ID")
    predict.add_argument("image", metavar="IMAGE", help="a PNG/JPEG of one digit (dark or light background)")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(handler=cmd_predict)

    rename = commands.add_parser("rename", help="give a run a new display name")
    rename.add_argument("run_id", metavar="RUN_ID")
    rename.add_argument("name", metavar="NAME")
    rename.set_defaults(handler=cmd_rename)

    delete = commands.add_parser("delete", help="delete a run and its model")
    delete.add_argument("run_id", metavar="RUN_ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=cmd_delete)

    presets = commands.add_parser("presets", help="the preset architectures with layers and parameters")
    presets.add_argument("--json", action="store_true")
    presets.set_defaults(handler=cmd_presets)


def run_summary(run: Run) -> dict:
    """A run as JSON-ready plain data (what ``train --json``, ``runs --json`` and ``show --json`` print)."""
    return {**run.to_dict(), "created": created(run.created)}


def _config_from_args(args, preset_name: str | None = None) -> TrainConfig:
    changes = setting_changes(
        args, subset="train_subset", validation_split="validation_split", augment="augment", dataset="dataset"
    )
    # The preset's recommended settings; unset batch size and rate follow the epochs and optimizer ("auto").
    return recommended_config(preset_name, **changes)


def cmd_train(args, out: TextIO, err: TextIO) -> int:
    spec, preset_name = spec_from_args(args)
    config = _config_from_args(args, preset_name)
    name = check_run_name(args.name) if args.name is not None else None
    data = load_dataset(config.dataset)  # a missing or damaged dataset is reported before any run is created
    store = RunStore()
    if not args.json:
        examples = int(
            min(config.train_subset or len(data.x_train), len(data.x_train)) * (1 - config.validation_split)
        )
        on = epochs_on_digits(config.epochs, examples)
        if data.name != "mnist":
            on = on.replace(" digit", f" {get_dataset(data.name).title} image")
        out.write(
            f"Training {name or spec.name}: {spec.summary()} · {count_params(spec, data.num_classes):,} "
            f"parameters · {on} · batch {config.batch_size}, "
            f"peak rate {config.learning_rate:g}\n"
        )
        out.flush()
    display = ProgressLine(err) if args.json else ProgressLine(out)
    if args.json and not err.isatty():
        display = None
    from mnistlab.runs.executors import make_executor
    from mnistlab.runs.experiment import train_run
    from mnistlab.runs.task import TaskFailed, WorkerDied

    # Where the dashboard would train: a worker process here, or Ray when MNISTLAB_RAY_ADDRESS is set.
    executor = make_executor(workers=1)
    created: list[str] = []
    try:
        with stop_on_interrupt(err) as should_stop:
            run_id = train_run(
                spec,
                config,
                store,
                name=name,
                preset=preset_name,
                on_progress=display,
                should_stop=should_stop,
                data=data,
                executor=executor,
                on_created=created.append,
            )
    except (TaskFailed, WorkerDied) as exc:
        err.write(f"{PROG}: error: training failed: {exc} (run {created[0] if created else '-'})\n")
        return EXIT_FAILED
    finally:
        executor.shutdown()
    run = store.load(run_id)
    if args.json:
        out.write(json.dumps(run_summary(run), indent=2) + "\n")
    else:
        out.write(
            f"Run {run.id} ({run.name}): {run.status} after {plural(run.epochs_done, 'epoch')} in "
            f"{duration(run.duration_s)}; test accuracy {percent(run.test_accuracy)}\n"
        )
    return (
        EXIT_INTERRUPTED if run.status == "stopped" else EXIT_OK if run.status == "completed" else EXIT_FAILED
    )


def cmd_runs(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    err.writelines(f"{PROG}: warning: {problem}\n" for folder, problem in store.problems())
    runs = store.list_runs()
    if args.dataset:
        runs = [r for r in runs if r.dataset == args.dataset]
    if args.json:
        out.write(json.dumps([run_summary(r) for r in runs], indent=2) + "\n")
        return EXIT_OK
    if not runs:
        out.write(f"No runs yet in {store.root}. Train one with: {PROG} train --preset baseline\n")
        return EXIT_OK
    rows = [
        [
            r.id,
            clip(r.name, 28),
            r.status,
            r.dataset,
            r.preset or "—",
            f"{r.params:,}",
            str(r.epochs_done),
            percent(r.test_accuracy),
            duration(r.duration_s),
            created(r.created),
        ]
        for r in runs
    ]
    headers = ["id", "name", "status", "dataset", "preset", "params", "epochs", "test acc", "time", "created"]
    out.write(table(headers, rows, right={5, 6, 7, 8}) + "\n")
    return EXIT_OK


def _existing_run(store: RunStore, run_id: str) -> Run:
    return store.load(check_run_id(run_id))


def cmd_show(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    metrics = store.metrics(run.id)
    if args.json:
        out.write(
            json.dumps({**run_summary(run), "history": run.history, "metrics": metrics}, indent=2) + "\n"
        )
        return EXIT_OK
    config = run.config
    lines = [
        f"{run.name}  ({run.id})",
        f"  status       {run.status}" + (f": {run.error}" if run.error else ""),
        f"  dataset      {run.dataset}",
        f"  preset       {run.preset or '—'}",
        f"  layers       {run.spec.summary()}",
        f"  parameters   {run.params:,}",
        "  training     " + ", ".join(f"{k}={v}" for k, v in config.items()),
        f"  epochs done  {run.epochs_done}",
        f"  test acc     {percent(run.test_accuracy)}"
        + (f"  (loss {run.test_loss:.4f})" if run.test_loss is not None else ""),
        f"  time         {duration(run.duration_s)}",
        f"  created      {created(run.created)}",
    ]
    out.write("\n".join(lines) + "\n")
    history = run.history
    if history.get("loss"):
        rows = []
        for i, loss in enumerate(history["loss"]):

            def at(key, i=i):
                values = history.get(key) or []
                return values[i] if i < len(values) else None

            rows.append(
                [
                    str(i + 1),
                    f"{loss:.4f}" if loss is not None else "—",
                    percent(at("accuracy")),
                    f"{at('val_loss'):.4f}" if at("val_loss") is not None else "—",
                    percent(at("val_accuracy")),
                    duration(at("epoch_s")),
                ]
            )
        out.write(
            "\n"
            + table(["epoch", "loss", "acc", "val_loss", "val_acc", "time"], rows, right={0, 1, 2, 3, 4, 5})
            + "\n"
        )
    if metrics and metrics.get("per_class"):
        recall = metrics["per_class"]["recall"]
        names = class_names_for(run.dataset, len(recall))
        out.write(
            "\nRecall per class: "
            + "  ".join(f"{names[d]}: {100 * r:.1f}%" for d, r in enumerate(recall))
            + "\n"
        )
    return EXIT_OK


def cmd_predict(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    if not run.has_model:
        raise CliError(f"run {run.id} ({run.name}) has no trained model (status: {run.status})")
    from mnistlab import drawing

    raw = read_input(args.image, "image")
    try:
        image = drawing.canvas_to_mnist(drawing.read_image(raw))
    except drawing.ImageError as exc:
        raise CliError(f"{args.image}: {exc}") from None
    if image is None:
        raise CliError(f"{args.image}: no digit found (the image looks blank)")
    model = store.load_model(run.id)
    probs = [float(p) for p in drawing.predict_digit(model, image)]
    ranked = sorted(range(len(probs)), key=lambda d: probs[d], reverse=True)
    digit = ranked[0]
    names = class_names_for(run.dataset, len(probs))
    if args.json:
        out.write(
            json.dumps(
                {
                    "run_id": run.id,
                    "dataset": run.dataset,
                    "digit": digit,
                    "class_name": names[digit],
                    "confidence": probs[digit],
                    "top3": [[d, probs[d]] for d in ranked[:3]],
                    "probabilities": probs,
                }
            )
            + "\n"
        )
    else:
        out.write(f"{names[digit]}  (confidence {100 * probs[digit]:.1f}%, model: {run.name})\n")
        out.write("top 3: " + ", ".join(f"{names[d]} {100 * probs[d]:.1f}%" for d in ranked[:3]) + "\n")
    return EXIT_OK


def cmd_rename(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    name = check_run_name(args.name)
    store.rename(run.id, name, actor=MACHINE)
    out.write(f"Renamed {run.id}: {run.name} -> {name}\n")
    return EXIT_OK


def cmd_delete(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = _existing_run(store, args.run_id)
    if not args.yes:
        stdin = sys.stdin
        if not stdin.isatty():
            raise CliError(f"refusing to delete {run.id} without confirmation; add --yes")
        out.write(f"Delete run {run.id} ({run.name}, {run.status})? [y/N] ")
        out.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            out.write("Nothing deleted.\n")
            return EXIT_OK
    store.delete(run.id, actor=MACHINE)
    out.write(f"Deleted {run.id} ({run.name})\n")
    return EXIT_OK


def cmd_presets(args, out: TextIO, err: TextIO) -> int:
    if args.json:
        data = [
            {
                **spec.to_dict(),
                "params": count_params(spec),
                "notebook_accuracy": NOTEBOOK_RESULTS.get(name, (None, None, None))[2],
            }
            for name, spec in PRESETS.items()
        ]
        out.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    rows = [
        [
            name,
            spec.summary(),
            f"{count_params(spec):,}",
            f"{NOTEBOOK_RESULTS[name][2]:.2f}%" if name in NOTEBOOK_RESULTS else "—",
        ]
        for name, spec in PRESETS.items()
    ]
    out.write(
        table(["preset", "hidden layers (then Dense(10, softmax))", "params", "notebook"], rows, right={2, 3})
        + "\n"
    )
    return EXIT_OK
