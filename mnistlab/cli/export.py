"""Take-it-with-you commands: the Keras code of an architecture, exports of a run, importing a .keras file.

    mnistlab code --preset cnn --out train_cnn.py
    mnistlab export RUN_ID --format tflite --out exports/
    mnistlab import my_net.keras --name "my net"

``code`` never imports TensorFlow; ``export`` and ``import`` do only once their arguments are checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from mnistlab.cli.args import EXIT_OK, CliError, finite_number, setting_changes, spec_from_args, whole_number
from mnistlab.files import atomic_write_bytes
from mnistlab.recipes import recommended_config
from mnistlab.runs.run import check_run_id, check_run_name
from mnistlab.runs.store import RunStore
from mnistlab.specs import PRESETS
from mnistlab.training import SUGGESTED_LR, TrainConfig


def register(commands) -> None:
    """Add ``code``, ``export`` and ``import`` to the subparsers."""
    code = commands.add_parser(
        "code",
        help="print a standalone Keras script that builds and trains an architecture",
        description="Write the Keras code of a run, a preset or a spec file: a plain Python script (no "
        "mnistlab import) that loads MNIST, builds the network and trains it with the same settings.",
    )
    source = code.add_mutually_exclusive_group(required=True)
    source.add_argument("run_id", metavar="RUN_ID", nargs="?", help="a saved run (its spec and settings)")
    source.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--spec", metavar="FILE.json", help="an architecture spec as JSON")
    code.add_argument("--epochs", type=whole_number)
    code.add_argument("--batch-size", type=whole_number)
    code.add_argument("--optimizer", help="adam, sgd or rmsprop")
    code.add_argument("--learning-rate", type=finite_number)
    code.add_argument("--seed", type=whole_number)
    code.add_argument("--dataset", help="the image set the script trains on (default: mnist, or the run's)")
    code.add_argument("--out", metavar="FILE.py", help="write the script here instead of printing it")
    code.set_defaults(handler=cmd_code)

    from mnistlab.export.formats import FORMATS

    export = commands.add_parser(
        "export",
        help="write a run as .keras, SavedModel, TFLite, TensorBoard logs, CSV or JSON",
        description="Export a saved run for other tools. Files are named after the run id.",
    )
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument(
        "--out", metavar="DIR", default="exports", help="folder to write into (default: exports)"
    )
    export.set_defaults(handler=cmd_export)

    imp = commands.add_parser(
        "import",
        help="bring in a .keras model trained elsewhere as a run marked 'imported'",
        description="Load a .keras file safely (no Lambda layers or code), check it reads 28x28 images into "
        "the dataset's classes (MNIST: 10 digits), score it on that dataset's test set and save it as a run.",
    )
    imp.add_argument("file", metavar="FILE.keras")
    imp.add_argument("--dataset", default="mnist", help="the image set it was trained on (default mnist)")
    imp.add_argument("--name", help="a display name for the run (default: the file name)")
    imp.add_argument("--json", action="store_true", help="print only a JSON summary")
    imp.set_defaults(handler=cmd_import)


def _code_source(args):
    """(spec, config) for ``mnistlab code``: a run's, or a preset's or spec file's with the recommended settings;
    flags change the settings either way."""
    changes = setting_changes(args, dataset="dataset")
    if args.run_id is not None:
        run = RunStore().load(check_run_id(args.run_id))
        if run.imported:
            raise CliError(
                f"run {run.id} was imported from a file; mnistlab does not know how it was trained, "
                "so it cannot write its code"
            )
        config = TrainConfig.from_dict(run.config)
        if args.optimizer and args.learning_rate is None:
            changes["learning_rate"] = SUGGESTED_LR.get(args.optimizer, config.learning_rate)
        return run.spec, config.replace(**changes) if changes else config
    spec, preset_name = spec_from_args(args)
    return spec, recommended_config(preset_name, **changes)


def cmd_code(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.export.code import training_script

    spec, config = _code_source(args)
    script = training_script(spec, config)
    if args.out is None:
        out.write(script)
        return EXIT_OK
    target = Path(args.out)
    if target.is_dir():
        raise CliError(f"{args.out} is a folder; give a file name such as train_{spec.name}.py")
    atomic_write_bytes(target, script.encode())
    err.write(
        f"Wrote {target} ({len(script.splitlines())} lines). Run it with: python {target} --data PATH\n"
    )
    return EXIT_OK


def cmd_export(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.export.formats import export_run

    run_id = check_run_id(args.run_id)
    written = export_run(RunStore(), run_id, args.format, Path(args.out))
    for path in written:
        out.write(f"{path}\n")
    if args.format == "tensorboard":
        err.write(f"Open with: tensorboard --logdir {Path(args.out)}\n")
    return EXIT_OK


def cmd_import(args, out: TextIO, err: TextIO) -> int:
    from mnistlab.export.importing import check_upload_name, import_model_file

    check_upload_name(args.file)
    name = check_run_name(args.name) if args.name is not None else None
    if not Path(args.file).is_file():
        raise CliError(f"no file {args.file}")
    store = RunStore()
    run_id = import_model_file(args.file, store, name=name, dataset=args.dataset)
    run = store.load(run_id)
    if args.json:
        out.write(
            json.dumps(
                {"id": run.id, "name": run.name, "dataset": run.dataset, "test_accuracy": run.test_accuracy}
            )
            + "\n"
        )
    else:
        out.write(
            f"Imported {Path(args.file).name} as run {run.id} ({run.name}): test accuracy "
            f"{run.test_accuracy:.2%} on "
            + ("10,000 MNIST test digits" if run.dataset == "mnist" else f"the {run.dataset} test set")
            + "\n"
        )
    return EXIT_OK
