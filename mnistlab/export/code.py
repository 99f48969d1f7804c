"""The Keras code of any architecture: a standalone, readable training script for a spec and a TrainConfig.

    script = training_script(PRESETS["dropout"], TrainConfig(epochs=8))

The script uses only Keras and NumPy (no mnistlab import) and mirrors what ``mnistlab.training.train`` does:
the same layers as ``mnistlab.models.build_model``, the same optimizer, warm-up + cosine schedule, batch size,
epochs, validation split and seed. It reads MNIST from ``--data`` (Keras' ``mnist.npz`` or a folder of the
four IDX files, gzipped or not) and falls back to ``keras.datasets.mnist`` (which downloads) only when given
nothing. For another dataset (``config.dataset``) it reads the same four IDX files mnistlab reads, from the
folder where mnistlab found them (for Fashion-MNIST, Debian's system folder) or from ``--data``; its output
layer has that set's number of classes and the script names them (``other_set_script``). ``--epochs`` and ``--limit`` make a quick try possible; ``--save`` writes the trained ``.keras`` file.

Nothing from the spec reaches the script except through ``repr`` (strings) or validated numbers and names, so
a spec's name cannot inject code.
"""

from __future__ import annotations

import json
import re

from mnistlab.specs import ArchitectureSpec, LayerSpec, count_params, is_convolutional
from mnistlab.training import TrainConfig

# The optimizer line for each choice, as mnistlab.training.make_optimizer builds it.
_OPTIMIZERS = {
    "adam": "keras.optimizers.Adam(learning_rate)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate)",
    "sgd": "keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)",
}


# Only for a run trained with augment=True: the variations of mnistlab.augment (tilt, slant, size, place) as
# Keras' own preprocessing layers, in front of the model during fit only (the saved model has none of them).
_AUGMENT_BLOCK = '''# ---- Augmentation (this run was trained with augment on) -----------------------------------------------------
def augmentation():
    """Random tilts, slants, sizes and shifts of the training digits, as mnistlab's augment makes them.

    Active only while training: validation, test and the saved model see the digits as they are. mnistlab
    varies half of each batch with one combined transform (and sometimes a thicker pen); these four Keras
    layers vary every digit, one after the other: simpler to read, a little slower to train.
    """
    return keras.Sequential(
        [
            layers.Reshape((28, 28, 1)),
            layers.RandomRotation(20 / 360, fill_mode="constant"),  # up to 20 degrees either way
            layers.RandomShear(x_factor=0.3, fill_mode="constant"),  # slant
            layers.RandomZoom(0.08, fill_mode="constant"),  # a little bigger or smaller
            layers.RandomTranslation(1 / 28, 1 / 28, fill_mode="constant"),  # up to a pixel off centre
            layers.Reshape((28, 28)),
        ],
        name="augmentation",
    )


'''
# The same for a set of clothing (framing "filled"): mnistlab mirrors and shifts the items, never tilts them.
_CLOTHING_AUGMENT_BLOCK = '''# ---- Augmentation (this run was trained with augment on) -----------------------------------------------------
def augmentation():
    """Random mirror images and small shifts of the training items, as mnistlab's augment makes them.

    Active only while training: validation, test and the saved model see the items as they are. mnistlab
    varies half of each batch, mirrors half of those and shifts by whole pixels; these Keras layers vary every
    item: simpler to read, a little different.
    """
    return keras.Sequential(
        [
            layers.Reshape((28, 28, 1)),
            layers.RandomFlip("horizontal"),  # left to right
            layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant"),  # up to 2 pixels
            layers.Reshape((28, 28)),
        ],
        name="augmentation",
    )


'''
_AUGMENT_FIT = """    # Train through the augmentation: `trainer` shares the model's layers, so fitting it trains `model`
    # (outside fit the augmentation passes digits through unchanged, so evaluating `trainer` scores `model`).
    inputs = keras.Input(shape=(28, 28))
    trainer = keras.Model(inputs, model(augmentation()(inputs)))
"""


def script_filename(spec_name: str) -> str:
    """A safe file name for the script of ``spec_name``: ``train_<slug>.py``."""
    slug = re.sub(r"[^a-z0-9]+", "_", spec_name.lower()).strip("_")[:40] or "model"
    return f"train_{slug}.py"


