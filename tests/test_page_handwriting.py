"""Handwriting in the pages (AppTest): keeping a drawing, scoring runs on a set in Inspect and Compare, the
Train page's augment checkbox, the Learn section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistlab.bench.drawn_digits import redraw_as_canvas
from mnistlab.drawing import canvas_to_mnist
from mnistlab.handwriting import HandwritingStore

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def _keep_page():
    import numpy as np

    from mnistlab.app.handwriting_view import keep_drawing
    from mnistlab.drawing import canvas_to_mnist

    picture = np.zeros((280, 280, 4), np.uint8)
    picture[..., 3] = 255
    picture[50:230, 130:150, :3] = 255  # a "1"
    keep_drawing(picture, canvas_to_mnist(picture), 1, key="k")


def test_keep_a_drawing_only_when_asked_then_into_the_chosen_set(artifacts):
    sets = HandwritingStore()
    at = AppTest.from_function(_keep_page, default_timeout=30).run()
    assert not at.exception
    assert sets.list_sets() == []  # showing the offer keeps nothing
    assert at.selectbox(key="k_set").value == "+ New set…"
    assert at.text_input(key="k_new").value == "my-handwriting"
    assert at.button(key="k_button").label == "Keep as 1"  # the prediction is proposed

    at.button(key="k_button").click().run()
    assert not at.exception
    assert [(s.name, s.count, s.per_digit[1]) for s in sets.list_sets()] == [("my-handwriting", 1, 1)]
    assert any("Kept as a **1** in **my-handwriting** (1 drawing)" in s.value for s in at.success)
    assert at.selectbox(key="k_set").value == "my-handwriting"  # the next drawing goes to the same set

    # The user meant 7: pick it, keep again.
    at.button_group(key="k_digit").set_value(7).run()
    assert at.button(key="k_button").label == "Keep as 7"
    at.button(key="k_button").click().run()
    assert [row["label"] for row in sets.rows("my-handwriting")] == [1, 7]


def _make_set(mnist, name="class", n=12) -> list[int]:
    sets = HandwritingStore()
    sets.create(name)
    labels = []
    for i in range(n):
        canvas = redraw_as_canvas(mnist.x_test[i], np.random.default_rng(i))
        sets.add(name, canvas, int(mnist.y_test[i]), canvas_to_mnist(canvas))
        labels.append(int(mnist.y_test[i]))
    return labels


@pytest.mark.slow
def test_inspect_scores_a_run_on_a_set(trained_artifacts, trained_store, mnist):
    _, ids = trained_store
    at = AppTest.from_file(str(PAGES / "inspect.py"), default_timeout=60)
    at.query_params["run"] = ids[0]
    at.run()
    assert not at.exception
    assert any("No handwriting sets yet" in i.value for i in at.info)
    _make_set(mnist)
    at.run()
    picker = at.selectbox(key="handwriting_score_set")
    assert picker.value is None  # nothing is scored until a set is chosen
    picker.set_value("class").run()
    assert not at.exception
    score = next(m for m in at.metric if m.label == "On class")
    assert score.value.endswith("%") and "points vs MNIST test" in score.delta
    assert next(m for m in at.metric if m.label == "Drawings").value == "12"
    assert len(at.get("plotly_chart")) == 3  # MNIST confusion, handwriting confusion, curves


@pytest.mark.slow
def test_compare_scores_every_chosen_run_on_a_set(trained_artifacts, trained_store, mnist):
    _make_set(mnist)
    at = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=60).run()
    at.multiselect(key="compare_runs").set_value(trained_store[1]).run()
    at.selectbox(key="handwriting_score_set").set_value("class").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "class (%)" in d.value.columns)
    assert len(table) == 2
    assert all(0 <= v <= 100 for v in table["class (%)"])
    assert list(table["Augmented"]) == ["no", "no"]


def test_train_page_submits_augment(artifacts, monkeypatch):
    import mnistlab.app.state

    submitted = []

    class Runner:
        def submit(self, spec, config, name=None, preset=None, owner=None, actor=None, **_):
            submitted.append(config)
            raise mnistlab.runs.jobs.JobError("recorded, not trained")

        def unused_name(self, base):
            return base

        def jobs(self, owner=None, curves=True):
            return []

        def active_jobs(self, owner=None, curves=True):
            return []

        def get(self, job_id):
            return None

    import mnistlab.runs.jobs

    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: Runner())
    at = AppTest.from_file(str(PAGES / "train.py"), default_timeout=60).run()
    box = at.checkbox(key="train_augment")
    assert box.value is False
    box.check().run()
    at.button(key="train_start").click().run()
    assert [config.augment for config in submitted] == [True]


def test_learn_section_reads_its_figures_from_the_json(artifacts, monkeypatch, tmp_path):
    from mnistlab.handwriting import lesson

    at = AppTest.from_file(str(PAGES / "learn.py"), default_timeout=60)
    at.session_state["learn_tab"] = "Why does it misread my 7?"
    at.run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "centre of mass" in text and "20×20" in text
    figures = lesson.load_figures()
    assert figures is not None, "docs/handwriting.json is committed with the benchmark's figures"
    table = at.dataframe[0].value
    assert list(table["Augment (%)"]) == [r["Augment (%)"] for r in lesson.comparison_rows(figures)]

    monkeypatch.setattr(lesson, "FIGURES", tmp_path / "missing.json")
    at.run()
    assert any("docs/handwriting.json" in i.value for i in at.info)
