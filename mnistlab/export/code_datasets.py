"""The Keras script of a run on another dataset than MNIST: the MNIST script (``mnistlab.export.code``) with
its data, classes and words changed, so both stay one template.

The script reads the four IDX files mnistlab reads: from the folder where mnistlab found them (for
Fashion-MNIST, Debian's ``/usr/share/datasets/fashion-mnist``) or from ``--data``. Nothing downloads. Names
reach the script only through ``json.dumps`` (valid Python string literals) or validated numbers.
"""

from __future__ import annotations

import json

from mnistlab.training import TrainConfig


def _literal(value) -> str:
    """A Python literal of plain text or a list of texts (JSON's escaping is valid Python)."""
    return json.dumps(value)


def _words(text: str) -> str:
    """Text safe in a ``#`` comment or a docstring line."""
    return " ".join(str(text).replace('"""', "'''").replace("\\", "/").split())[:120]


def other_set_script(script: str, config: TrainConfig) -> str:
    """``script`` (written for ``config.dataset``'s number of classes) made to read that set's files."""
    from mnistlab.datasets import get_dataset

    ds = get_dataset(config.dataset)
    folder = ds.folder() or (ds.folders[0] if ds.folders else None)
    n = ds.num_classes
    hint = (
        " On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist."
        if ds.name == "fashion-mnist"
        else ""
    )
    title = _words(ds.title)
    block = (
        "\n\n# ---- The dataset ------------------------------------------------------------------------------------"
        f"-------\nDATASET = {_literal(ds.name)}  # {title}, as mnistlab names it\n"
        f"CLASS_NAMES = {_literal(list(ds.class_names))}  # label i is CLASS_NAMES[i]\n"
        f"DATA_FOLDER = {_literal(str(folder) if folder else '')}  # where mnistlab reads its four IDX files; "
        "--data overrides\n"
        f"MISSING_HINT = {_literal(hint)}"
    )
    swaps = [
        ('"""Train the MNIST network "', f'"""Train the {title} network "'),
        (
            "--data mnist.npz           # Keras' mnist.npz, or a folder of the four IDX files",
            "--data FOLDER              # a folder of the four IDX files (default: DATA_FOLDER below)",
        ),
        (
            "                           # no --data: download MNIST with keras.datasets",
            "   # reads DATA_FOLDER",
        ),
        ("--limit 2000    # a quick try on fewer digits", "--limit 2000    # a quick try on fewer images"),
        ("# None: all 60,000 training digits", "# None: all the training images"),
        ("the share of training digits held out", "the share of training images held out"),
        ("TRAIN_SUBSET = ", "TRAIN_SUBSET = "),  # anchor check only
        (
            '    """An IDX file (MNIST\'s own format, optionally gzipped)',
            '    """An IDX file (optionally gzipped)',
        ),
        (
            "def load_mnist(path=None):\n"
            '    """(x_train, y_train), (x_test, y_test): uint8 images of 28x28 and their labels 0-9."""\n'
            "    if path is None:\n"
            "        return keras.datasets.mnist.load_data()  # downloads once to ~/.keras/datasets\n"
            "    path = Path(path)\n",
            "def load_data(path=None):\n"
            f'    """(x_train, y_train), (x_test, y_test): uint8 images of 28x28 and their labels 0-{n - 1}."""\n'
            "    path = Path(path or DATA_FOLDER)\n"
            "    if not path.exists():\n"
            '        raise SystemExit(f"No folder {path}: give --data FOLDER with the four IDX files of {DATASET}."'
            " + MISSING_HINT)\n",
        ),
        ("digits, then hold out VALIDATION_SPLIT", "images, then hold out VALIDATION_SPLIT"),
        (
            'help="mnist.npz or a folder of the four MNIST IDX files (.gz or not)"',
            'help="a folder of the four IDX files (.gz or not); default: DATA_FOLDER"',
        ),
        ('help="train on this many digits only"', 'help="train on this many images only"'),
        ("load_mnist(args.data)", "load_data(args.data)"),
        (
            "    model.summary()\n",
            '    model.summary()\n    print(f"{DATASET}: {len(CLASS_NAMES)} classes:", ", ".join(CLASS_NAMES))\n',
        ),
        (
            "# labels are digits 0-9, the output is 10 probabilities",
            f"# labels are class numbers 0-{n - 1}, the output is {n} probabilities",
        ),
        ("test digits)", "test images)"),
    ]
    for old, new in swaps:
        if old not in script:
            raise RuntimeError(f"the MNIST script changed: {old[:60]!r} is gone; update code_datasets.py")
        script = script.replace(old, new, 1)
    anchor = script.index("\n", script.index("TRAIN_SUBSET = "))
    return script[:anchor] + block + script[anchor:]
