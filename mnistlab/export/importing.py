"""Bring your own model: a ``.keras`` file trained elsewhere becomes a run marked "imported".

    run_id = import_model_file("my_net.keras", store, name="my net")

The file is checked before the store is touched: its size (from the file system, before reading), that it is
a zip archive, that Keras loads it with ``safe_mode`` (no Lambda layers, no code), that it takes 28x28, 28x28x1
or 784 inputs and gives one output per class of the chosen dataset (10 for MNIST, the default), and that its
outputs on test images are finite. Then it is scored on that dataset's test images and saved as a run of it. Any refusal raises ``ModelFileError`` (or ``StoreError`` for a bad name)
and leaves the store exactly as it was.

The saved model always takes (batch, 28, 28) images and returns probabilities, as every page expects: a model
that wants 784 or 28x28x1 inputs gets a Reshape in front, one that returns scores (logits) gets a Softmax
behind. An imported run has no training of ours behind it: its config is empty, its history has no epochs,
and its spec is read from the file where the layers are ones mnistlab knows (Dense, Dropout, Conv2D,
MaxPooling2D, Flatten); otherwise the spec has no layers and its description lists the file's Keras layers.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mnistlab.data import ImageSet, to_float
from mnistlab.modelfile import MAX_MODEL_BYTES, ModelFileError, load_model_file
from mnistlab.runs.run import Run, check_run_name
from mnistlab.runs.store import RunStore
from mnistlab.specs import (
    ACTIVATIONS,
    NAME_MAX,
    ArchitectureSpec,
    LayerSpec,
    SpecError,
    conv2d,
    dense,
    dropout,
    flatten,
    has_control_characters,
    max_pool,
)

ORIGIN = "imported"
SUFFIX = ".keras"


def check_upload_name(filename: str) -> str:
    """The file's own name (no folders), which must end in .keras; raises ``ModelFileError``."""
    name = Path(str(filename).replace("\\", "/")).name
    if not name.lower().endswith(SUFFIX) or has_control_characters(name):
        raise ModelFileError(
            f"{name or 'The file'} is not a .keras file. Save your model with model.save('name.keras') "
            "(Keras 3 format); .h5 files and SavedModel folders are not imported."
        )
    return name


def import_model_file(
    path: str | os.PathLike,
    store: RunStore,
    name: str | None = None,
    data: ImageSet | None = None,
    max_bytes: int = MAX_MODEL_BYTES,
    display_name: str | None = None,
    dataset: str = "mnist",
) -> str:
    """Check, score and save the model in ``path`` as an imported run; returns the new run id.

    ``name`` is the run's display name (default: the file name without .keras); ``display_name`` is the file
    name shown in messages and in the spec (for uploads, whose temporary path says nothing). ``dataset`` is
    the image set the model was trained on: its outputs must match that set's classes.
    """
    path = Path(path)
    shown = check_upload_name(display_name or path.name)
    run_name = check_run_name(name if name is not None else shown[: -len(SUFFIX)] or "imported")
    if data is None or data.name != dataset:
        from mnistlab.datasets import load_dataset

        data = load_dataset(dataset)  # a missing or damaged set: DataError, nothing written
    loaded = load_model_file(path, max_bytes=max_bytes)
    _check_classes(loaded, shown, data)
    model = _as_lab_model(loaded, shown, data)
    images = to_float(data.x_test)
    from mnistlab.evaluation import predict_proba, score

    probs = predict_proba(model, images)
    if not np.isfinite(probs).all():
        raise ModelFileError(f"{shown} gives NaN or infinite outputs on the {_title(data)} test images.")
    metrics = score(data.y_test, probs)
    spec = spec_from_model(model, shown)
    run_id = store.create(
        spec, {}, name=run_name, origin=ORIGIN, num_classes=data.num_classes, dataset=data.name
    )
    try:
        store.save_metrics(run_id, metrics)
        store.save_model(run_id, model)
        store.finish(
            run_id,
            "completed",
            test_accuracy=metrics["accuracy"],
            test_loss=metrics["loss"],
            params=int(model.count_params()),
            source_file=shown,
        )
    except BaseException:
        shutil.rmtree(store.path(run_id), ignore_errors=True)  # a half-imported run is no run
        raise
    return run_id


