"""Too little ink, a blob, an unsure model: the Draw page's judgement before it shows a number, and the
measurements its thresholds rest on (every real digit must pass as ink)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnistlab.bench.drawn_digits import redraw_as_canvas, redraw_tilted
from mnistlab.legible import EMPTY, OK, TOO_LITTLE, UNSURE, judge_drawing, measure_ink, read_drawing

ROOT = Path(__file__).resolve().parents[1]


def _browser_strokes() -> dict:
    """The digits the browser tests draw with the mouse (tests/browser/test_draw_browser.py)."""
    spec = importlib.util.spec_from_file_location("draw_strokes", ROOT / "tests/browser/test_draw_browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STROKES


def canvas(strokes, pen: int = 18, size: int = 280, scale: float = 1.0) -> np.ndarray:
    """An RGBA canvas like the Draw page's: white round-capped strokes on black, points in 0..1."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [((0.5 + (x - 0.5) * scale) * size, (0.5 + (y - 0.5) * scale) * size) for x, y in stroke]
        draw.line(points, fill=(255, 255, 255, 255), width=pen, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=(255, 255, 255, 255))
    return np.asarray(image)


@pytest.mark.parametrize("pen", [6, 18, 40])
def test_a_dot_is_too_little_ink_not_a_zero(pen):
    judgement = judge_drawing(canvas([[(0.5, 0.5), (0.5, 0.5)]], pen=pen))
    assert judgement.verdict == TOO_LITTLE and not judgement.readable
    assert "bigger digit" in judgement.message


@pytest.mark.parametrize(("pen", "line"), [(6, [(0.4, 0.5), (0.52, 0.5)]), (18, [(0.45, 0.5), (0.55, 0.55)])])
def test_a_short_stray_line_is_too_little_ink(pen, line):
    assert judge_drawing(canvas([line], pen=pen)).verdict == TOO_LITTLE


def test_an_empty_canvas_is_empty():
    judgement = judge_drawing(canvas([]))
    assert judgement.verdict == EMPTY and not judgement.readable


def test_a_filled_blob_does_not_look_like_a_digit():
    zigzag = [(x, 0.3 + 0.08 * row) for row in range(6) for x in ((0.3, 0.7) if row % 2 == 0 else (0.7, 0.3))]
    judgement = judge_drawing(canvas([zigzag], pen=40))  # scribbled over until the square is filled
    assert judgement.verdict == UNSURE and "blob" in judgement.message


def test_every_mnist_test_digit_is_enough_ink(mnist):
    judgements = [judge_drawing(digit) for digit in mnist.x_test]  # each measures its digit's ink once
    measured = np.array([(j.size, j.elongation) for j in judgements])
    assert measured[:, 0].min() > 0.6 and measured[:, 1].min() > 1.45  # the figures in mnistlab.legible
    assert all(j.verdict == OK for j in judgements)
    first = judgements[0]
    assert (first.size, first.elongation) == measure_ink(mnist.x_test[0])  # the figures are measure_ink's


def test_browser_digits_at_every_pen_and_canvas_redraws_are_enough_ink(mnist):
    strokes = _browser_strokes()
    drawings = [
        canvas(digit, pen=pen, scale=scale)
        for digit in strokes.values()
        for pen in (6, 12, 18, 28, 40)
        for scale in (0.5, 0.75, 1.0)
    ]
    rng = np.random.default_rng(0)
    drawings += [redraw_as_canvas(mnist.x_test[i], rng) for i in range(600)]
    drawings += [redraw_tilted(mnist.x_test[i], rng) for i in range(600, 1200)]
    verdicts = [judge_drawing(drawing).verdict for drawing in drawings]
    assert verdicts.count(OK) == len(drawings), {v: verdicts.count(v) for v in set(verdicts)}


def test_a_low_top_probability_is_unsure_and_names_the_two_guesses():
    seven = canvas(_browser_strokes()[7])
    probabilities = np.full(10, 0.02, dtype=np.float32)
    probabilities[[3, 5]] = 0.45, 0.39
    judgement = judge_drawing(seven, probabilities)
    assert judgement.verdict == UNSURE and judgement.readable
    assert "45% for a 3, 39% for a 5" in judgement.message
    probabilities[[3, 5]] = 0.8, 0.04
    assert judge_drawing(seven, probabilities).verdict == OK


class Stub:
    """A model that always gives the same probabilities, and counts its calls."""

    def __init__(self, top: float, digit: int = 0):
        self.calls = 0
        self.probabilities = np.full((1, 10), (1 - top) / 9, dtype=np.float32)
        self.probabilities[0, digit] = top

    def __call__(self, images, training=False):
        self.calls += 1
        assert images.shape == (1, 28, 28)
        return self.probabilities


def test_reading_a_dot_never_asks_the_model():
    model = Stub(0.906)
    reading = read_drawing(canvas([[(0.5, 0.5), (0.5, 0.5)]]), model)
    assert reading.judgement.verdict == TOO_LITTLE and reading.probabilities is None and model.calls == 0


def test_reading_a_digit_gives_the_image_and_the_doubt():
    seven = canvas(_browser_strokes()[7])
    sure = read_drawing(seven, Stub(0.97, 7))
    assert sure.judgement.verdict == OK and sure.image28.shape == (28, 28) and sure.probabilities[7] > 0.9
    unsure = read_drawing(seven, Stub(0.41, 1))
    assert unsure.judgement.verdict == UNSURE and unsure.probabilities is not None
