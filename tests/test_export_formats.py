"""Exports open in their own tools: Keras, TensorFlow's SavedModel loader, the TFLite interpreter, TensorBoard's
event reader, csv and json."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest

from mnistlab.cli import main
from mnistlab.data import to_float
from mnistlab.evaluation import predict_proba
from mnistlab.export.formats import (
    ExportError,
    export_run,
    history_csv,
    savedmodel_zip,
    tflite_bytes,
    tflite_predict,
)
from mnistlab.modelfile import load_model_file
from mnistlab.specs import PRESETS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits(mnist):
    return to_float(mnist.x_test[:100]), mnist.y_test[:100]


def _no_temporaries(folder):
    return not [p for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]


def test_keras_export_is_the_run_model(trained_store, tmp_path, digits):
    store, ids = trained_store
    (path,) = export_run(store, ids[0], "keras", tmp_path)
    assert path.name == f"{ids[0]}.keras"
    x, _ = digits
    again = predict_proba(load_model_file(path), x)
    assert np.array_equal(again, predict_proba(store.load_model(ids[0]), x))
    assert _no_temporaries(tmp_path)


def test_tflite_gives_the_same_predictions_as_keras_on_100_test_digits(trained_store, tmp_path, digits):
    store, ids = trained_store
    x, y = digits
    for run_id in ids:
        (path,) = export_run(store, run_id, "tflite", tmp_path)
        lite = tflite_predict(path.read_bytes(), x)
        keras_probs = predict_proba(store.load_model(run_id), x)
        assert lite.shape == (100, 10)
        assert np.array_equal(lite.argmax(1), keras_probs.argmax(1))
        assert np.abs(lite - keras_probs).max() < 1e-4
        assert (lite.argmax(1) == y).mean() > 0.8  # and they are right, not just equal


def test_tflite_of_a_convnet(digits):
    from mnistlab.models import build_model

    model = build_model(PRESETS["cnn"], seed=0)
    x, _ = digits
    lite = tflite_predict(tflite_bytes(model), x[:10])
    assert np.abs(lite - predict_proba(model, x[:10])).max() < 1e-4


def test_savedmodel_loads_in_tensorflow_and_agrees(trained_store, tmp_path, digits):
    from mnistlab.tf import tf

    store, ids = trained_store
    (folder,) = export_run(store, ids[1], "savedmodel", tmp_path)
    assert (folder / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(folder))
    x, _ = digits
    served = np.asarray(loaded.serve(tf.constant(x)))
    assert np.abs(served - predict_proba(store.load_model(ids[1]), x)).max() < 1e-5
    export_run(store, ids[1], "savedmodel", tmp_path)  # again: replaced in place
    assert [p.name for p in tmp_path.iterdir()] == [folder.name] and _no_temporaries(tmp_path)
    archive = zipfile.ZipFile(io.BytesIO(savedmodel_zip(store.load_model(ids[1]), "m")))
    assert "m/saved_model.pb" in archive.namelist()


def test_csv_and_json_carry_history_and_metrics(trained_store, tmp_path):
    store, ids = trained_store
    run = store.load(ids[0])
    history_path, metrics_path = export_run(store, ids[0], "csv", tmp_path)
    rows = list(csv.DictReader(history_path.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert [float(r["val_accuracy"]) for r in rows] == run.history["val_accuracy"]
    per_digit = list(csv.DictReader(metrics_path.open()))
    assert len(per_digit) == 11 and float(per_digit[-1]["precision"]) == run.test_accuracy
    (json_path,) = export_run(store, ids[0], "json", tmp_path)
    record = json.loads(json_path.read_text())
    assert record["id"] == ids[0] and record["spec"] == PRESETS["baseline"].to_dict()
    assert record["metrics"]["confusion"] == store.metrics(ids[0])["confusion"]
    assert record["history"]["loss"] == run.history["loss"] and record["origin"] == "trained"
    assert history_csv({}) == "epoch\n"


def test_tensorboard_logs_read_back_with_tensorboards_reader(trained_store, tmp_path):
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.plugins.hparams import plugin_data_pb2
    from tensorboard.util import tensor_util

    store, ids = trained_store
    run = store.load(ids[1])
    metrics = store.metrics(ids[1])
    (folder,) = export_run(store, ids[1], "tensorboard", tmp_path)
    assert folder == tmp_path / ids[1]
    reader = ea.EventAccumulator(str(folder), size_guidance={ea.TENSORS: 0})
    reader.Reload()

    def values(tag):
        return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in reader.Tensors(tag)]

    accuracy = values("epoch/val_accuracy")
    assert [s for s, _ in accuracy] == [1, 2]
    assert np.allclose([float(v) for _, v in accuracy], run.history["val_accuracy"])
    chunks = values("chunk/loss")
    assert [s for s, _ in chunks] == [b[0] for b in run.history["batches"]] and len(chunks) > 2
    assert np.isclose(float(values("test/accuracy")[0][1]), metrics["accuracy"])
    image = values("confusion_matrix")[0][1]  # [width, height, png bytes]
    assert image[2][:8] == b"\x89PNG\r\n\x1a\n"
    text = values("architecture")[0][1].item().decode()
    assert run.spec.summary() in text and "Total params" in text
    content = reader.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["batch_size"].number_value == 128
    assert start.hparams["architecture"].string_value == "dropout"
    assert _no_temporaries(tmp_path)


def test_bad_exports_are_refused_and_write_nothing(trained_store, store, tmp_path, capsys):
    trained, ids = trained_store
    crashed = store.create(PRESETS["baseline"], {}, name="crashed")
    store.finish(crashed, "failed", error="boom")
    for fmt in ("keras", "tflite", "savedmodel"):
        with pytest.raises(ExportError, match="no trained model"):
            export_run(store, crashed, fmt, tmp_path / "out")
    with pytest.raises(ExportError, match="Unknown export format"):
        export_run(trained, ids[0], "onnx", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["export", crashed, "--format", "keras", "--out", str(tmp_path / "out")]) == 2
    assert "no trained model" in capsys.readouterr().err
    assert main(["export", "../x", "--format", "json", "--out", str(tmp_path / "out")]) == 2
    assert main(["export", crashed, "--format", "json", "--out", str(tmp_path / "cli")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"{crashed}.json")
