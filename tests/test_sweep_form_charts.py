"""The Sweep page's plain parts: form rows -> a valid sweep, and the figures built from trial rows."""

from __future__ import annotations

import pytest

from mnistlab.app.sweep_charts import metric_vs_cost, parallel_coordinates, trial_curves
from mnistlab.specs import PRESETS
from mnistlab.sweeps.form import default_rows, dimension_from_text, setting_options, sweep_from_form
from mnistlab.sweeps.parsing import parse_sweep
from mnistlab.sweeps.spec import SweepError


def test_setting_options_follow_the_base_layers():
    options = setting_options(PRESETS["dropout"])
    assert list(options)[:4] == ["layers.0.units", "layers.0.activation", "layers.1.rate", "layers.2.units"]
    assert "learning_rate" in options and "layers.1.units" not in options


def test_default_rows_make_a_valid_sweep():
    rows = default_rows(PRESETS["dropout"])
    assert [r["setting"] for r in rows] == ["layers.0.units", "layers.1.rate", "learning_rate"]
    sweep = parse_sweep(sweep_from_form("s", "dropout", rows, "tpe", 12, 3, 10_000))
    units = sweep.dimension("layers.0.units")
    assert (units.low, units.high, units.log, units.whole) == (32, 1024, True, True)
    assert sweep.dimension("layers.1.rate").whole is False and sweep.prune == "median"


@pytest.mark.parametrize(
    ("key", "text", "log", "expected"),
    [
        ("layers.0.units", "32 .. 1024", True, {"low": 32, "high": 1024, "log": True, "int": True}),
        ("layers.1.rate", "0 .. 0.6", False, {"low": 0, "high": 0.6}),
        ("batch_size", "128, 256", False, [128, 256]),
        ("optimizer", "adam, sgd", False, ["adam", "sgd"]),
        ("learning_rate", "0.001, 0.01", False, [0.001, 0.01]),
    ],
)
def test_values_text(key, text, log, expected):
    assert dimension_from_text(key, text, log) == expected


def test_bad_form_rows_are_named():
    with pytest.raises(SweepError, match="a range is two numbers"):
        dimension_from_text("learning_rate", "0.1 .. fast")
    with pytest.raises(SweepError, match="give values"):
        dimension_from_text("batch_size", " ")
    rows = [{"setting": "batch_size", "values": "128"}, {"setting": "batch_size", "values": "256"}]
    with pytest.raises(SweepError, match="listed twice"):
        sweep_from_form("s", "dropout", rows, "tpe", 4, 1, None)


ROWS = [
    {
        "number": 0,
        "status": "completed",
        "params": {"lr": 0.001, "bs": 128},
        "value": 0.95,
        "curve": [0.9, 0.95],
        "train_s": 10.0,
        "params_count": 1000,
        "pruned_at": None,
    },
    {
        "number": 1,
        "status": "pruned",
        "params": {"lr": 0.1, "bs": 256},
        "value": 0.5,
        "curve": [0.5],
        "train_s": 2.0,
        "params_count": 1000,
        "pruned_at": 1,
    },
    {
        "number": 2,
        "status": "completed",
        "params": {"lr": 0.01, "bs": 256},
        "value": 0.97,
        "curve": [0.92, 0.97],
        "train_s": 20.0,
        "params_count": 500,
        "pruned_at": None,
    },
]
SPACE = {"lr": {"low": 0.0001, "high": 0.1, "log": True}, "bs": [128, 256]}


def test_parallel_coordinates_show_completed_trials_on_log_and_categorical_axes():
    fig = parallel_coordinates(ROWS, SPACE, "val_accuracy")
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["lr (log)", "bs", "validation accuracy (%)"]
    assert list(dims[0].values) == pytest.approx([-3, -2]) and list(dims[1].values) == [0, 1]
    assert list(dims[1].ticktext) == ["128", "256"] and list(dims[2].values) == pytest.approx([95, 97])
    assert list(fig.data[0].line.color) == pytest.approx([95, 97])


def test_cost_chart_draws_the_pareto_front_and_curves_mark_pruned_trials():
    fig = metric_vs_cost(ROWS, "train_s", "val_accuracy")
    assert list(fig.data[1].x) == [10.0, 20.0] and fig.data[1].name == "Pareto front"
    fig = metric_vs_cost(ROWS, "params_count", "val_accuracy")
    assert list(fig.data[1].x) == [500.0]  # the smaller model is also the better one
    curves = trial_curves(ROWS, "val_accuracy")
    assert [t.line.dash for t in curves.data] == ["solid", "dot", "solid"]