def _layer_lines(spec: ArchitectureSpec, num_classes: int | None = None) -> list[str]:
    """The body of ``build_model``: one commented line per layer, as mnistlab.models builds them."""
    lines = [
        'inputs = keras.Input(shape=(28, 28), name="image")  # a 28x28 grey image, values 0-1',
        "x = inputs",
    ]
    if is_convolutional(spec):
        lines.append("x = layers.Reshape((28, 28, 1))(x)  # conv layers want a channel axis: 28x28x1")
    flat = False
    for layer in spec.layers:
        if layer.kind == "dense" and not flat:
            lines.append("x = layers.Flatten()(x)  # the image as one row of numbers for the dense layers")
            flat = True
        line = _layer_line(layer, flat)
        if line:
            lines.append(line)
        if layer.kind == "flatten":
            flat = True
    if not flat:
        lines.append("x = layers.Flatten()(x)")
    if num_classes is None:  # MNIST
        lines.append('outputs = layers.Dense(10, activation="softmax")(x)  # one probability per digit 0-9')
    else:
        lines.append(
            f'outputs = layers.Dense({int(num_classes)}, activation="softmax")(x)  # one probability per class'
        )
    lines.append(f"return keras.Model(inputs, outputs, name={_q(_model_name(spec.name))})")
    return lines


def _layer_line(layer: LayerSpec, flat: bool) -> str | None:
    if layer.kind == "dense":
        return (
            f"x = layers.Dense({int(layer.units)}, activation={_q(layer.activation)})(x)"
            f"  # {int(layer.units)} units, each sees every input"
        )
    if layer.kind == "dropout":
        return (
            f"x = layers.Dropout({float(layer.rate)!r})(x)"
            f"  # while training, zero {float(layer.rate):.0%} of the values at random"
        )
    if layer.kind == "conv2d":
        k = int(layer.kernel_size)
        return (
            f"x = layers.Conv2D({int(layer.filters)}, {k}, activation={_q(layer.activation)})(x)"
            f"  # {int(layer.filters)} filters of {k}x{k} pixels"
        )
    if layer.kind == "max_pool":
        s = int(layer.size)
        return f"x = layers.MaxPooling2D({s})(x)  # keep the largest value of each {s}x{s} patch"
    if layer.kind == "flatten" and not flat:
        return "x = layers.Flatten()(x)  # feature maps -> one row of numbers"
    return None


def _model_name(name: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in name)[:40]
    return cleaned or "model"


def _q(text: str) -> str:
    """A double-quoted Python string literal of ``text`` (a validated, ASCII name)."""
    return json.dumps(text)


def _comment_text(text: str) -> str:
    """Text safe inside a ``#`` comment or a docstring line: no line breaks, no quotes that end a string."""
    return " ".join(text.replace('"""', "'''").replace("\\", "/").split())[:200]


def training_script(spec: ArchitectureSpec, config: TrainConfig | None = None) -> str:
    """A standalone Python script (text) that builds ``spec`` in Keras and trains it with ``config`` on
    ``config.dataset``."""
    config = config or TrainConfig()
    if config.dataset != "mnist":
        from mnistlab.export.code_datasets import other_set_script

        return other_set_script(_mnist_script(spec, config, num_classes=_num_classes(config)), config)
    return _mnist_script(spec, config)


def _num_classes(config: TrainConfig) -> int:
    from mnistlab.datasets import get_dataset

    return get_dataset(config.dataset).num_classes


def _augment_block(config: TrainConfig) -> str:
    """The augmentation of ``config.dataset``'s kind: digits' (tilts, slants) or clothing's (mirror, shift)."""
    from mnistlab.augment import CLOTHING, settings_for

    return _CLOTHING_AUGMENT_BLOCK if settings_for(config.dataset) == CLOTHING else _AUGMENT_BLOCK


