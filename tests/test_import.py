"""Bring your own model: a good .keras file becomes an imported run; every bad one is refused, store unchanged."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mnistlab.cli import main
from mnistlab.data import to_float
from mnistlab.evaluation import predict_proba
from mnistlab.export.importing import (
    architecture_text,
    import_model_bytes,
    import_model_file,
    spec_from_model,
)
from mnistlab.files import StoreError
from mnistlab.modelfile import ModelFileError
from mnistlab.runs.store import RunStore
from mnistlab.specs import PRESETS

pytestmark = pytest.mark.slow


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes: equal snapshots mean nothing changed."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def copied(trained_artifacts):
    return RunStore(trained_artifacts / "runs"), trained_artifacts


def _flat_logits_model(source):
    """The same network as ``source``, but taking 784 pixels and returning scores (no softmax)."""
    from mnistlab.tf import keras

    inputs = keras.Input(shape=(784,))
    x = inputs
    dense = [layer for layer in source.layers if isinstance(layer, keras.layers.Dense)]
    for layer in dense[:-1]:
        x = keras.layers.Dense(layer.units, activation="relu")(x)
    outputs = keras.layers.Dense(10)(x)
    model = keras.Model(inputs, outputs)
    model.set_weights(source.get_weights())
    return model


def test_a_784_input_logits_model_is_imported_and_scores_like_the_original(
    copied, trained_store, tmp_path, mnist
):
    store, _ = copied
    original_store, ids = trained_store
    source = original_store.load_model(ids[0])
    path = tmp_path / "my flat net.keras"
    _flat_logits_model(source).save(path)
    run_id = import_model_file(path, store, data=mnist)
    run = store.load(run_id)
    assert run.imported and run.origin == "imported" and run.status == "completed" and run.has_model
    assert run.name == "my flat net" and run.spec.name == "my flat net"
    assert run.test_accuracy == original_store.load(ids[0]).test_accuracy  # same weights, same score
    assert run.params == 101_770 and run.config == {} and run.epochs_done == 0
    assert run.spec.layers == PRESETS["baseline"].layers  # the layers were read back from the file
    model = store.load_model(run_id)  # saved taking 28x28 images and giving probabilities, as pages expect
    assert tuple(model.input_shape[1:]) == (28, 28)
    probs = predict_proba(model, to_float(mnist.x_test[:50]))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert store.list_runs()[0].id == run_id


def test_a_model_with_unknown_layers_is_described_by_its_keras_layers(store, tmp_path, mnist):
    from mnistlab.tf import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, strides=2),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "bn.keras"
    model.save(path)
    run = store.load(import_model_bytes(path.read_bytes(), "C:\\models\\bn.keras", store, data=mnist))
    assert run.spec.layers == () and "BatchNormalization" in run.spec.description
    assert architecture_text(run) == "Reshape → Conv2D → BatchNormalization → GlobalAveragePooling2D → Dense"
    assert run.params == model.count_params() and run.name == "bn"
    assert 0.0 <= run.test_accuracy <= 1.0


def test_spec_from_our_own_model_round_trips():
    from mnistlab.models import build_model

    for name in ("cnn", "dropout"):
        assert spec_from_model(build_model(PRESETS[name]), f"{name}.keras").layers == PRESETS[name].layers


def _lambda_model(path):
    from mnistlab.tf import keras

    inputs = keras.Input((28, 28))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    keras.Model(inputs, outputs).save(path)


def _shaped_model(path, in_shape, classes):
    from mnistlab.tf import keras

    model = keras.Sequential(
        [keras.Input(in_shape), keras.layers.Flatten(), keras.layers.Dense(classes, activation="softmax")]
    )
    model.save(path)


def _corrupt_zip(path):
    _shaped_model(path, (28, 28), 10)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 64] = b"\xff" * 64  # damage the weights, keep the zip's directory
    path.write_bytes(bytes(data))


def _truncated(path):
    _shaped_model(path, (28, 28), 10)
    path.write_bytes(path.read_bytes()[:-200])


def _pickle(path):
    import pickle

    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


def _huge(path):
    with path.open("wb") as f:  # a sparse 2-GB file: refused from its size, never read
        f.truncate(2 * 1024**3)


BAD = {
    "lambda layer": (_lambda_model, "could not be loaded safely"),
    "32x32 input": (lambda p: _shaped_model(p, (32, 32), 10), "takes (32, 32)"),
    "5 outputs": (lambda p: _shaped_model(p, (28, 28), 5), "returns (5,)"),
    "corrupt zip": (_corrupt_zip, "could not be loaded safely"),
    "truncated zip": (_truncated, "not a Keras .keras file"),
    "pickle renamed .keras": (_pickle, "not a Keras .keras file"),
    "2-GB file": (_huge, "the limit is 200 MB"),
    "empty file": (lambda p: p.write_bytes(b""), "not a Keras .keras file"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_imports_are_refused_and_the_store_is_unchanged(case, copied, tmp_path, mnist):
    store, artifacts = copied
    make, message = BAD[case]
    path = tmp_path / "upload.keras"
    make(path)
    before = snapshot(artifacts)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        import_model_file(path, store, name="bad", data=mnist)
    if path.stat().st_size < 50 * 2**20:
        with pytest.raises(ModelFileError, match=re.escape(message)):
            import_model_bytes(path.read_bytes(), "upload.keras", store, data=mnist)
    assert snapshot(artifacts) == before


def test_bad_names_and_suffixes_are_refused_before_loading(copied, tmp_path, mnist):
    store, artifacts = copied
    good = tmp_path / "good.keras"
    _shaped_model(good, (28, 28), 10)
    before = snapshot(artifacts)
    with pytest.raises(StoreError, match="control characters"):
        import_model_file(good, store, name="bad\nname", data=mnist)
    with pytest.raises(ModelFileError, match=r"not a \.keras file"):
        import_model_bytes(good.read_bytes(), "model.h5", store, data=mnist)
    with pytest.raises(ModelFileError, match="the limit is 1 MB"):
        import_model_bytes(b"x" * (2 * 2**20), "big.keras", store, data=mnist, max_bytes=2**20)
    assert snapshot(artifacts) == before


def test_cli_import(capsys, copied, tmp_path):
    store, artifacts = copied
    good = tmp_path / "tiny.keras"
    _shaped_model(good, (784,), 10)
    assert main(["import", str(good), "--name", "tiny net"]) == 0
    out = capsys.readouterr().out
    assert "Imported tiny.keras as run" in out and "(tiny net)" in out
    imported = [r for r in store.list_runs() if r.imported]
    assert [r.name for r in imported] == ["tiny net"]
    assert main(["code", imported[0].id]) == 2
    assert "was imported" in capsys.readouterr().err
    before = snapshot(artifacts)
    _pickle(tmp_path / "evil.keras")
    assert main(["import", str(tmp_path / "evil.keras")]) == 2
    assert "not a Keras .keras file" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.keras")]) == 2
    assert snapshot(artifacts) == before
