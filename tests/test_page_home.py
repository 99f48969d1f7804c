"""Home page: renders with and without runs; the study button queues what is missing through the runner."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import mnistlab.app.state
from mnistlab.runs.jobs import JobRunner
from mnistlab.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "pages" / "home.py")


def study_table(at) -> dict[str, dict[str, str]]:
    """Home's study table (a Markdown table), as {experiment: {column: cell}}."""
    table = next(m.value for m in at.markdown if m.value.startswith("| \\# | Experiment |"))
    header, _, *lines = table.splitlines()
    columns = [cell.strip().replace("\\", "") for cell in header.strip("|").split(" | ")]
    rows = [
        dict(zip(columns, (c.strip() for c in line.strip("|").split(" | ")), strict=True)) for line in lines
    ]
    return {row["Experiment"]: row for row in rows}


def test_home_renders_on_an_empty_store(artifacts):
    at = AppTest.from_file(HOME, default_timeout=60).run()
    assert not at.exception
    table = study_table(at)
    assert list(table) == ["Baseline", "Deeper", "Dropout", "Tuned"]
    assert [row["Notebook (%)"] for row in table.values()] == ["97.31 %", "96.86 %", "98.11 %", "98.12 %"]
    assert {row["Runs here"] for row in table.values()} == {"—"}
    assert table["Deeper"]["Architecture"] == "Dense(256) → Dense(128)"
    assert len(at.image) == 2  # two rows of ten sample digits: 0 to 9 twice, never 9 + 9 + 2
    links = [str(e.proto) for e in at.get("page_link")] + [m.value for m in at.markdown]
    assert any("Sweep" in link for link in links)  # every page has a quick link, Sweep included
    assert any("No runs saved yet" in c.value for c in at.caption)


def test_home_shows_saved_runs_beside_the_notebook(trained_artifacts, trained_store):
    store, ids = trained_store
    at = AppTest.from_file(HOME, default_timeout=60).run()
    assert not at.exception
    table = study_table(at)
    assert (
        store.load(ids[0]).config["train_subset"] == 6000
    )  # small runs: shown, but not as the study's figure
    assert table["Baseline"]["Runs here"] == "— (1 with other settings)"
    assert table["Tuned"]["Runs here"] == "—"


def test_home_opens_without_tensorflow_and_then_starts_the_background_work(artifacts):
    """In a fresh process, as in a server just started: app.py's Home imports neither TensorFlow nor pandas (it
    renders first), the background work (workers, the Draw model) starts only after the page has run, and
    every other page has pandas and the views imported before it runs (a chart drawn while another thread
    imported pandas failed)."""
    script = f"""
import sys
import streamlit as st
import mnistlab.app.state as state
from streamlit.testing.v1 import AppTest

calls = []  # per call: pandas imported yet, Home's widgets already made (the page has run)
state.start_background_work = lambda: calls.append(("pandas" in sys.modules, "study_seeds" in st.session_state))
at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=60).run()
assert not at.exception, at.exception
assert at.title[0].value.endswith("mnistlab") and any("| Baseline |" in m.value for m in at.markdown)
print("RESULT", calls, "pandas" in sys.modules, "tensorflow" in sys.modules)
state.prepare_pages("")  # Home: nothing more
home = "pandas" in sys.modules
state.prepare_pages("compare")  # any other page: pandas and the views first
print("PREPARED", home, "pandas" in sys.modules, "mnistlab.app.sweep_view" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    assert result == "RESULT [(False, True)] False False"  # once, after the page; no pandas, no TensorFlow
    prepared = next(line for line in out.stdout.splitlines() if line.startswith("PREPARED"))
    assert prepared == "PREPARED False True True"


@pytest.fixture
def blocked_runner(artifacts, monkeypatch):
    """A runner whose jobs wait until released, so the per-session cap is reached (no TensorFlow)."""
    release = threading.Event()

    def work(job, context):
        release.wait(10)
        return "completed"

    runner = JobRunner(RunStore(artifacts / "runs"), workers=1, work=work)
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    yield runner
    release.set()
    runner.shutdown()


def test_study_button_queues_the_whole_study_once(blocked_runner):
    at = AppTest.from_file(HOME, default_timeout=60).run()
    at.number_input(key="study_seeds").set_value(2)
    at.button(key="start_study").click().run()
    assert not at.exception
    jobs = blocked_runner.jobs()
    assert len(jobs) == 8 > blocked_runner.max_queued_per_owner  # one deliberate batch, not capped at 3
    assert sorted((job.preset, job.config.seed) for job in jobs) == sorted(
        (p, s) for p in ("baseline", "deeper", "dropout", "tuned") for s in (0, 1)
    )
    owners = {job.owner for job in jobs}  # the person who pressed: one browser, one visitor id
    assert len(owners) == 1 and owners.pop().startswith("v-")
    assert any("Queued 8 run(s)" in i.value for i in at.info)
    at.button(key="start_study").click().run()  # a second click (or another visitor) queues nothing twice
    assert len(blocked_runner.jobs()) == 8
    assert any("Nothing to run" in i.value for i in at.info)


def test_the_app_opens_on_home_and_reaches_every_dashboard_page(trained_artifacts):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value.endswith("mnistlab")
    assert {link.proto.label for link in at.page_link} >= {
        "Train a model",
        "Compare runs",
        "Inspect mistakes",
    }
    for page, title in (
        ("pages/train.py", "Train"),
        ("pages/compare.py", "Compare"),
        ("pages/inspect.py", "Inspect"),
    ):
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.title[0].value == title


def test_a_digit_strip_is_one_row_of_ten():
    import numpy as np

    from mnistlab.app.widgets import digit_strip

    strip = digit_strip([np.full((28, 28), 255, np.uint8)] * 10, scale=2, gap=4)
    assert strip.shape == (56, 10 * 56 + 9 * 4)
    assert (strip[:, 56:60] == 255).all() and (strip[:, :56] == 0).all()  # light gaps, dark-on-light digits