def _mnist_script(spec: ArchitectureSpec, config: TrainConfig, num_classes: int | None = None) -> str:
    name = _comment_text(spec.name)
    body = "\n".join("    " + line for line in _layer_lines(spec, num_classes))
    warm = config.schedule == "warmup_cosine"
    schedule = (
        """    # Learning rate: warm up from 0 over the first epoch (at most 10 % of training), then follow a cosine
    # down to 0 by the last step. Large batches train stably with a large rate this way.
    warmup_steps = max(1, min(total_steps // epochs, total_steps // 10))
    learning_rate = keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(1, total_steps - warmup_steps),
        alpha=0.0,
        warmup_target=LEARNING_RATE,
        warmup_steps=warmup_steps,
    )"""
        if warm
        else "    learning_rate = LEARNING_RATE  # constant learning rate"
    )
    subset = "None" if config.train_subset is None else str(int(config.train_subset))
    augment = config.augment
    augmentation = _augment_block(config) if augment else ""
    trained = "trainer" if augment else "model"  # what compile, fit and evaluate are called on
    return f'''#!/usr/bin/env python3
"""Train the MNIST network "{name}" with Keras.

    {_comment_text(spec.summary())}

Written by mnistlab for its architecture "{name}" ({count_params(spec):,} parameters) and its training
settings. It needs only Keras (with TensorFlow) and NumPy:

    python {script_filename(spec.name)} --data mnist.npz           # Keras' mnist.npz, or a folder of the four IDX files
    python {script_filename(spec.name)}                            # no --data: download MNIST with keras.datasets
    python {script_filename(spec.name)} --epochs 1 --limit 2000    # a quick try on fewer digits
    python {script_filename(spec.name)} --save model.keras         # keep the trained model
"""

import argparse
import gzip
import math
from pathlib import Path

import keras
import numpy as np
from keras import layers

# ---- Training settings (the ones mnistlab used) -------------------------------------------------------------
EPOCHS = {int(config.epochs)}
BATCH_SIZE = {int(config.batch_size)}
LEARNING_RATE = {float(config.learning_rate)!r}
VALIDATION_SPLIT = {float(config.validation_split)!r}  # the share of training digits held out to watch for overfitting
SEED = {int(config.seed)}
TRAIN_SUBSET = {subset}  # None: all 60,000 training digits


# ---- Data ---------------------------------------------------------------------------------------------------
IDX_FILES = {{
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}}


def read_idx(path):
    """An IDX file (MNIST's own format, optionally gzipped) as a uint8 array."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = data[3]  # header: two zero bytes, type 0x08 (unsigned byte), number of dimensions, then the sizes
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(path=None):
    """(x_train, y_train), (x_test, y_test): uint8 images of 28x28 and their labels 0-9."""
    if path is None:
        return keras.datasets.mnist.load_data()  # downloads once to ~/.keras/datasets
    path = Path(path)
    if path.is_dir():
        arrays = {{}}
        for key, stem in IDX_FILES.items():
            gz = path / (stem + ".gz")
            arrays[key] = read_idx(gz if gz.exists() else path / stem)
    else:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {{key: npz[key] for key in IDX_FILES}}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def split(x, y, limit, seed):
    """Optionally keep a random subset of `limit` digits, then hold out VALIDATION_SPLIT of them."""
    if limit is not None and limit < len(x):
        keep = np.sort(np.random.default_rng(seed + 7919).permutation(len(x))[:limit])
        x, y = x[keep], y[keep]
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = round(len(x) * VALIDATION_SPLIT)
    return x[order[n_val:]], y[order[n_val:]], x[order[:n_val]], y[order[:n_val]]


# ---- The network --------------------------------------------------------------------------------------------
def build_model():
{body}


{augmentation}# ---- Training -----------------------------------------------------------------------------------------------
def make_optimizer(total_steps, epochs):
{schedule}
    return {_OPTIMIZERS[config.optimizer]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="mnist.npz or a folder of the four MNIST IDX files (.gz or not)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--limit", type=int, default=TRAIN_SUBSET, help="train on this many digits only")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--save", help="write the trained model to this .keras file")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)  # same seed, same initial weights and shuffling
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    x_fit, y_fit, x_val, y_val = split(x_train, y_train, args.limit, args.seed)
    # Pixels 0-255 -> 0-1: small inputs keep the first layer's sums in a good range.
    x_fit, x_val, x_test = (np.asarray(a, dtype="float32") / 255.0 for a in (x_fit, x_val, x_test))

    model = build_model()
    model.summary()
    total_steps = math.ceil(len(x_fit) / BATCH_SIZE) * args.epochs
{_AUGMENT_FIT if augment else ""}    {trained}.compile(
        optimizer=make_optimizer(total_steps, args.epochs),
        loss="sparse_categorical_crossentropy",  # labels are digits 0-9, the output is 10 probabilities
        metrics=["accuracy"],
    )
    {trained}.fit(
        x_fit,
        y_fit,
        batch_size=BATCH_SIZE,
        epochs=args.epochs,
        validation_data=(x_val, y_val) if len(x_val) else None,
        shuffle=True,
        verbose=2,  # one line per epoch
    )
    loss, accuracy = {trained}.evaluate(x_test, y_test, batch_size=2000, verbose=0)
    print(f"Test accuracy: {{accuracy:.4f}}  (loss {{loss:.4f}}, on {{len(x_test):,}} test digits)")
    if args.save:
        model.save(args.save)
        print(f"Saved the model to {{args.save}}")


if __name__ == "__main__":
    main()
'''
