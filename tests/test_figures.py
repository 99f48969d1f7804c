"""The notebook's figures: each function writes a real PNG from plain data, offline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnistlab.study import report_figures as figures


def open_png(path, min_width=300, min_height=200) -> np.ndarray:
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        assert picture.width >= min_width and picture.height >= min_height, picture.size
        pixels = np.asarray(picture.convert("RGB"))
    assert pixels.std() > 10  # not a blank canvas
    return pixels


def red_pixels(pixels: np.ndarray) -> int:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return int(((r > 180) & (g < 90) & (b < 90)).sum())


def test_comparison_chart(tmp_path):
    experiments = [
        {"title": "Baseline", "accuracies": [0.975, 0.978, 0.976], "notebook": 97.31},
        {"title": "Deeper", "accuracies": [0.979], "notebook": 96.86},
        {"title": "Custom", "accuracies": [0.99, 0.991], "notebook": None},
    ]
    path = figures.comparison_chart(experiments, tmp_path / "comparison.png")
    open_png(path, min_width=500)


def test_comparison_chart_with_no_finished_runs(tmp_path):
    open_png(
        figures.comparison_chart(
            [{"title": "Baseline", "accuracies": [], "notebook": 97.31}], tmp_path / "c.png"
        )
    )


def test_digit_grid(mnist, tmp_path):
    path = figures.digit_grid(mnist.x_train[:20], mnist.y_train[:20], tmp_path / "digits.png", columns=10)
    open_png(path, min_width=500, min_height=150)


def test_confusion_figure_writes_counts(tmp_path):
    cm = np.diag([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    cm[4, 9] = 12
    path = figures.confusion_figure(cm.tolist(), "Baseline\ntest accuracy 99.9 %", tmp_path / "cm.png")
    pixels = open_png(path, min_width=400, min_height=400)
    assert red_pixels(pixels) > 0  # the off-diagonal count is written in red


def test_training_curves_skip_missing_values(tmp_path):
    history = {
        "loss": [0.5, 0.3, 0.2],
        "accuracy": [0.85, 0.9, 0.95],
        "val_loss": [None, 0.25, 0.22],
        "val_accuracy": [None, 0.92, 0.94],
    }
    open_png(figures.training_curves(history, "Training curves", tmp_path / "curves.png"), min_width=600)


def test_training_curves_without_validation(tmp_path):
    open_png(figures.training_curves({"loss": [0.4], "accuracy": [0.9]}, "One epoch", tmp_path / "one.png"))


@pytest.mark.parametrize("with_mistake", [False, True])
def test_sample_predictions_show_mistakes_in_red(mnist, tmp_path, with_mistake):
    true = [int(y) for y in mnist.y_test[:8]]
    predicted = list(true)
    if with_mistake:
        predicted[3] = (true[3] + 1) % 10
    path = figures.sample_predictions(mnist.x_test[:8], true, predicted, tmp_path / "pred.png", columns=4)
    pixels = open_png(path)
    assert (red_pixels(pixels) > 50) == with_mistake


def test_figures_replace_an_existing_file(tmp_path):
    path = tmp_path / "deep" / "folder" / "c.png"
    figures.comparison_chart([{"title": "A", "accuracies": [0.9]}], path)
    first = path.read_bytes()
    figures.comparison_chart(
        [{"title": "A", "accuracies": [0.9]}, {"title": "B", "accuracies": [0.95]}], path
    )
    assert path.read_bytes() != first
    assert [p.name for p in path.parent.iterdir()] == ["c.png"]  # no temporary files left behind
