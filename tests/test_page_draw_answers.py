"""Draw page (AppTest, a stand-in canvas): what a drawing gets as an answer, and what Clear and Keep leave.

The real canvas is a browser component; here ``st_canvas`` is replaced by a stand-in whose strokes and
picture the test sets, the way the browser would send them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest
from test_legible import _browser_strokes, canvas

DRAW = str(Path(__file__).resolve().parents[1] / "pages" / "draw.py")


class FakeCanvas:
    """Holds what the browser's canvas would send: its strokes (json) and picture; records the calls."""

    def __init__(self):
        self.objects, self.picture, self.calls = [], canvas([]), []

    def draw(self, strokes, pen=18):
        self.objects = [{"type": "path", "path": repr(strokes), "pen": pen}]
        self.picture = canvas(strokes, pen=pen)

    def empty(self):
        self.objects, self.picture = [], canvas([])

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(json_data={"objects": list(self.objects)}, image_data=self.picture)


@pytest.fixture
def fake_canvas(monkeypatch):
    fake = FakeCanvas()
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=fake))
    return fake


def texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.warning, *at.info, *at.success])


def test_a_dot_gets_draw_a_bigger_digit_not_a_confident_zero(trained_artifacts, fake_canvas):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    fake_canvas.draw([[(0.5, 0.5), (0.5, 0.5)]])
    at.run()
    assert not at.exception
    assert "draw a bigger digit" in texts(at) and "Prediction:" not in texts(at)
    assert "confident" not in texts(at)


def test_a_digit_gets_an_answer_with_what_the_model_saw(trained_artifacts, fake_canvas):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    fake_canvas.draw(_browser_strokes()[7])
    at.run()
    assert not at.exception
    assert "Prediction:" in texts(at) or "Not sure: maybe" in texts(at)
    assert "confident · model" in texts(at)


def test_clear_empties_the_same_canvas_and_keeps_the_inside_toggle(trained_artifacts, fake_canvas):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    fake_canvas.draw(_browser_strokes()[1])
    at.run()
    at.toggle(key="draw_inside_on").set_value(True)
    at.button(key="draw_clear").click().run()
    assert not at.exception
    # One canvas for good: the same key, a new (empty) starting drawing that the browser loads in place.
    first, last = fake_canvas.calls[0], fake_canvas.calls[-1]
    assert {call["key"] for call in fake_canvas.calls} == {"draw_canvas"}
    assert last["initial_drawing"]["objects"] == [] and last["initial_drawing"] != first["initial_drawing"]
    # Until the browser sends the emptied canvas, the cleared drawing is not answered again.
    assert "Nothing to classify yet" in texts(at) and "Prediction:" not in texts(at)
    assert at.toggle(key="draw_inside_on").value is True  # Clear does not switch it off
    fake_canvas.empty()
    at.run()
    assert at.toggle(key="draw_inside_on").value is True
    fake_canvas.draw(_browser_strokes()[7])
    at.run()
    assert not at.exception and "confident · model" in texts(at)


def test_the_kept_message_goes_with_the_next_drawing_and_a_change_of_model(
    trained_artifacts, trained_store, fake_canvas
):
    at = AppTest.from_file(DRAW, default_timeout=60).run()
    fake_canvas.draw(_browser_strokes()[7])
    at.run()
    at.button(key="draw_keep_button").click().run()
    assert not at.exception and "Kept as a" in texts(at)
    fake_canvas.empty()  # the browser empties the canvas after a drawing is kept
    at.run()
    assert "Kept as a" in texts(at)  # still there: nothing new drawn yet
    fake_canvas.draw(_browser_strokes()[1])
    at.run()
    assert "Kept as a" not in texts(at)

    at.button(key="draw_keep_button").click().run()
    assert "Kept as a" in texts(at)
    picker = at.selectbox(key="draw_run")
    picker.set_value(next(run_id for run_id in trained_store[1] if run_id != picker.value)).run()
    assert not at.exception and "Kept as a" not in texts(at)
