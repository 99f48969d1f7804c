"""The Learn page in AppTest: every tab renders, and moving a control changes the computed numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "learn.py")


def open_tab(tab: str, timeout: float = 30) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=timeout)
    at.session_state["learn_tab"] = tab
    return at.run()


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def metric(at: AppTest, label_start: str):
    return next(m for m in at.metric if m.label.startswith(label_start))


def test_relu_tab_depth_slider_changes_the_gradient(artifacts):
    at = open_tab("Why ReLU?")
    assert not at.exception
    before = metric(at, "sigmoid: gradient at layer 1").value
    at.slider(key="relu_depth").set_value(5).run()
    after = metric(at, "sigmoid: gradient at layer 1").value
    assert before != after
    assert float(after) > float(before)  # fewer sigmoid layers, less shrinking


def test_softmax_sliders_change_the_probabilities(artifacts):
    at = open_tab("Why ReLU?")
    assert "p(3) = 0.8" in texts(at)  # scores 4, 2, 1, -1: p(3) = e^4 / (e^4 + e^2 + e + e^-1) = 0.83
    at.slider(key="logit_5").set_value(4.0).run()
    assert "p(3) = 0.4" in texts(at) and "sum = 1.000" in texts(at)


def test_width_calculator_follows_the_widths(artifacts):
    at = open_tab("How many neurons?")
    assert not at.exception
    assert metric(at, "Parameters").value == "567,434"  # the tuned preset's widths
    at.text_input(key="widths").input("128").run()
    assert metric(at, "Parameters").value == "101,770"
    at.text_input(key="widths").input("128, x").run()
    assert "whole numbers" in at.error[0].value


def test_dropout_tab_without_runs_says_the_vector_is_random(artifacts):
    at = open_tab("Why dropout?")
    assert not at.exception
    assert "a random ReLU vector" in texts(at)
    before = metric(at, "Units dropped").value
    at.slider(key="dropout_rate").set_value(0.8).run()
    assert metric(at, "Units dropped").value != before


def test_claim_check_tab_on_synthetic_runs(store):
    from tests.test_claims import NOTEBOOK_LIKE, fill

    fill(store, {p: accs for p, accs in NOTEBOOK_LIKE.items() if p != "tuned"})
    at = open_tab("Claim check")
    assert not at.exception
    page = texts(at)
    assert ":green-badge[holds] **One hidden layer already reaches ~97 %**" in page
    assert ":orange-badge[not enough runs] **Width + depth + dropout is best (tuned is highest)**" in page
    assert "Need 3 seeds of tuned (have 0)" in page
    assert "3 run(s) missing" in page


@pytest.mark.slow
def test_dropout_and_inside_tabs_use_a_trained_run(trained_artifacts):
    at = open_tab("Why dropout?", timeout=90)
    assert not at.exception
    assert "the real activations of `dense_1` (256 units)" in texts(at)
    at = open_tab("Inside the network", timeout=90)
    assert not at.exception
    assert "The network says" in texts(at)
    assert at.multiselect(key="learn_inside_units").value  # top units chosen by default


class QueueOnlyRunner:
    """Stands in for the job runner: records submissions as queued jobs, trains nothing, caps at 2."""

    def __init__(self):
        self.queued = []

    def jobs(self, owner=None):
        return [job for job in self.queued if owner is None or job.owner == owner]

    def active_jobs(self, owner=None):
        return self.jobs(owner)  # nothing it queues ever runs or ends

    def submit(self, spec, config, name=None, preset=None, owner="local", limit=None, actor=None):
        from types import SimpleNamespace

        from mnistlab.runs.jobs import JobError

        if len(self.queued) >= 2:
            raise JobError("You already have 2 trainings queued or running.")
        job = SimpleNamespace(
            id=f"j{len(self.queued)}",
            owner=owner,
            name=name,
            preset=preset,
            spec=spec,
            config=config,
            status="queued",
            is_active=True,
            progress=None,
        )
        self.queued.append(job)
        return job

    def position(self, job_id):
        return int(job_id[1:]) + 1


def test_claim_check_button_queues_up_to_the_cap_and_says_what_remains(store, monkeypatch):
    from mnistlab.app import state as ui
    from tests.test_claims import NOTEBOOK_LIKE, fill

    fill(store, {p: accs for p, accs in NOTEBOOK_LIKE.items() if p != "tuned"})
    runner = QueueOnlyRunner()
    monkeypatch.setattr(ui, "get_runner", lambda: runner)
    at = open_tab("Claim check")
    at.button(key="claims_run").click().run()
    assert not at.exception
    assert [(j.preset, j.config.seed) for j in runner.queued] == [("tuned", 0), ("tuned", 1)]
    owners = {j.owner for j in runner.queued}  # the person who pressed
    assert len(owners) == 1 and owners.pop().startswith("v-")
    page = texts(at)
    assert "Queued 2 run(s); 1 could not be queued now" in "\n".join(i.value for i in at.info)
    assert "1 run(s) missing** (tuned seed 2)" in page  # the queued ones are not asked for again
    assert "tuned seed 0" in at.dataframe[-1].value["Name"].tolist()
