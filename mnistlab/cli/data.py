"""Dataset commands: which image sets the lab knows, adding a folder of IDX files, forgetting one, checking one.

    mnistlab data list
    mnistlab data add kmnist ~/data/kmnist --classes "o,ki,su,tsu,na,ha,ma,ya,re,wo" --title KMNIST
    mnistlab data remove kmnist
    mnistlab data check fashion-mnist

A bad folder (missing files, wrong sums, wrong shapes, labels out of range) is one line and exit code 2, and
nothing is written. None of these import TensorFlow.
"""

from __future__ import annotations

import json
from typing import TextIO

from mnistlab.cli.args import EXIT_OK, PROG, CliError
from mnistlab.cli.terminal import clip, table
from mnistlab.datasets import add_dataset, dataset_missing, get_dataset, known_datasets, load_dataset
from mnistlab.datasets.registry import FRAMINGS


def register(commands) -> None:
    """Add ``data list|add|remove|check`` to the subparsers."""
    data = commands.add_parser("data", help="the image sets to train on: list, add, remove, check")
    actions = data.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="each dataset, its classes and where its files are")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    add = actions.add_parser(
        "add",
        help="add a folder of the four 28x28 IDX files under a name",
        description="Read and check the four IDX files in DIR (train/t10k images and labels, .gz or raw) "
        "and remember them as NAME. The number of classes comes from the labels.",
    )
    add.add_argument("name", metavar="NAME", help="lowercase letters, digits and '-', e.g. kmnist")
    add.add_argument("folder", metavar="DIR")
    add.add_argument("--classes", help='the class names in label order, separated by commas: "a,b,c"')
    add.add_argument("--title", help="how pages and reports name it (default: NAME)")
    add.add_argument(
        "--framing",
        choices=FRAMINGS,
        default="centred",
        help="how a drawing is prepared for it: centred (MNIST's box) or filled (the item fills the frame)",
    )
    add.set_defaults(handler=cmd_add)

    remove = actions.add_parser("remove", help="forget an added dataset (its files stay where they are)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=cmd_remove)

    check = actions.add_parser("check", help="read and verify a dataset's files (all datasets if no NAME)")
    check.add_argument("name", metavar="NAME", nargs="?")
    check.set_defaults(handler=cmd_check)


def cmd_list(args, out: TextIO, err: TextIO) -> int:
    sets = known_datasets()
    if args.json:
        rows = [
            {
                "name": ds.name,
                "title": ds.title,
                "classes": list(ds.class_names),
                "builtin": ds.builtin,
                "framing": ds.framing,
                "folder": str(ds.folder()) if ds.folder() else None,
                "missing": dataset_missing(ds.name),
            }
            for ds in sets
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    rows = []
    for ds in sets:
        missing = dataset_missing(ds.name)
        rows.append(
            [
                ds.name,
                ds.title,
                str(ds.num_classes),
                clip(", ".join(ds.class_names), 40),
                missing or str(ds.folder()),
            ]
        )
    out.write(table(["name", "title", "classes", "class names", "files"], rows, right={2}) + "\n")
    return EXIT_OK


def cmd_add(args, out: TextIO, err: TextIO) -> int:
    classes = None
    if args.classes is not None:
        classes = [name.strip() for name in args.classes.split(",")]
        if not any(classes):
            raise CliError('--classes needs the class names separated by commas, e.g. --classes "cat,dog"')
    ds = add_dataset(args.name, args.folder, class_names=classes, title=args.title, framing=args.framing)
    out.write(
        f"Added {ds.name} ({ds.title}): {ds.num_classes} classes ({clip(', '.join(ds.class_names), 60)}) "
        f"from {ds.folder()}. Train on it with: {PROG} train --preset baseline --dataset {ds.name}\n"
    )
    return EXIT_OK


def cmd_remove(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.datasets import remove_dataset

    remove_dataset(args.name)
    out.write(f"Removed {args.name} from the list; its files were not touched.\n")
    return EXIT_OK


def cmd_check(args, out: TextIO, err: TextIO) -> int:
    names = [get_dataset(args.name).name] if args.name else [ds.name for ds in known_datasets()]
    for name in names:
        if not args.name and dataset_missing(name):  # checking everything: an absent set is not an error
            out.write(f"{name}: not here. {dataset_missing(name)}\n")
            continue
        data = load_dataset(name)  # DataError (exit 2) when missing or damaged
        out.write(
            f"{name}: OK, {len(data.x_train):,} training and {len(data.x_test):,} test images of 28x28, "
            f"{data.num_classes} classes, files verified ({data.source})\n"
        )
    return EXIT_OK
