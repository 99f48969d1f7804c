"""The TensorFlow-free predictor: same outputs as Keras for every preset, refuses what it does not know."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from mnistlab.drawing import predict_digit, warm_up
from mnistlab.inference import NumpyModel, UnsupportedModel, load_numpy_model, load_predictor
from mnistlab.modelfile import ModelFileError
from mnistlab.specs import PRESETS, ArchitectureSpec, conv2d, dense, dropout, max_pool


def _saved(spec: ArchitectureSpec, folder, seed: int = 0):
    """Build ``spec`` with random (not just initial) weights, incl. non-zero biases; save it; return both."""
    from mnistlab.models import build_model

    model = build_model(spec, seed=seed)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(np.float32) for w in model.get_weights()])
    path = folder / f"{spec.name}.keras"
    model.save(path)
    return model, path


@pytest.fixture(scope="module")
def saved_presets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("presets")
    return {name: _saved(spec, folder) for name, spec in PRESETS.items()}


@pytest.mark.parametrize("name", list(PRESETS))
def test_numpy_forward_pass_equals_keras_for_every_preset(saved_presets, mnist, name):
    model, path = saved_presets[name]
    fast = load_numpy_model(path)
    images = mnist.x_test[:64].astype(np.float32) / 255.0
    expected = np.asarray(model(images, training=False))
    got = fast(images)
    assert got.shape == (64, 10) and got.dtype == np.float32
    assert np.max(np.abs(got - expected)) <= 1e-5
    assert (got.argmax(1) == expected.argmax(1)).all()


@pytest.mark.parametrize("name", ["baseline", "cnn"])
def test_the_draw_path_gives_the_same_probabilities_with_either_model(saved_presets, mnist, name):
    model, path = saved_presets[name]
    fast = load_predictor(path)
    assert isinstance(fast, NumpyModel)
    warm_up(fast)
    image = mnist.x_test[7].astype(np.float32) / 255.0
    got, expected = predict_digit(fast, image), predict_digit(model, image)
    assert got.shape == (10,) and abs(float(got.sum()) - 1) < 1e-5
    assert np.max(np.abs(got - expected)) <= 1e-5


def test_every_spec_activation_matches_keras(tmp_path, mnist):
    spec = ArchitectureSpec(
        "acts",
        (
            conv2d(4, 3, "elu"),
            max_pool(3),
            dense(16, "gelu"),
            dense(16, "selu"),
            dropout(0.5),
            dense(16, "swish"),
            dense(16, "sigmoid"),
            dense(16, "tanh"),
            dense(16, "linear"),
        ),
    )
    model, path = _saved(spec, tmp_path, seed=3)
    images = mnist.x_test[:16].astype(np.float32) / 255.0
    diff = np.abs(load_numpy_model(path)(images) - np.asarray(model(images, training=False)))
    assert diff.max() <= 1e-5


def test_unknown_layers_are_refused_and_fall_back_to_keras(tmp_path):
    from mnistlab.tf import keras

    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.BatchNormalization()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    path = tmp_path / "bn.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(UnsupportedModel, match="BatchNormalization"):
        load_numpy_model(path)
    model = load_predictor(path)  # Keras safe_mode
    assert not isinstance(model, NumpyModel)
    assert predict_digit(model, np.zeros((28, 28), np.float32)).shape == (10,)


def test_sequential_files_are_not_read_by_numpy_but_load_with_keras(tmp_path):
    from mnistlab.tf import keras

    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    path = tmp_path / "seq.keras"
    model.save(path)
    with pytest.raises(UnsupportedModel, match="Sequential"):
        load_numpy_model(path)
    assert not isinstance(load_predictor(path), NumpyModel)


def _rewrite(source, target, edit):
    """Copy a .keras archive, passing config.json through ``edit``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "config.json":
                data = json.dumps(edit(json.loads(data))).encode()
            new.writestr(item, data)
    return target


def test_edited_configs_that_change_the_maths_are_refused(saved_presets, tmp_path):
    _, path = saved_presets["cnn"]

    def strided(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Conv2D":
                layer["config"]["strides"] = [2, 2]
        return config

    def lambda_layer(config):
        config["config"]["layers"][2]["class_name"] = "Lambda"
        return config

    def bfloat16(config):
        config["config"]["layers"][2]["config"]["dtype"]["config"]["name"] = "mixed_bfloat16"
        return config

    for edit in (strided, lambda_layer, bfloat16):
        with pytest.raises(UnsupportedModel):
            load_numpy_model(_rewrite(path, tmp_path / f"{edit.__name__}.keras", edit))


def test_bad_files_raise_a_clear_model_file_error(saved_presets, tmp_path):
    _, path = saved_presets["baseline"]
    cases = {
        "empty.keras": b"",
        "text.keras": b"not a zip at all",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ModelFileError) as caught:
            load_predictor(tmp_path / name)
        assert not isinstance(caught.value, UnsupportedModel)
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp_path / "noweights.keras", "w") as new:
        new.writestr("config.json", old.read("config.json"))
    with pytest.raises(ModelFileError, match=r"model\.weights\.h5"):
        load_numpy_model(tmp_path / "noweights.keras")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp_path / "badweights.keras", "w") as new:
        new.writestr("config.json", old.read("config.json"))
        new.writestr("model.weights.h5", b"garbage")
    with pytest.raises(ModelFileError, match="weights"):
        load_numpy_model(tmp_path / "badweights.keras")
    with pytest.raises(ModelFileError, match="limit"):
        load_numpy_model(path, max_bytes=100)
    with pytest.raises(ModelFileError, match="Cannot read"):
        load_numpy_model(tmp_path / "missing.keras")


def test_shapes_are_checked():
    model = NumpyModel("empty", [], [])
    with pytest.raises(ValueError, match="28, 28"):
        model(np.zeros((28, 28), np.float32))


def test_the_predictor_cache_loads_once_and_reloads_a_replaced_file(saved_presets, tmp_path):
    import os
    import shutil

    from mnistlab.inference import PredictorCache

    path = tmp_path / "model.keras"
    shutil.copy(saved_presets["baseline"][1], path)
    cache = PredictorCache(size=1)
    first = cache.get(path)
    assert cache.get(path) is first
    shutil.copy(saved_presets["dropout"][1], path)
    os.utime(path, ns=(1, 1))  # a different modification time, as a rewritten file has
    second = cache.get(path)
    assert second is not first and len(second.layer_names) > len(first.layer_names)
    with pytest.raises(ModelFileError):
        cache.get(tmp_path / "missing.keras")


def test_the_draw_warm_up_loads_the_best_run_without_tensorflow(saved_presets, tmp_path):
    """In a fresh process (as in a starting server): the Draw model is ready and TensorFlow never imported."""
    import subprocess
    import sys

    from mnistlab.runs.store import RunStore

    store = RunStore(tmp_path / "runs")
    for name, accuracy in (("baseline", 0.95), ("cnn", 0.99)):
        run_id = store.create(PRESETS[name], {}, name=name, preset=name)
        store.save_model(run_id, saved_presets[name][1].read_bytes())
        store.finish(run_id, "completed", test_accuracy=accuracy)
    script = (
        "import sys\n"
        "from mnistlab.app.state import _predictors, warm_draw_model\n"
        f"run_id = warm_draw_model({str(tmp_path)!r})\n"
        "print(run_id, len(_predictors._models), 'tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    run_id, loaded, tf_imported = out.stdout.split()[-3:]
    assert "-cnn-" in run_id and loaded == "1" and tf_imported == "False"