def import_model_bytes(
    content: bytes,
    filename: str,
    store: RunStore,
    name: str | None = None,
    data: ImageSet | None = None,
    max_bytes: int = MAX_MODEL_BYTES,
    dataset: str = "mnist",
) -> str:
    """Import an uploaded file's ``content``; same checks as ``import_model_file``, size first."""
    shown = check_upload_name(filename)
    if len(content) > max_bytes:
        raise ModelFileError(
            f"{shown} is {len(content) / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB."
        )
    with tempfile.TemporaryDirectory(prefix="mnistlab-import-") as tmp:
        path = Path(tmp) / "upload.keras"
        path.write_bytes(content)
        return import_model_file(
            path, store, name=name, data=data, max_bytes=max_bytes, display_name=shown, dataset=dataset
        )


# ------------------------------------------------------------------------------------- the model's shape


def _title(data: ImageSet) -> str:
    from mnistlab.datasets import get_dataset

    try:
        return get_dataset(data.name).title
    except Exception:
        return data.name


def _check_classes(model, shown: str, data: ImageSet) -> None:
    """Raise ``ModelFileError`` unless the model has one output per class of ``data``."""
    outputs = model.output_shape[-1]
    if outputs != data.num_classes:
        raise ModelFileError(
            f"{shown} returns {outputs} class scores, but {_title(data)} has {data.num_classes} classes "
            f"({', '.join(data.class_names[:4])}{', ...' if data.num_classes > 4 else ''}). Import it for the "
            "dataset it was trained on (mnistlab data list shows them)."
        )


def _as_lab_model(model, shown: str, data: ImageSet):
    """``model`` as one that takes (batch, 28, 28) images and returns probabilities (see the module doc)."""
    from mnistlab.tf import keras

    in_shape = tuple(model.input_shape[1:])
    probe = to_float(data.x_test[:200])
    outputs = np.asarray(model(probe.reshape(len(probe), *in_shape), training=False))
    if not np.isfinite(outputs).all():
        raise ModelFileError(f"{shown} gives NaN or infinite outputs on MNIST test digits.")
    probabilities = bool((outputs >= -1e-6).all() and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3))
    if in_shape == (28, 28) and probabilities:
        return model
    inputs = keras.Input(shape=(28, 28), name="image")
    x = inputs if in_shape == (28, 28) else keras.layers.Reshape(in_shape, name="as_input")(inputs)
    chain = _chain(model, keras)
    if chain is not None:  # keep the layers visible (for the views inside the network and the spec)
        for layer in chain:
            x = layer(x)
    else:
        x = model(x)
    if not probabilities:
        x = keras.layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, x, name=model.name)


def _chain(model, keras) -> list | None:
    """The model's layers in order when each feeds the next (a plain stack), else None."""
    if isinstance(model, keras.Sequential):
        return list(model.layers)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    previous, chain = model.inputs[0], []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            if layer.input is not previous:
                return None
        except (AttributeError, ValueError):  # a layer used more than once has no single input
            return None
        chain.append(layer)
        previous = layer.output
    return chain if previous is model.outputs[0] else None


