"""Compare page: table, charts and CSV for saved runs; rename and delete; empty and damaged stores."""

import csv
import io
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from mnistlab.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
COMPARE = str(ROOT / "pages" / "compare.py")


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


def test_compare_shows_table_charts_and_exports_csv(trained_artifacts, trained_store, downloads):
    store, ids = trained_store
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    assert not at.exception
    assert sorted(at.multiselect(key="compare_runs").value) == sorted(ids)
    table = at.dataframe[0].value
    assert set(table["Run id"]) == set(ids)
    row = table.set_index("Run id").loc[ids[0]]
    assert row["Architecture"] == "Dense(128)" and row["Parameters"] == 101_770 and row["Optimizer"] == "adam"
    assert row["Test accuracy (%)"] == round(100 * store.load(ids[0]).test_accuracy, 2)
    assert len(at.get("plotly_chart")) == 3  # curves, accuracy bars, accuracy vs size
    data, mime, _ = next(d for d in downloads if d[2] == "mnistlab-runs.csv")
    assert mime.startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(data.decode())))
    assert {r["Run id"] for r in parsed} == set(ids)
    diff = at.dataframe[1].value.set_index("Setting")
    assert diff.loc["Layer 1", "≠"] == "●"  # Dense(128) vs Dense(256)
    at.selectbox(key="compare_metric").set_value("Train loss").run()
    assert not at.exception


def test_rename_and_delete_with_confirmation(trained_artifacts, trained_store):
    _, ids = trained_store
    store = RunStore(trained_artifacts / "runs")
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    at.selectbox(key="manage_run").set_value(ids[0]).run()
    at.text_input(key=f"rename_{ids[0]}").input("my baseline").run()
    at.button(key="rename_button").click().run()
    assert store.load(ids[0]).name == "my baseline"
    assert at.button(key="delete_button").disabled  # nothing is deleted without the confirmation
    at.selectbox(key="manage_run").set_value(ids[1]).run()
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_button").click().run()
    assert not at.exception
    assert [r.id for r in store.list_runs()] == [ids[0]]
    assert list(at.dataframe[0].value["Run id"]) == [ids[0]]


def test_bad_rename_is_an_error_not_a_traceback(trained_artifacts, trained_store):
    _, ids = trained_store
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    at.selectbox(key="manage_run").set_value(ids[0]).run()
    at.text_input(key=f"rename_{ids[0]}").input("   ").run()
    at.button(key="rename_button").click().run()
    assert not at.exception
    assert any("cannot be empty" in e.value for e in at.error)


def test_empty_store_says_train_one(artifacts):
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    assert not at.exception
    assert any("no runs yet" in i.value for i in at.info)


def test_damaged_runs_are_listed_not_fatal(trained_artifacts):
    broken = trained_artifacts / "runs" / "broken-run"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    at = AppTest.from_file(COMPARE, default_timeout=60).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    assert any("damaged" in e.label for e in at.expander)
