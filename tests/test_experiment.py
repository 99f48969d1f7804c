import json
import zipfile

import pytest

from mnistlab.modelfile import ModelFileError, load_model_file
from mnistlab.runs.experiment import train_run
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig


def test_trained_runs_are_complete_in_the_store(trained_store):
    store, ids = trained_store
    run = store.load(ids[1])
    assert run.status == "completed" and run.preset == "dropout" and run.epochs_done == 2
    assert run.test_accuracy > 0.9 and run.duration_s > 0
    assert len(run.history["val_accuracy"]) == 2 and run.history["batches"]
    metrics = store.metrics(ids[1])
    assert sum(map(sum, metrics["confusion"])) == 10000
    assert store.model_path(ids[1]).stat().st_size > 10_000


@pytest.mark.slow
def test_stopped_run_keeps_partial_history_and_model(store, mnist):
    calls = []
    run_id = train_run(
        PRESETS["baseline"],
        TrainConfig(epochs=4, batch_size=32, train_subset=1000),
        store,
        should_stop=lambda: calls.append(1) or len(calls) > 5,
        data=mnist,
    )
    run = store.load(run_id)
    assert run.status == "stopped" and 1 <= run.epochs_done < 4
    assert len(run.history["loss"]) == run.epochs_done
    assert run.test_accuracy is not None and store.model_path(run_id).exists()


@pytest.mark.slow
def test_a_failing_run_is_recorded_as_failed(store, mnist):
    def boom(progress):
        raise RuntimeError("progress display crashed")

    with pytest.raises(RuntimeError):
        train_run(
            PRESETS["baseline"],
            TrainConfig(epochs=1, train_subset=500, batch_size=50),
            store,
            on_progress=boom,
            data=mnist,
        )
    [run] = store.list_runs()
    assert run.status == "failed" and "progress display crashed" in run.error


def test_saved_model_loads_safely(trained_store):
    store, ids = trained_store
    model = load_model_file(store.model_path(ids[0]))
    assert model.output_shape == (None, 10)


def test_model_files_that_are_not_models_are_refused(tmp_path):
    empty = tmp_path / "empty.keras"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"not a Keras .keras file"):
        load_model_file(empty)
    text = tmp_path / "text.keras"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a Keras"):
        load_model_file(text)
    with pytest.raises(ModelFileError, match="limit"):
        load_model_file(text, max_bytes=2)
    corrupt = tmp_path / "corrupt.keras"
    with zipfile.ZipFile(corrupt, "w") as z:
        z.writestr("config.json", "{broken")
    with pytest.raises(ModelFileError, match="could not be loaded safely"):
        load_model_file(corrupt)


def test_a_lambda_layer_in_a_model_file_never_runs(tmp_path):
    from mnistlab.tf import keras

    marker = tmp_path / "ran.txt"
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Lambda(lambda t: t * 2)(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="could not be loaded safely"):
        load_model_file(path)
    assert not marker.exists()


def test_a_model_with_the_wrong_shape_is_refused(tmp_path):
    from mnistlab.tf import keras

    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    path = tmp_path / "cifar.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="MNIST model takes 28x28"):
        load_model_file(path)


def test_custom_objects_in_a_model_file_are_refused(tmp_path, trained_store):
    store, ids = trained_store
    path = tmp_path / "custom.keras"
    with zipfile.ZipFile(store.model_path(ids[0])) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][-1]["class_name"] = "EvilDense"
                config["config"]["layers"][-1]["module"] = "os"
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match="could not be loaded safely"):
        load_model_file(path)


def test_a_damaged_dataset_fails_before_any_run_exists(store, tmp_path, monkeypatch):
    import shutil

    from mnistlab import data
    from mnistlab.data import DataError

    folder = tmp_path / "mnist"
    shutil.copytree(data.BUNDLED_DIR, folder)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    monkeypatch.setenv("MNISTLAB_DATA", str(folder))
    with pytest.raises(DataError, match="t10k-labels"):
        train_run(PRESETS["baseline"], TrainConfig(epochs=1, train_subset=500, batch_size=50), store)
    assert store.list_runs() == [] and store.problems() == []
