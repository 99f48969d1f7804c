"""Take it with you on the pages: the Code view on Train, downloads and code on Inspect, an imported model on
Inspect, Compare and Draw."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from mnistlab.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


@pytest.fixture
def downloads(monkeypatch):
    """Every file handed to a download button, as (data, mimetype, filename)."""
    saved = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        saved.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return saved


def test_train_shows_the_code_of_the_builder_network(artifacts, downloads):
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    assert not at.exception
    script = at.code[0].value
    assert "keras.Model(inputs, outputs" in script and "EPOCHS = 8" in script
    at.number_input(key="train_epochs").set_value(3).run()
    assert "EPOCHS = 3\n" in at.code[0].value
    files = {name: data for data, _, name in downloads}
    assert any(name.startswith("train_") and name.endswith(".py") for name in files)
    at.number_input(key="train_epochs").set_value(0).run()
    assert not at.code and any("Fix the training settings" in e.value for e in at.error)


def test_train_code_follows_the_augment_box(artifacts):
    """A network trained with augmentation exports a script that augments too (and not without it)."""
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    assert "def augmentation():" not in at.code[0].value
    at.checkbox(key="train_augment").check().run()
    assert not at.exception
    assert "def augmentation():" in at.code[0].value and "trainer.fit(" in at.code[0].value


@pytest.fixture
def imported(trained_artifacts, tmp_path, mnist):
    """The trained store plus one imported model (784 inputs, a BatchNormalization: no spec form)."""
    from mnistlab.export.importing import import_model_file
    from mnistlab.tf import keras

    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "outside.keras"
    model.save(path)
    store = RunStore(trained_artifacts / "runs")
    return store, import_model_file(path, store, name="from outside", data=mnist)


@pytest.mark.slow
def test_inspect_offers_downloads_and_code(trained_artifacts, trained_store, downloads):
    store, ids = trained_store
    at = AppTest.from_file(str(PAGES / "inspect.py"), default_timeout=60)
    at.query_params["run"] = ids[1]
    at.run()
    assert not at.exception
    names = {name for _, _, name in downloads}
    assert {f"{ids[1]}.keras", f"{ids[1]}-history.csv", f"{ids[1]}-metrics.csv", f"{ids[1]}.json"} <= names
    keras_file = next(data for data, _, name in downloads if name == f"{ids[1]}.keras")
    assert keras_file == store.model_path(ids[1]).read_bytes()
    assert any("layers.Dropout(0.3)" in c.value for c in at.code)
    assert f"{ids[1]}.tflite" not in names  # converted only when asked, under a spinner
    at.button(key="export_tflite_prepare").click().run()
    assert not at.exception
    lite = next(data for data, _, name in downloads if name == f"{ids[1]}.tflite")
    assert lite[4:8] == b"TFL3"


@pytest.mark.slow
def test_an_imported_model_shows_on_inspect_compare_and_draw(imported):
    store, run_id = imported
    at = AppTest.from_file(str(PAGES / "inspect.py"), default_timeout=60)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    assert any("Dense → BatchNormalization → Dense · imported" in c.value for c in at.caption)
    assert not at.code  # no training of ours behind it: no code to show
    layers = next(df.value for df in at.dataframe if "Layer" in df.value.columns)
    assert list(layers["Layer"]) == ["Input", "Reshape", "Dense", "BatchNormalization", "Dense"]
    assert layers["Parameters"].sum() == store.load(run_id).params
    compare = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=60).run()
    assert not compare.exception
    compare.multiselect(key="compare_runs").set_value([r.id for r in store.list_runs()]).run()
    assert not compare.exception
    table = compare.dataframe[0].value.set_index("Run id")
    assert table.loc[run_id, "Architecture"] == "Reshape → Dense → BatchNormalization → Dense"
    draw = AppTest.from_file(str(PAGES / "draw.py"), default_timeout=60)
    draw.query_params["run"] = run_id
    draw.run()
    assert not draw.exception
    assert draw.selectbox(key="draw_run").value == run_id
