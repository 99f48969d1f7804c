"""Inspect page: confusion matrix of a saved run, the digits of one cell, runs without a model, empty store."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mnistlab.evaluation import cell_mistakes
from mnistlab.runs.store import RunStore
from mnistlab.specs import PRESETS

ROOT = Path(__file__).resolve().parents[1]
INSPECT = str(ROOT / "pages" / "inspect.py")


def test_confusion_matrix_and_the_mistakes_of_one_cell(trained_artifacts, trained_store):
    store, ids = trained_store
    at = AppTest.from_file(INSPECT, default_timeout=60)
    at.query_params["run"] = ids[0]
    at.run()
    assert not at.exception
    assert at.selectbox(key="inspect_run").value == ids[0]
    assert len(at.get("plotly_chart")) == 2  # confusion matrix and training curves
    metrics = store.metrics(ids[0])
    # The cell with the most mistakes, picked through the fallback selectboxes.
    counts = [(len(cell_mistakes(metrics, t, p)), t, p) for t in range(10) for p in range(10) if t != p]
    n, true, pred = max(counts)
    at.selectbox(key="cell_true").set_value(true)
    at.selectbox(key="cell_pred").set_value(pred).run()
    assert any(f"**{n}** test digit(s) of **{true}** read as **{pred}**" in m.value for m in at.markdown)
    shown = [c for img in at.image for c in img.captions if c.endswith("% sure")]
    expected = [f"{m[3]:.0%} sure" for m in cell_mistakes(metrics, true, pred)[:24]]
    assert shown == expected
    per_class = at.dataframe[0].value
    assert list(per_class["Test digits"]) == metrics["per_class"]["support"]
    at.segmented_control(key="cm_scale").set_value("Row-normalized").run()
    assert not at.exception


def test_run_without_a_model_shows_curves_and_spec_only(trained_artifacts):
    store = RunStore(trained_artifacts / "runs")
    run_id = store.create(PRESETS["tuned"], {"epochs": 3}, name="crashed")
    store.finish(run_id, "failed", error="RuntimeError: out of memory")
    at = AppTest.from_file(INSPECT, default_timeout=60)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    assert any("no test results" in i.value for i in at.info)
    assert any("out of memory" in w.value for w in at.warning)


def test_empty_store_says_train_one(artifacts):
    at = AppTest.from_file(INSPECT, default_timeout=60).run()
    assert not at.exception
    assert any("no runs yet" in i.value for i in at.info)
