"""The Map page's figure: one trace per digit plus the mistakes, a sample for Draw, clicks back to digits."""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab.app.map_charts import clicked_index, map_figure
from mnistlab.maps.cache import RunMap
from mnistlab.maps.embedding import Embedding

N = 300


@pytest.fixture
def run_map():
    r = np.random.default_rng(0)
    labels = np.arange(N) % 10
    predicted = labels.copy()
    predicted[:7] = (labels[:7] + 1) % 10  # seven mistakes
    e = Embedding(
        "pca", r.normal(size=(N, 2)).astype(np.float32), np.zeros(4), np.eye(2, 4), np.zeros((N, 2))
    )
    return RunMap(e, labels, predicted, np.full((N, 10), 0.1), {"layer": 1, "method": "pca"})


def test_every_digit_once_coloured_by_true_label_with_the_mistakes_on_top(run_map):
    fig = map_figure(run_map, "true")
    digits = [t for t in fig.data if t.name in [str(d) for d in range(10)]]
    assert len(digits) == 10 and sum(len(t.x) for t in digits) == N
    assert all(set(run_map.labels[np.asarray(t.customdata)]) == {int(t.name)} for t in digits)
    mistakes = next(t for t in fig.data if t.name == "mistakes")
    assert sorted(np.asarray(mistakes.customdata)) == list(range(7))
    assert all(t.type == "scattergl" for t in fig.data)


def test_right_or_wrong_highlight_selected_and_a_drawing(run_map):
    fig = map_figure(run_map, "right", highlight=np.array([3, 4]), selected=5, extra=[("you", np.zeros(2))])
    names = [t.name for t in fig.data]
    assert names == ["right", "wrong", "Highlighted", "selected", "you"]
    assert len(fig.data[1].x) == 7 and len(fig.data[0].x) == N - 7


def test_a_sample_draws_fewer_digits(run_map):
    fig = map_figure(run_map, "predicted", sample=100)
    assert sum(len(t.x) for t in fig.data if t.name != "mistakes") == 100
    with pytest.raises(ValueError, match="colour_by"):
        map_figure(run_map, "size")


def test_a_click_gives_the_digit_and_other_markers_give_none():
    assert clicked_index([{"customdata": [12, 3, 5], "x": 1.0}]) == 12
    assert clicked_index([{"customdata": 4}]) == 4
    assert clicked_index([{"x": 1.0, "y": 2.0}]) is None  # the drawing's marker
    assert clicked_index([]) is None
