"""Every page opens on the same run: the best one (``best_run_id``), not the newest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from mnistlab.runs.choice import best_run_id

PAGES = Path(__file__).resolve().parents[1] / "pages"


def run(run_id, accuracy, status="completed", model=True):
    return SimpleNamespace(id=run_id, test_accuracy=accuracy, status=status, has_model=model)


def test_the_best_completed_run_wins_over_the_newest():
    runs = [run("newest-trial", 0.61), run("good", 0.98), run("older", 0.95)]  # newest first
    assert best_run_id(runs) == "good"


def test_completed_beats_stopped_and_unscored_runs_come_last():
    runs = [run("stopped", 0.99, status="stopped"), run("done", 0.97), run("running", None, "running", False)]
    assert best_run_id(runs) == "done"
    assert best_run_id([run("running", None, "running", False), run("stopped", 0.9, "stopped")]) == "stopped"
    assert best_run_id([run("a", None, "failed", False), run("b", None, "failed", False)]) == "a"  # newest


def test_a_wanted_run_is_kept_and_nothing_gives_none():
    runs = [run("a", 0.9), run("b", 0.95)]
    assert best_run_id(runs, wanted="a") == "a"
    assert best_run_id(runs, wanted="gone") == "b"
    assert best_run_id([]) is None
    assert best_run_id([run("tie-new", 0.9), run("tie-old", 0.9)]) == "tie-new"


@pytest.fixture
def worst_is_newest(trained_artifacts, trained_store):
    """The trained store plus a newer, much worse run (a sweep's worst trial): returns (best id, worst id)."""
    store, ids = trained_store
    best = max(store.list_runs(), key=lambda r: r.test_accuracy).id
    worst = "29991231-000000-baseline-zzzz"
    shutil.copytree(trained_artifacts / "runs" / ids[0], trained_artifacts / "runs" / worst)
    meta_path = trained_artifacts / "runs" / worst / "run.json"
    meta = json.loads(meta_path.read_text())
    meta.update(id=worst, name="worst trial", test_accuracy=0.31, created=meta["created"] + 86_400 * 365)
    meta_path.write_text(json.dumps(meta))
    return best, worst


def test_draw_inspect_and_learn_open_on_the_best_run(worst_is_newest):
    best, _ = worst_is_newest
    draw = AppTest.from_file(str(PAGES / "draw.py"), default_timeout=60).run()
    assert not draw.exception and draw.selectbox(key="draw_run").value == best
    inspect = AppTest.from_file(str(PAGES / "inspect.py"), default_timeout=60).run()
    assert not inspect.exception and inspect.selectbox(key="inspect_run").value == best
    learn = AppTest.from_file(str(PAGES / "learn.py"), default_timeout=90)
    learn.session_state["learn_tab"] = "Inside the network"
    learn.run()
    assert not learn.exception and learn.selectbox(key="inside_run").value == best
    assert len(learn.selectbox(key="inside_run").options) == 3  # the worst trial is there, just not first


def test_compare_starts_with_the_best_run(worst_is_newest):
    best, _ = worst_is_newest
    at = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=60).run()
    assert not at.exception
    assert at.multiselect(key="compare_runs").value[0] == best
