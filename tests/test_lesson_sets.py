"""Learn's width and dropout lessons on a chosen dataset, without Streamlit: runs of one set only, its words."""

from __future__ import annotations

from mnistlab import lesson_sets, teaching
from mnistlab.specs import PRESETS, count_params
from tests.two_datasets import counted_run as counted

RUNS = [counted("deeper", s, 0.969, "mnist") for s in range(3)]
RUNS += [counted("dropout", s, a, "mnist") for s, a in enumerate([0.980, 0.981, 0.982])]
RUNS += [counted("dropout", s, a, "fashion-mnist") for s, a in enumerate([0.884, 0.886])]


def test_the_words_follow_the_set():
    assert lesson_sets.classes_phrase("mnist") == "10 digits"
    assert lesson_sets.classes_phrase("fashion-mnist") == "10 classes"
    assert lesson_sets.shapes_note("mnist") is None  # the lesson is MNIST's own: nothing to explain
    note = lesson_sets.shapes_note("fashion-mnist")
    assert "Fashion-MNIST's images are 28×28" in note and "the same as on MNIST" in note
    assert lesson_sets.notebook_note("dropout") == "notebook (one run, MNIST): 98.11 %"


def test_a_lesson_uses_the_runs_of_its_set_only():
    assert [r.dataset for r in lesson_sets.lesson_runs(RUNS, "fashion-mnist")] == ["fashion-mnist"] * 2
    assert len(lesson_sets.lesson_runs(RUNS, None)) == 6  # MNIST unless named
    assert {r.dataset for r in lesson_sets.compared_runs(RUNS, "fashion-mnist")} == {"fashion-mnist"}
    assert len(lesson_sets.compared_runs(RUNS, "mnist")) == 6


def test_the_preset_table_sets_the_notebooks_mnist_figures_beside_the_chosen_sets_runs():
    rows = {row["preset"]: row for row in lesson_sets.preset_rows(RUNS, "fashion-mnist")}
    assert list(rows) == ["baseline", "deeper", "dropout", "tuned"]  # all four are dense
    assert rows["dropout"]["notebook (MNIST)"] == "98.11 %"
    assert rows["dropout"]["your runs on Fashion-MNIST"] == "88.50 % (2 seeds)"
    assert rows["deeper"]["your runs on Fashion-MNIST"] == "no runs"  # MNIST's deeper runs stay out
    assert rows["tuned"]["parameters"] == f"{count_params(PRESETS['tuned']):,}"
    mnist = {row["preset"]: row for row in lesson_sets.preset_rows(RUNS, "mnist")}
    assert mnist["dropout"]["your runs on MNIST"] == "98.10 % (3 seeds)"
    assert mnist["deeper"]["your runs on MNIST"] == "96.90 % (3 seeds)"


def test_the_output_layer_has_one_unit_per_class():
    assert teaching.funnel([128], classes=26)[-1] == ("output", 26)
    assert teaching.training_cost([128], classes=26).params == (784 + 1) * 128 + (128 + 1) * 26
    assert teaching.training_cost([128]).params == count_params(PRESETS["baseline"])  # 10 by default
