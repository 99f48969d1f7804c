"""Handwriting commands: score a run on drawings, and manage the handwriting sets kept from the Draw page.

    mnistlab evaluate RUN_ID --drawings DIR [--json]     DIR: PNG/JPEG images + labels.csv (file,label)
    mnistlab evaluate RUN_ID --set class-4b
    mnistlab sets                                        list the sets
    mnistlab sets export class-4b class-4b.zip
    mnistlab sets import class-4b.zip [--name NAME]
    mnistlab sets rename class-4b class-4b-monday
    mnistlab sets delete class-4b --yes

Only ``evaluate`` imports TensorFlow, once the run and the drawings are known to be good.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from mnistlab.cli.args import EXIT_OK, PROG, CliError, read_input
from mnistlab.cli.terminal import clip, created, table
from mnistlab.handwriting import (
    HandwritingError,
    HandwritingStore,
    export_set,
    import_name,
    import_set,
    read_folder,
    score_drawings,
)
from mnistlab.people import MACHINE
from mnistlab.runs.run import check_run_id
from mnistlab.runs.store import RunStore
from mnistlab.text import percent


def register(commands) -> None:
    """Add ``evaluate`` and ``sets`` (with list, export, import, rename, delete) to the subparsers."""
    evaluate = commands.add_parser(
        "evaluate",
        help="score a run on drawings: accuracy, confusion matrix, mistakes",
        description="Score a saved run's model on a folder of drawings (PNG/JPEG images with a labels.csv "
        "of file,label: the format a handwriting set exports) or on a handwriting set.",
    )
    evaluate.add_argument("run_id", metavar="RUN_ID")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--drawings", metavar="DIR", help="a folder of PNG/JPEG images with labels.csv")
    source.add_argument("--set", metavar="SET", help="a handwriting set kept from the Draw page")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(handler=cmd_evaluate)

    sets = commands.add_parser("sets", help="handwriting sets: list, export, import, rename, delete")
    sets.set_defaults(handler=cmd_sets_list, json=False)
    actions = sets.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the sets (the default)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_sets_list)
    export = actions.add_parser("export", help="write a set as a zip")
    export.add_argument("name", metavar="SET")
    export.add_argument("file", metavar="FILE.zip")
    export.set_defaults(handler=cmd_sets_export)
    imported = actions.add_parser("import", help="add a set from a zip (checked before anything is written)")
    imported.add_argument("file", metavar="FILE.zip")
    imported.add_argument("--name", help="the new set's name (default: from the file name)")
    imported.set_defaults(handler=cmd_sets_import)
    rename = actions.add_parser("rename", help="give a set a new name")
    rename.add_argument("name", metavar="SET")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(handler=cmd_sets_rename)
    delete = actions.add_parser("delete", help="delete a set and its drawings")
    delete.add_argument("name", metavar="SET")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=cmd_sets_delete)


def _fail_on_bad_drawings(call, *args):
    try:
        return call(*args)
    except HandwritingError as exc:
        raise CliError(str(exc)) from None


def cmd_evaluate(args, out: TextIO, err: TextIO) -> int:
    store = RunStore()
    run = store.load(check_run_id(args.run_id))
    if not run.has_model:
        raise CliError(f"run {run.id} ({run.name}) has no trained model (status: {run.status})")
    from mnistlab.people.scoring import handwriting_note

    if note := handwriting_note(run.dataset):
        raise CliError(f"run {run.id} ({run.name}) was trained on {run.dataset}. {note}")
    if args.drawings is not None:
        drawings, source = _fail_on_bad_drawings(read_folder, Path(args.drawings)), args.drawings
    else:
        sets = HandwritingStore()
        drawings, source = _fail_on_bad_drawings(sets.drawings, args.set), f"set {args.set}"
    if not len(drawings):
        raise CliError(f"{source} holds no drawings yet")
    model = store.load_model(run.id)
    metrics = score_drawings(model, drawings)
    if args.json:
        summary = {
            "run_id": run.id,
            "run_name": run.name,
            "source": source,
            "mnist_test_accuracy": run.test_accuracy,
            **metrics,
        }
        out.write(json.dumps(summary) + "\n")
        return EXIT_OK
    out.write(
        f"{run.name} ({run.id}) on {source}: {percent(metrics['accuracy'])} of {metrics['n']} drawings "
        f"read correctly (MNIST test: {percent(run.test_accuracy)})\n"
    )
    recall = metrics["per_class"]["recall"]
    support = metrics["per_class"]["support"]
    out.write(
        "Per digit: "
        + "  ".join(f"{d}: {100 * recall[d]:.0f}%" if support[d] else f"{d}: —" for d in range(10))
        + "\n"
    )
    if metrics["mistakes"]:
        out.write("Mistakes (most confident first):\n")
        rows = [
            [metrics["files"][i], str(true), str(pred), f"{100 * conf:.1f}%"]
            for i, true, pred, conf in metrics["mistakes"][:20]
        ]
        out.write(table(["file", "meant", "read as", "confidence"], rows, right={1, 2, 3}) + "\n")
    return EXIT_OK


def cmd_sets_list(args, out: TextIO, err: TextIO) -> int:
    sets = HandwritingStore().list_sets()
    if args.json:
        out.write(
            json.dumps(
                [
                    {"name": s.name, "count": s.count, "per_digit": s.per_digit, "problem": s.problem}
                    for s in sets
                ],
                indent=2,
            )
            + "\n"
        )
        return EXIT_OK
    if not sets:
        out.write(
            f"No handwriting sets yet. Keep drawings on the Draw page, or: {PROG} sets import FILE.zip\n"
        )
        return EXIT_OK
    rows = [
        [
            s.name,
            str(s.count),
            " ".join(str(n) for n in s.per_digit) if not s.problem else clip(s.problem, 40),
            created(s.updated),
        ]
        for s in sets
    ]
    out.write(table(["set", "drawings", "per digit 0-9", "changed"], rows, right={1}) + "\n")
    return EXIT_OK


def cmd_sets_export(args, out: TextIO, err: TextIO) -> int:
    data = _fail_on_bad_drawings(export_set, HandwritingStore(), args.name)
    target = Path(args.file)
    if target.exists():
        raise CliError(f"{target} already exists; choose another file name")
    target.write_bytes(data)
    out.write(f"Exported {args.name} to {target} ({len(data) / 1024:.0f} KB)\n")
    return EXIT_OK


def cmd_sets_import(args, out: TextIO, err: TextIO) -> int:
    store = HandwritingStore()
    data = read_input(args.file, "zip file")
    name = args.name if args.name is not None else import_name(store, args.file)
    name = _fail_on_bad_drawings(import_set, store, data, name)
    count = len(store.rows(name))
    out.write(f"Imported {count} drawings as the set {name}\n")
    return EXIT_OK


def cmd_sets_rename(args, out: TextIO, err: TextIO) -> int:
    _fail_on_bad_drawings(HandwritingStore().rename, args.name, args.new_name)
    out.write(f"Renamed {args.name} -> {args.new_name}\n")
    return EXIT_OK


def cmd_sets_delete(args, out: TextIO, err: TextIO) -> int:
    store = HandwritingStore()
    count = len(_fail_on_bad_drawings(store.rows, args.name))
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError(f"refusing to delete {args.name} without confirmation; add --yes")
        out.write(f"Delete the set {args.name} and its {count} drawings? [y/N] ")
        out.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.write("Nothing deleted.\n")
            return EXIT_OK
    store.delete(args.name, actor=MACHINE)
    out.write(f"Deleted {args.name} ({count} drawings)\n")
    return EXIT_OK