def _layer_spec(layer, keras, last: bool) -> LayerSpec | bool | None:
    """The spec line for one Keras layer; None to skip it (input, reshape); False when it has no spec form."""
    config = layer.get_config()
    if isinstance(layer, (keras.layers.InputLayer, keras.layers.Reshape)):
        return None
    if isinstance(layer, keras.layers.Dense):
        act = config.get("activation")
        if last:  # the output layer: Dense(10, softmax), or Dense(10) followed by a Softmax layer
            return None if layer.units == 10 and act in ("softmax", "linear") else False
        return dense(layer.units, act) if act in ACTIVATIONS and config.get("use_bias", True) else False
    if isinstance(layer, keras.layers.Dropout):
        return dropout(float(layer.rate))
    if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
        k, s = tuple(config["kernel_size"]), tuple(config["strides"])
        plain = k[0] == k[1] and s == (1, 1) and config.get("padding") == "valid"
        plain = (
            plain and tuple(config.get("dilation_rate", (1, 1))) == (1, 1) and config.get("groups", 1) == 1
        )
        ok = plain and config.get("activation") in ACTIVATIONS and config.get("use_bias", True)
        return conv2d(layer.filters, k[0], config["activation"]) if ok else False
    if isinstance(layer, keras.layers.MaxPooling2D):
        p, s = tuple(config["pool_size"]), tuple(config.get("strides") or config["pool_size"])
        ok = p[0] == p[1] and s == p and config.get("padding") == "valid"
        return max_pool(p[0]) if ok else False
    if isinstance(layer, keras.layers.Flatten):
        return flatten()
    return False


def spec_from_model(model, shown: str) -> ArchitectureSpec:
    """An ArchitectureSpec named after the file, with the layers read from ``model`` where mnistlab knows them.

    When a layer has no spec form (BatchNormalization, strides, a nested model...), the spec has no layers and
    its description lists the model's Keras layers instead.
    """
    from mnistlab.tf import keras

    spec_name = _spec_name(shown)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    keras_line = " → ".join(type(layer).__name__ for layer in layers)
    softmax_after = bool(layers) and type(layers[-1]) is keras.layers.Softmax
    body = layers[:-1] if softmax_after else layers
    found = [_layer_spec(layer, keras, last=i == len(body) - 1) for i, layer in enumerate(body)]
    if body and not softmax_after and body[-1].get_config().get("activation") != "softmax":
        found.append(False)  # scores without a softmax cannot be our output layer
    if all(item is not False for item in found):
        try:
            spec = ArchitectureSpec(
                spec_name,
                _without_implicit_flatten([item for item in found if item is not None]),
                f"Imported from {shown}; layers read from the file.",
            )
            if spec.layers:
                return spec
        except SpecError:
            pass
    return ArchitectureSpec(spec_name, (), f"Imported from {shown}. Keras layers: {keras_line}"[:2000])


def _without_implicit_flatten(items: list[LayerSpec]) -> tuple[LayerSpec, ...]:
    # Before any conv layer the image is flattened anyway for the first dense layer: no spec line for it.
    kept, convolved = [], False
    for item in items:
        convolved = convolved or item.kind in ("conv2d", "max_pool")
        if item.kind != "flatten" or convolved:
            kept.append(item)
    return tuple(kept)


def _spec_name(shown: str) -> str:
    stem = re.sub(r"\s+", " ", shown[: -len(SUFFIX)] if shown.lower().endswith(SUFFIX) else shown).strip()
    return stem[:NAME_MAX] or "imported"


def architecture_text(run: Run) -> str:
    """One line for the run's architecture: the spec's layers, or for an imported model whose layers mnistlab
    cannot name, the Keras layers from its description."""
    if run.imported and not run.spec.layers:
        text = run.spec.description
        return text.split("Keras layers: ", 1)[-1] if "Keras layers: " in text else "imported model"
    return run.spec.summary()


def keras_layer_rows(model) -> list[dict]:
    """One row per layer of a Keras model (Layer, Output shape, Parameters), the input first, for a table."""
    from mnistlab.tf import keras

    rows = [{"Layer": "Input", "Output shape": str(tuple(model.input_shape[1:])), "Parameters": 0}]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            shape = str(tuple(layer.output.shape[1:]))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append(
            {"Layer": type(layer).__name__, "Output shape": shape, "Parameters": layer.count_params()}
        )
    return rows
