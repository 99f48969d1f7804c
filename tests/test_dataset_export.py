"""Export and import carry the dataset: the Keras script reads the same files and has the set's classes, CSV
and JSON name the classes, and an imported model must have one output per class of the chosen set."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from idx_sets import write_idx_set

from mnistlab.datasets import add_dataset
from mnistlab.export.code import training_script
from mnistlab.export.formats import metrics_csv, run_record
from mnistlab.modelfile import ModelFileError
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig


@pytest.fixture
def tiny(artifacts, tmp_path):
    folder = write_idx_set(tmp_path / "tiny", classes=3)
    add_dataset("tiny", folder, class_names=["top", "middle", "bottom"], title="Three bars")
    return folder


def test_the_mnist_script_is_unchanged_by_datasets():
    script = training_script(PRESETS["baseline"], TrainConfig())
    assert "keras.datasets.mnist.load_data()" in script and "DATASET" not in script
    assert 'layers.Dense(10, activation="softmax")(x)  # one probability per digit 0-9' in script


def test_the_fashion_script_reads_the_system_folder():
    script = training_script(PRESETS["cnn"], TrainConfig(dataset="fashion-mnist"))
    compile(script, "train_cnn.py", "exec")
    folder_line = next(line for line in script.splitlines() if line.startswith("DATA_FOLDER = "))
    assert folder_line.split("#")[0].strip().endswith('fashion-mnist"')
    assert '"T-shirt/top"' in script and "Fashion-MNIST" in script
    assert "keras.datasets" not in script  # nothing downloads
    assert "apt-get install dataset-fashion-mnist" in script


def test_a_small_set_script_has_its_classes(tiny):
    script = training_script(PRESETS["baseline"], TrainConfig(dataset="tiny"))
    compile(script, "train_baseline.py", "exec")
    assert 'layers.Dense(3, activation="softmax")' in script
    assert '["top", "middle", "bottom"]' in script and json.dumps(str(tiny.resolve())) in script


def test_code_of_a_preset_for_a_dataset(capsys, tiny):
    from mnistlab.cli import main

    assert main(["code", "--preset", "baseline", "--dataset", "tiny"]) == 0
    assert "Dense(3," in capsys.readouterr().out
    assert main(["code", "--preset", "baseline", "--dataset", "nope"]) == 2
    assert "No dataset called 'nope'" in capsys.readouterr().err


def test_csv_and_json_name_the_classes(store):
    metrics = {
        "accuracy": 0.5,
        "n": 4,
        "per_class": {"precision": [1, 0.5], "recall": [0.5, 1], "f1": [0.6, 0.6], "support": [2, 2]},
    }
    text = metrics_csv(metrics, ["cat", "dog"])
    assert text.splitlines()[0].startswith("class,") and text.splitlines()[2].startswith("dog,")
    assert metrics_csv(metrics).splitlines()[0].startswith("digit,")
    run_id = store.create(PRESETS["baseline"], TrainConfig(dataset="fashion-mnist").to_dict())
    record = run_record(store.load(run_id), None)
    assert record["dataset"] == "fashion-mnist" and record["class_names"][0] == "T-shirt/top"


def _save_model(path, outputs: int):
    from mnistlab.tf import keras

    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    keras.Model(inputs, keras.layers.Dense(outputs, activation="softmax")(x)).save(path)
    return path


@pytest.mark.slow  # saves and loads Keras models: seconds of TensorFlow on a quiet machine, more on a busy one
def test_import_checks_the_outputs_against_the_dataset(store, tiny, tmp_path):
    from mnistlab.export.importing import import_model_file

    three = _save_model(tmp_path / "three.keras", 3)
    with pytest.raises(ModelFileError, match="returns 3 class scores, but MNIST has 10 classes"):
        import_model_file(three, store)
    assert store.list_runs() == []  # nothing written
    run_id = import_model_file(three, store, dataset="tiny")
    run = store.load(run_id)
    assert run.dataset == "tiny" and run.imported and run.params == 784 * 3 + 3
    assert store.metrics(run_id)["n"] == 90  # scored on tiny's own test images
    with pytest.raises(ModelFileError, match="returns 10 class scores, but Three bars has 3 classes"):
        import_model_file(_save_model(tmp_path / "ten.keras", 10), store, dataset="tiny")


@pytest.mark.slow
def test_the_generated_script_trains_on_the_small_set(tmp_path, tiny):
    script = tmp_path / "train.py"
    script.write_text(training_script(PRESETS["baseline"], TrainConfig(epochs=1, dataset="tiny")))
    done = subprocess.run(
        [sys.executable, str(script), "--save", str(tmp_path / "m.keras")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tiny: 3 classes: top, middle, bottom" in done.stdout
    assert "on 90 test images" in done.stdout
