"""Figures are pure functions of data: check their traces, not their looks."""

import math

import numpy as np
import pytest

from mnistlab.app import charts


def test_ema_smooths_and_tolerates_gaps():
    assert charts.ema([1.0, 1.0, 1.0]) == [1.0, 1.0, 1.0]
    smoothed = charts.ema([0.0, 10.0], alpha=0.1)
    assert smoothed == pytest.approx([0.0, 1.0])
    assert charts.ema([None, 2.0, float("nan"), 4.0], alpha=0.5)[1:] == [2.0, 2.0, 3.0]
    assert math.isnan(charts.ema([None])[0])


def test_batch_curves_has_raw_and_smoothed_loss_and_accuracy():
    fig = charts.batch_curves([[8, 2.0, 0.2], [16, 1.0, 0.6], [24, 0.5, 0.8]])
    assert len(fig.data) == 4
    assert list(fig.data[0].x) == [8, 16, 24] and list(fig.data[0].y) == [2.0, 1.0, 0.5]
    assert 0.5 < fig.data[1].y[-1] < 2.0  # the smoothed loss follows the raw one, a little behind
    assert [t.name for t in fig.data if t.showlegend] == ["each chunk of batches", "smoothed (EMA)"]


def test_long_batch_curves_are_thinned_but_keep_the_newest_point():
    batches = [[i, 1.0 / (i + 1), i / 5000] for i in range(5000)]
    fig = charts.batch_curves(batches, max_points=400)
    assert len(fig.data[0].x) <= 401 and fig.data[0].x[-1] == 4999 and fig.data[0].x[0] == 0
    assert charts.thin(10, 400) == list(range(10))


def test_epoch_curves_plots_train_and_validation():
    fig = charts.epoch_curves(
        {"loss": [0.5, 0.3], "accuracy": [0.8, 0.9], "val_loss": [0.4, 0.35], "val_accuracy": [0.85, 0.9]}
    )
    assert [t.name for t in fig.data] == ["train", "validation", "train", "validation"]
    assert list(fig.data[1].y) == [0.4, 0.35]
    assert len(charts.epoch_curves({"loss": [0.5], "val_loss": [None]}).data) == 1


def test_overlay_accuracy_bars_and_scatter():
    fig = charts.overlay_curves({"a": [0.9, 0.95], "b": [0.8]}, "Validation accuracy")
    assert [t.name for t in fig.data] == ["a", "b"]
    bars = charts.accuracy_bars(["base", "drop"], [97.0, 98.0], [0.2, 0.0], reference={"base": 97.31})
    assert bars.data[0].orientation == "h" and list(bars.data[0].error_x.array) == [0.2, 0.0]
    assert list(bars.data[1].y) == ["base"] and list(bars.data[1].x) == [97.31]
    # One row per group, the value beside the name, not inside the bar where the notebook's mark would cross it.
    assert bars.data[0].text is None and list(bars.layout.yaxis.ticktext) == [
        "base  <b>97.00 %</b>",
        "drop  <b>98.00 %</b>",
    ]
    long = charts.accuracy_bars(["sweep notebook-mlp trial 17 of a long sweep"], [97.0], [0.0])
    assert long.layout.yaxis.ticktext[0].startswith("sweep notebook-mlp trial 17…")
    scatter = charts.accuracy_vs_params(["a", "b"], [101770, 101770], [97.0, 97.1])
    assert [trace.name for trace in scatter.data] == ["a", "b"]  # named in the legend, not beside the points
    assert all(trace.mode == "markers" for trace in scatter.data)
    assert scatter.layout.xaxis.type == "log"


def test_confusion_heatmap_counts_and_normalized():
    cm = np.diag([5] * 10)
    cm[3, 5] = 5
    fig = charts.confusion_heatmap(cm)
    assert fig.data[0].text[3][5] == "5" and fig.data[0].text[3][4] == ""
    norm = charts.confusion_heatmap(cm, normalized=True)
    assert norm.data[1].customdata[3 * 10 + 5] == pytest.approx(0.5)  # the clickable layer carries the values
    assert (norm.data[1].x[35], norm.data[1].y[35]) == ("5", "3")
    assert norm.data[0].text[3][3] == "0.50"


def test_live_figures_stay_small_and_repeat_exactly():
    # The Train page redraws these every second: a long run's update stays a few KB (thinned, rounded), and the
    # same data gives byte-identical JSON, so an unchanged chart is an unchanged update.
    batches = [[8 * i, 1.0 / (i + 1), i / 5000] for i in range(5000)]
    spec = charts.batch_curves(batches).to_json()
    assert len(spec) < 25_000 and spec == charts.batch_curves(batches).to_json()
    assert len(charts.batch_curves(batches).data[0].x) <= charts.LIVE_POINTS + 1
    history = {"loss": [0.123456789] * 50, "val_loss": [0.2] * 50}
    assert charts.epoch_curves(history).data[0].y[0] == 0.1235
    assert charts.epoch_curves(history).to_json() == charts.epoch_curves(history).to_json()
