"""Sweep page (AppTest): the empty state and form, a sweep started from the form (fake training) with its
table, figures, best-trial links and CSV; a bad JSON sweep is refused and changes nothing."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from test_sweep_runner import FakeTraining

ROOT = Path(__file__).resolve().parents[1]
SWEEP_PAGE = str(ROOT / "pages" / "sweep.py")


@pytest.fixture
def fake_server(artifacts, monkeypatch):
    """The page's process-wide job runner trains with fake work; shut down after the test."""
    from mnistlab.runs import jobs, runners

    monkeypatch.setattr(jobs, "train_job", FakeTraining(pause_s=0, make_runs=True))
    yield artifacts
    runners.shutdown(wait=True, timeout=20)


@pytest.fixture
def downloads(monkeypatch):
    saved = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        saved.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return saved


def wait_for_sweeps(artifacts: Path, timeout: float = 120) -> None:
    from mnistlab.sweeps.store import SweepStore

    sweeps = SweepStore(artifacts / "sweeps")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [sweeps.state(i).get("status") for i in sweeps.ids()]
        if states and all(s in ("completed", "stopped") for s in states):
            return
        time.sleep(0.1)
    raise AssertionError(f"the sweep did not finish: {states}")


def test_empty_page_shows_the_form(fake_server):
    at = AppTest.from_file(SWEEP_PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="sweep_base").value == "dropout"
    assert any("No sweeps yet" in i.value for i in at.info)
    assert at.button(key="sweep_start")


def test_a_sweep_from_the_form_shows_trials_figures_and_links(fake_server, downloads):
    at = AppTest.from_file(SWEEP_PAGE, default_timeout=60).run()
    at.number_input(key="sweep_trials").set_value(6)
    at.button(key="sweep_start").click().run()
    assert not at.exception and not at.error
    wait_for_sweeps(fake_server)
    at.run()
    assert not at.exception
    table = at.dataframe[-1].value  # the first one is the form's data editor
    assert len(table) == 6 and set(table["Status"]) <= {"completed", *{f"pruned (epoch {e})" for e in (1, 2)}}
    assert {"layers.0.units", "layers.1.rate", "learning_rate"} <= set(table.columns)
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"parcoords"' in spec for spec in charts)
    assert any("Pareto front" in spec for spec in charts)
    assert any('"bar"' in spec for spec in charts)  # importance
    best_text = " ".join(m.value for m in at.markdown)
    assert "Best trial #" in best_text
    completed = [r for r in table.to_dict("records") if r["Status"] == "completed"]
    top = max(r["val_accuracy"] for r in completed)  # shown rounded: ties are possible, the text says which
    (best,) = [r for r in completed if r["val_accuracy"] == top and f"Best trial #{r['#']}**" in best_text]
    links = " ".join(str(p.proto) for p in at.get("page_link")) + " ".join(m.value for m in at.markdown)
    for page in ("inspect", "draw", "compare"):
        assert f"{page}?run={best['Run']}" in links or (page in links and best["Run"] in links)
    # the latest CSV handed out (the page also offered one while the first trial was starting)
    data, _, _ = [d for d in downloads if d[2] and d[2].endswith("-trials.csv")][-1]
    parsed = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(parsed) == 6 and {"trial", "status", "learning_rate", "value", "run_ids"} <= set(parsed[0])


def test_a_bad_json_sweep_is_refused(fake_server):
    at = AppTest.from_file(SWEEP_PAGE, default_timeout=60).run()
    at.text_area(key="sweep_json").input(
        json.dumps({"base": {"preset": "dropout"}, "space": {"layers.9.units": [1]}})
    )
    at.button(key="sweep_start_json").click().run()
    assert at.error and "layers.9.units" in at.error[0].value
    assert not (fake_server / "sweeps").exists() or not list((fake_server / "sweeps").iterdir())


def test_compare_includes_the_run_a_link_names(store):
    from mnistlab.specs import PRESETS

    ids = []
    for seed in range(2):
        run_id = store.create(
            PRESETS["baseline"], {"epochs": 1, "seed": seed}, name=f"trial {seed}", preset="baseline"
        )
        store.finish(run_id, "completed", epochs_done=1, test_accuracy=0.9 + seed / 100)
        ids.append(run_id)
    at = AppTest.from_file(str(ROOT / "pages" / "compare.py"), default_timeout=60)
    at.run()
    assert ids[0] not in at.multiselect(key="compare_runs").value  # only the latest of a preset by default
    at = AppTest.from_file(str(ROOT / "pages" / "compare.py"), default_timeout=60)
    at.query_params["run"] = ids[0]
    at.run()
    assert not at.exception and ids[0] in at.multiselect(key="compare_runs").value


def test_a_sweep_with_a_damaged_study_is_reported_not_raised(fake_server):
    from mnistlab.sweeps.parsing import parse_sweep
    from mnistlab.sweeps.store import SweepStore

    sweeps = SweepStore(fake_server / "sweeps")
    sweep_id = sweeps.create(
        parse_sweep({"base": {"preset": "baseline"}, "space": {"learning_rate": [0.001, 0.01]}, "trials": 2})
    )
    (sweeps.path(sweep_id) / "study.db").write_bytes(b"not a database")
    at = AppTest.from_file(SWEEP_PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("Could not read this sweep's study" in e.value for e in at.error)
