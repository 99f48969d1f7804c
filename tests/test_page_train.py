"""Train page: the builder validates inline and submits nothing bad; a tiny job trains through the runner."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnistlab.runs import jobs, runners
from mnistlab.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
TRAIN = str(ROOT / "pages" / "train.py")


def _submitted() -> list:
    return runners.default_runner().jobs()


@pytest.fixture
def clean_runner(artifacts):
    yield
    runners.shutdown()


def test_builder_edits_update_the_summary(artifacts):
    at = AppTest.from_file(TRAIN, default_timeout=60).run()
    assert at.metric[0].value == "101,770"
    at.button(key="add_dropout").click().run()
    at.button(key="add_dense").click().run()
    at.number_input(key="layer_3_units").set_value(64).run()
    assert [row for row in at.dataframe[0].value["Layer"]] == [
        "Input",
        "Dense(128)",
        "Dropout(0.2)",
        "Dense(64)",
        "Dense(10, softmax)",
    ]
    at.button(key="iconbtn-up-3").click().run()  # Dense(64) above the dropout
    assert list(at.dataframe[0].value["Layer"])[2] == "Dense(64)"
    at.button(key="iconbtn-remove-1").click().run()
    assert at.metric[0].value == f"{(784 + 1) * 64 + (64 + 1) * 10:,}"
    at.selectbox(key="train_start_from").set_value("cnn").run()
    assert "Conv2D(16, 5x5)" in list(at.dataframe[0].value["Layer"])
    assert not at.exception


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda at: at.number_input(key="layer_1_units").set_value(0), "Units is 0"),
        (
            lambda at: (
                at.button(key="add_dropout").click().run().number_input(key="layer_2_rate").set_value(1.5)
            ),
            "below 1",
        ),
        (lambda at: at.text_input(key="train_name").input("a/b"), "may not contain '/'"),
        (lambda at: at.number_input(key="train_subset").set_value(50), "Training images is 50"),
    ],
)
def test_bad_input_shows_an_error_and_submits_nothing(artifacts, clean_runner, edit, message):
    at = AppTest.from_file(TRAIN, default_timeout=60).run()
    edit(at)
    at.run()
    at.button(key="train_start").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert _submitted() == []


@pytest.mark.slow
def test_a_tiny_training_runs_to_completion_and_links_to_inspect(artifacts, clean_runner):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.number_input(key="train_epochs").set_value(1)
    at.selectbox(key="train_batch").set_value(64)
    at.number_input(key="train_subset").set_value(600)
    at.text_input(key="train_name").input("tiny baseline")
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    [job] = _submitted()
    assert job.name == "tiny baseline" and job.config.train_subset == 600 and job.preset == "baseline"
    done = runners.default_runner().wait(job.id, timeout=180)
    assert done.status == "completed", done.error
    at.run()
    run = RunStore(artifacts / "runs").load(done.run_id)
    assert any(f"{run.test_accuracy:.2%}" in s.value for s in at.success)
    links = {link.proto.label: link.proto for link in at.page_link}
    assert links["Inspect its mistakes"].query_string == f"run={run.id}"
    assert links["Draw a digit for it"].query_string == f"run={run.id}"
    assert "tiny baseline" in list(at.dataframe[-1].value["Name"])


def test_live_view_shows_progress_queue_position_and_stops(artifacts, monkeypatch, wait_until):
    """A fake runner (no TensorFlow): a running job shows its progress and curve; Stop ends it."""
    import time

    import mnistlab.app.state

    def work(job, context):
        for step in range(1, 4):
            context.report(
                {
                    "kind": "batch",
                    "epoch": 1,
                    "epochs": 10,
                    "step": step * 8,
                    "total_steps": 100,
                    "loss": 1.0 / step,
                    "accuracy": 0.3 * step,
                    "elapsed_s": step,
                    "samples_per_s": 5120,
                    "eta_s": 30,
                }
            )
        while not context.should_stop():
            time.sleep(0.02)
        return "stopped"

    runner = jobs.JobRunner(RunStore(artifacts / "runs"), workers=1, work=work)
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = AppTest.from_file(TRAIN, default_timeout=60).run()
        at.button(key="train_start").click().run()
        at.text_input(key="train_name").input("second").run()
        at.button(key="train_start").click().run()
        first, second = sorted(runner.jobs(), key=lambda j: j.submitted)
        wait_until(lambda: len(runner.get(first.id).batches) >= 3, 10, "three batches of progress")
        at.selectbox(key="train_show_job").set_value(second.id).run()
        assert any("number 1 in line" in i.value for i in at.info)
        at.selectbox(key="train_show_job").set_value(first.id).run()
        [bar] = at.get("progress")
        assert "Epoch 1/10" in bar.proto.text and "5,120 samples/s" in bar.proto.text
        assert len(at.get("plotly_chart")) == 1  # the batch curve; no epoch finished yet
        states = list(at.dataframe[-1].value["State"])
        assert "queued (#1)" in states
        at.button(key=f"stop_{first.id}").click().run()
        assert runner.wait(first.id, timeout=10).status == "stopped"
        assert not at.exception
    finally:
        runner.shutdown()


def test_switching_presets_shows_and_trains_the_new_presets_layers(artifacts, clean_runner, monkeypatch):
    """The browser keeps a widget's value by its key: a new preset must not inherit the old one's numbers."""
    from mnistlab.specs import PRESETS

    monkeypatch.setattr(jobs, "train_job", lambda job, ctx: "completed")  # the submitted spec is what counts

    at = AppTest.from_file(TRAIN, default_timeout=60).run()
    at.number_input(key="layer_1_units").set_value(100).run()  # edit the baseline first
    at.selectbox(key="train_start_from").set_value("dropout").run()
    units = [w.value for w in at.number_input if str(w.key).endswith("_units")]
    assert units == [256, 128]
    at.button(key="iconbtn-remove-5").click().run()  # drop the last dropout, then add a fresh dense layer
    at.button(key="add_dense").click().run()
    assert [w.value for w in at.number_input if str(w.key).endswith("_units")] == [256, 128, 128]
    at.selectbox(key="train_start_from").set_value("tuned").run()
    assert at.metric[0].value == f"{567_434:,}"
    at.button(key="train_start").click().run()
    assert not at.exception
    [job] = _submitted()
    assert job.spec.layers == PRESETS["tuned"].layers


def test_a_new_training_takes_the_focus_from_the_previous_one(artifacts, monkeypatch):
    import threading

    import mnistlab.app.state
    from mnistlab.runs.jobs import JobRunner

    release = threading.Event()
    runner = JobRunner(RunStore(artifacts / "runs"), workers=1, work=lambda job, ctx: release.wait(10))
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = AppTest.from_file(TRAIN, default_timeout=60).run()
        for name in ("first", "second", "third"):
            at.text_input(key="train_name").input(name).run()
            at.button(key="train_start").click().run()
            assert not at.exception
            heading = next(m.value for m in at.markdown if m.value.startswith("#### "))
            assert heading.endswith(name)  # the job just started is the one shown
    finally:
        release.set()
        runner.shutdown()


def test_start_names_every_problem_at_once_without_streamlit():
    from types import SimpleNamespace

    from mnistlab.app.jobs_view import panel_every, status_every
    from mnistlab.app.train_form import Settings, check_start

    good = Settings(3, 128, "adam", 1e-3, 2, 600, False, "", start=True)
    config, name, problems = check_start(good, None, "dropout", taken=lambda: {"dropout seed 2"})
    assert (config.epochs, config.train_subset, name, problems) == (3, 600, "dropout seed 2 · run 2", [])
    bad = Settings(0, 128, "adam", 1e-3, 0, 600, False, "a/b", start=True)
    _, _, problems = check_start(bad, ValueError("units"), None, taken=lambda: set())
    assert [p.split(":")[0] for p in problems] == ["Architecture", "Training settings", "Run name"]
    running, queued, done = (
        SimpleNamespace(status=s, is_active=s != "completed") for s in ("running", "queued", "completed")
    )
    assert (status_every(running), status_every(queued), status_every(done)) == (1.0, 3.0, None)
    assert (
        panel_every([running]) == 3.0 and panel_every([]) is None
    )  # charts and tables: slower than progress
