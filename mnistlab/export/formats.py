"""A run in the formats other tools open: the .keras file, a SavedModel, TensorFlow Lite, CSV and JSON.

    export_run(store, run_id, "tflite", Path("out"))   # -> [Path("out/<run_id>.tflite")]

Every file is named after the run id (already a safe name: lowercase letters, digits, '-' and '_') and
written atomically: a temporary file (or folder) beside the target, renamed into place. ``*_bytes`` functions
return the content, for a download button; ``export_run`` writes files, for the command line.

TensorFlow Lite: TF 2.21's ``tf.lite.TFLiteConverter`` converts our models; to run them, the LiteRT interpreter
(``ai_edge_litert``, the successor TensorFlow points to) is used when installed, else ``tf.lite.Interpreter``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from mnistlab.files import StoreError, atomic_write_bytes
from mnistlab.runs.run import Run
from mnistlab.runs.store import RunStore

FORMATS = ("keras", "savedmodel", "tflite", "tensorboard", "csv", "json")
EPOCH_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_s")


class ExportError(StoreError):
    """An export that cannot be made; the message says why and what to do."""


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    return fmt


def _needs_model(run: Run) -> None:
    if not run.has_model:
        raise ExportError(
            f"Run {run.id} has no trained model ({run.status}); only its history can be exported "
            "(csv or json)."
        )


# ------------------------------------------------------------------------------------------------ models


def keras_bytes(store: RunStore, run_id: str) -> bytes:
    """The run's ``model.keras`` file, byte for byte (open it with ``keras.models.load_model``)."""
    return store.model_path(run_id).read_bytes()


def tflite_bytes(model) -> bytes:
    """``model`` converted to a TensorFlow Lite flatbuffer (float32, input (batch, 28, 28))."""
    from mnistlab.tf import tf

    try:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        return bytes(converter.convert())
    except Exception as exc:  # the converter reports many kinds of error; say which model failed
        raise ExportError(
            f"TensorFlow Lite could not convert this model: {str(exc).splitlines()[0]}"
        ) from None


def lite_interpreter(content: bytes):
    """A TFLite interpreter for ``content``: LiteRT's when installed, else TensorFlow's own."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        from mnistlab.tf import tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_content=content)


def tflite_predict(content: bytes, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) float32 images -> (N, 10) probabilities, computed by the TFLite interpreter."""
    images = np.asarray(images, dtype=np.float32)
    interpreter = lite_interpreter(content)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], [len(images), *inp["shape"][1:]])
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], images.reshape(len(images), *inp["shape"][1:]))
    interpreter.invoke()
    return np.array(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))


def write_savedmodel(model, target: Path) -> Path:
    """Write a TensorFlow SavedModel folder at ``target`` (``model.export``), replacing it atomically."""
    target = Path(target)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # export prints the signature; not for our users
            model.export(str(tmp / "m"), format="tf_saved_model", verbose=False)
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(3)}")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp / "m", target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def savedmodel_zip(model, name: str) -> bytes:
    """A SavedModel as a zip archive whose top folder is ``name`` (for a download)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_savedmodel(model, Path(tmp) / name)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, Path(name) / path.relative_to(folder))
        return buffer.getvalue()


# ---------------------------------------------------------------------------------------- metrics, history


def history_csv(history: dict) -> str:
    """One row per epoch: epoch, loss, accuracy, val_loss, val_accuracy, epoch_s (empty where unknown)."""
    columns = [c for c in EPOCH_COLUMNS if history.get(c)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *columns])
    for i in range(len(history.get("loss") or [])):
        writer.writerow([i + 1, *(_cell(history[c], i) for c in columns)])
    return out.getvalue()


def _cell(values: list, i: int):
    return values[i] if i < len(values) else ""


def metrics_csv(metrics: dict | None, class_names: list[str] | None = None) -> str:
    """Per-class test scores (precision, recall, F1, support) and a last row for all classes. MNIST's rows are
    headed ``digit`` 0-9; another set's ``class`` with its class names (``class_names``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    per = (metrics or {}).get("per_class") or {}
    count = len(per.get("precision") or [])
    named = (
        class_names is not None
        and len(class_names) == count
        and list(class_names) != [str(d) for d in range(count)]
    )
    writer.writerow(["class" if named else "digit", "precision", "recall", "f1", "support"])
    for d in range(count):
        label = class_names[d] if named else d
        writer.writerow([label, per["precision"][d], per["recall"][d], per["f1"][d], per["support"][d]])
    if metrics:
        writer.writerow(["all (accuracy)", metrics.get("accuracy"), "", "", metrics.get("n")])
    return out.getvalue()


def run_record(run: Run, metrics: dict | None) -> dict:
    """Everything known about a run as JSON-ready data: who, architecture, dataset and its class names,
    settings, history, test metrics."""
    from mnistlab.datasets import class_names_for

    return {**run.to_dict(history=True), "class_names": class_names_for(run.dataset), "metrics": metrics}


def json_bytes(run: Run, metrics: dict | None) -> bytes:
    return json.dumps(run_record(run, metrics), indent=1, allow_nan=False).encode()


# ------------------------------------------------------------------------------------------- to a folder


def export_run(store: RunStore, run_id: str, fmt: str, out_dir: Path) -> list[Path]:
    """Write run ``run_id`` in format ``fmt`` into ``out_dir`` (created if missing); returns what was written.

    Raises ``ExportError``/``StoreError`` (unknown format, no model, unreadable run) before writing anything.
    """
    check_format(fmt)
    run = store.load(run_id)
    if fmt in ("keras", "savedmodel", "tflite"):
        _needs_model(run)
    metrics = store.metrics(run_id)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder {out_dir}: {exc.strerror or exc}.") from None
    if not out_dir.is_dir():
        raise ExportError(f"{out_dir} is not a folder.")
    base = out_dir / run.id
    if fmt == "keras":
        return [_write(base.with_suffix(".keras"), keras_bytes(store, run_id))]
    if fmt == "tflite":
        return [_write(base.with_suffix(".tflite"), tflite_bytes(store.load_model(run_id)))]
    if fmt == "savedmodel":
        return [write_savedmodel(store.load_model(run_id), out_dir / f"{run.id}-savedmodel")]
    if fmt == "csv":
        return [
            _write(out_dir / f"{run.id}-history.csv", history_csv(run.history).encode()),
            _write(out_dir / f"{run.id}-metrics.csv", metrics_csv(metrics, _class_names(run)).encode()),
        ]
    if fmt == "json":
        return [_write(base.with_suffix(".json"), json_bytes(run, metrics))]
    from mnistlab.export.tensorboard import write_run_logs

    model = store.load_model(run_id) if run.has_model else None
    return [write_run_logs(run, metrics, out_dir, model=model)]


def _class_names(run: Run) -> list[str]:
    from mnistlab.datasets import class_names_for

    return class_names_for(run.dataset)


def _write(path: Path, data: bytes) -> Path:
    atomic_write_bytes(path, data)
    return path
