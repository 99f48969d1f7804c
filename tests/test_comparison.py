"""Comparison logic: rows, CSV, seed groups with mean ± std, default selection, curves, diffs, notebook table."""

import csv
import io
import math

import pytest

from mnistlab.runs.run import Run
from mnistlab.specs import PRESETS
from mnistlab.study import comparison
from mnistlab.training import TrainConfig


def make_run(
    run_id, preset="baseline", seed=0, acc=0.97, created=0.0, status="completed", name=None, **config
):
    cfg = TrainConfig(seed=seed, **config).to_dict()
    return Run(
        id=run_id,
        name=name or preset,
        status=status,
        spec=PRESETS[preset],
        config=cfg,
        created=created,
        updated=created,
        params=101_770,
        test_accuracy=acc,
        duration_s=7.25,
        epochs_done=cfg["epochs"],
        preset=preset,
        history={"loss": [0.5, 0.3], "val_accuracy": [0.9, 0.95]},
    )


def test_runs_differing_only_by_seed_share_a_group():
    runs = [
        make_run("a", seed=0, acc=0.96),
        make_run("b", seed=1, acc=0.98),
        make_run("c", seed=0, acc=0.90, epochs=3),
        make_run("d", preset="dropout", acc=0.981),
        make_run("e", acc=None, status="failed"),
    ]
    groups = {g.label: g for g in comparison.seed_groups(runs)}
    assert set(groups) == {"baseline (×2)", "baseline", "dropout"}
    pair = groups["baseline (×2)"]
    assert pair.count == 2 and pair.mean == pytest.approx(0.97) and pair.std == pytest.approx(math.sqrt(2e-4))
    assert groups["baseline"].runs[0].id == "c"  # another epoch count is another experiment
    assert comparison.group_key(runs[0]) == comparison.group_key(runs[1]) != comparison.group_key(runs[2])


def test_table_rows_and_csv_round_trip():
    rows = comparison.table_rows([make_run("a", acc=0.97314), make_run("b", preset="tuned", acc=None)])
    assert rows[0]["Test accuracy (%)"] == 97.31
    assert rows[0]["Architecture"] == "Dense(128)"
    assert rows[1]["Test accuracy (%)"] is None
    parsed = list(csv.DictReader(io.StringIO(comparison.csv_bytes(rows).decode())))
    assert [r["Run id"] for r in parsed] == ["a", "b"]
    assert parsed[0]["Optimizer"] == "adam" and parsed[0]["Test accuracy (%)"] == "97.31"
    assert comparison.csv_bytes([]) == b""


def test_default_selection_is_the_latest_completed_run_of_each_preset():
    runs = sorted(
        [
            make_run("old", created=1),
            make_run("new", created=2),
            make_run("drop", "dropout", created=3),
            make_run("fail", "tuned", created=4, status="failed", acc=None),
        ],
        key=lambda r: r.created,
        reverse=True,
    )
    assert comparison.default_selection(runs) == ["new", "drop"]
    custom = [make_run("x", created=2), make_run("y", created=1)]
    for run in custom:
        run.preset = None
    assert comparison.default_selection(custom) == ["x", "y"]


def test_curve_series_gives_unique_labels_and_skips_runs_without_history():
    a, b, c = make_run("a"), make_run("b"), make_run("c")
    c.history = {}
    series = comparison.curve_series([a, b, c], "val_accuracy")
    assert list(series) == ["baseline", "baseline [b]"]
    assert series["baseline"] == [0.9, 0.95]


def test_diff_marks_what_differs():
    rows = {r["Setting"]: r for r in comparison.diff_rows(make_run("a"), make_run("b", "deeper", seed=4))}
    assert rows["Layer 1"]["Differs"] and rows["Layer 1"]["B"] == "Dense(256)"
    assert rows["Layer 2"]["A"] == "—"
    assert rows["Seed"]["Differs"] and not rows["Optimizer"]["Differs"]


def test_notebook_rows_show_reported_and_saved_accuracy():
    runs = [make_run("a", acc=0.97), make_run("b", seed=1, acc=0.98), make_run("c", "tuned", acc=0.9812)]
    rows = {row["Preset"]: row for row in comparison.notebook_rows(runs)}
    assert rows["baseline"]["Notebook (%)"] == 97.31
    assert rows["baseline"]["Runs here"] == "97.50 ± 0.71 % (n=2)"
    assert rows["tuned"]["Runs here"] == "98.12 %"
    assert rows["deeper"]["Runs here"] == "—"
    quick = make_run("d", "deeper", acc=0.5, epochs=1)  # a quick test run never drags the study's mean down
    rows = {row["Preset"]: row for row in comparison.notebook_rows([*runs, quick])}
    assert rows["deeper"]["Runs here"] == "— (1 with other settings)"
    assert rows["baseline"]["Runs here"] == "97.50 ± 0.71 % (n=2)"


def test_a_single_run_has_no_spread_and_no_error_bar():
    from mnistlab.app.charts import accuracy_bars

    groups = comparison.seed_groups(
        [make_run("a", seed=0, acc=0.96), make_run("b", seed=1, acc=0.98, epochs=3)]
    )
    assert [g.std for g in groups] == [None, None] and [g.count for g in groups] == [1, 1]
    bars = accuracy_bars([g.label for g in groups], [100 * g.mean for g in groups], [None, 0.5])
    assert list(bars.data[0].error_x.array) == [None, 0.5]
