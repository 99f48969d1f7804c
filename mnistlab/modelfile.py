"""Load a ``.keras`` model file safely and check that it classifies 28x28 images (MNIST or another set).

Keras ``safe_mode=True`` refuses to deserialize Lambda layers and arbitrary Python; we also refuse unknown
custom objects, oversized files and files that are not zip archives, before Keras sees them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_MODEL_BYTES = 200 * 1024 * 1024


class ModelFileError(Exception):
    """A model file that cannot be used; the message says why."""


def load_model_file(path: str | Path, max_bytes: int = MAX_MODEL_BYTES):
    """Load a Keras model for inference (``compile=False``, ``safe_mode=True``); raise ``ModelFileError``."""
    path = Path(path)
    check_model_archive(path, max_bytes)
    from mnistlab.tf import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{path.name} could not be loaded safely: {reason}") from None
    check_mnist_model(model, path.name)
    return model


def check_model_archive(path: Path, max_bytes: int = MAX_MODEL_BYTES) -> None:
    """Raise ``ModelFileError`` unless ``path`` is a readable zip archive of at most ``max_bytes``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelFileError(f"Cannot read the model file {path.name}: {exc.strerror}.") from None
    if size > max_bytes:
        raise ModelFileError(
            f"{path.name} is {size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB."
        )
    if size == 0 or not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path.name} is not a Keras .keras file (it should be a zip archive).")


def check_mnist_model(model, name: str = "the model") -> None:
    """Raise ``ModelFileError`` unless the model maps (batch, 28, 28[, 1]) images to one score per class (two
    or more classes; whether they match a dataset is checked where a dataset is chosen)."""
    in_shape = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    out_shape = tuple(model.output_shape[1:]) if not isinstance(model.output_shape, list) else None
    if in_shape not in ((28, 28), (28, 28, 1), (784,)) or out_shape is None or len(out_shape) != 1:
        raise ModelFileError(
            f"{name} takes {in_shape} and returns {out_shape}; an MNIST model takes 28x28 images "
            "and returns 10 class scores (a model of another 28x28 set, one score per class)."
        )
    if out_shape[0] is None or out_shape[0] < 2:
        raise ModelFileError(
            f"{name} returns {out_shape[0]} class score(s); a classifier needs at least two."
        )
