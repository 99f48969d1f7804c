"""Draw digits with the mouse on the real Draw page and check what the model reads."""

from __future__ import annotations

import math
import re

import pytest

pytestmark = pytest.mark.browser

PREDICTION = re.compile(r"^Prediction: (\d)$")


def arc(cx, cy, rx, ry, start, end, n=24):
    """Points along an ellipse arc, angles in degrees (0 = right, 90 = down: screen coordinates)."""
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
            cy + ry * math.sin(math.radians(start + (end - start) * i / n)),
        )
        for i in range(n + 1)
    ]


# Digits as pen strokes in canvas units (0..1), drawn roughly the way a person draws them.
STROKES = {
    0: [arc(0.5, 0.5, 0.22, 0.33, -90, 275, 36)],
    1: [[(0.52, 0.17), (0.51, 0.5), (0.5, 0.83)]],
    2: [[*arc(0.5, 0.35, 0.2, 0.17, 200, 380, 16)[:-3], (0.66, 0.45), (0.3, 0.82), (0.72, 0.82)]],
    3: [arc(0.5, 0.33, 0.19, 0.15, 200, 450, 20), arc(0.5, 0.64, 0.21, 0.18, 270, 500, 20)],
    4: [[(0.55, 0.16), (0.28, 0.6), (0.74, 0.6)], [(0.6, 0.38), (0.6, 0.85)]],
    7: [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.84)]],
}


def draw(page, strokes) -> None:
    """Draw with the mouse on the canvas (Fabric's top canvas takes the pointer events; no iframe)."""
    box = page.locator("canvas.upper-canvas").bounding_box()
    assert box and box["width"] >= 200, "the drawing canvas should be on the page itself"
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
        page.mouse.up()


def prediction(page) -> int:
    element = page.get_by_text(PREDICTION)
    element.wait_for(timeout=30_000)
    return int(PREDICTION.match(element.inner_text().strip()).group(1))


def open_draw_page(page, app_url, wait_until_idle) -> None:
    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").wait_for(timeout=60_000)
    page.get_by_text("Nothing to classify yet").wait_for(timeout=60_000)
    wait_until_idle(page)


def test_canvas_is_on_the_page_not_in_an_iframe(page, app_url, wait_until_idle):
    open_draw_page(page, app_url, wait_until_idle)
    assert page.locator("iframe").count() == 0
    box = page.locator("canvas.upper-canvas").bounding_box()
    assert round(box["width"]) == 280 and round(box["height"]) == 280


def test_drawn_digits_are_read_correctly(page, app_url, wait_until_idle, screenshots):
    open_draw_page(page, app_url, wait_until_idle)
    read = {}
    for digit, strokes in STROKES.items():
        draw(page, strokes)
        wait_until_idle(page)
        read[digit] = prediction(page)
        if digit == 7:
            page.screenshot(path=str(screenshots / "draw.png"))
        page.get_by_role("button", name="Clear").click()
        page.get_by_text("Nothing to classify yet").wait_for(timeout=30_000)
        wait_until_idle(page)
    assert read == {digit: digit for digit in STROKES}


# Counts the drawing canvases on the page whenever the page changes, and remembers the most seen at once
# (Counted by their Streamlit element, keyed "draw_canvas...": the canvases themselves sit in a shadow DOM.)
WATCH_CANVASES = """() => {
  const count = () => document.querySelectorAll('[class*="st-key-draw_canvas"]').length;
  window.mostCanvases = count();
  new MutationObserver(() => { window.mostCanvases = Math.max(window.mostCanvases, count()); })
    .observe(document.body, {childList: true, subtree: true});
}"""


def test_clear_empties_the_same_canvas_and_the_next_drawing_answers(page, app_url, wait_until_idle):
    """Clear used to mount a second canvas while the old one stayed (stale) until the page had run again: a
    drawing made then went to the old one and never got an answer. Now there is one canvas, emptied in place."""
    open_draw_page(page, app_url, wait_until_idle)
    draw(page, STROKES[1])
    assert prediction(page) == 1
    wait_until_idle(page)
    page.locator("canvas.upper-canvas").evaluate("el => { el.dataset.first = 'yes'; }")
    page.evaluate(WATCH_CANVASES)
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Nothing to classify yet").wait_for(timeout=30_000)
    draw(page, STROKES[7])  # at once, as a person would, while the page may still be running
    assert prediction(page) == 7
    wait_until_idle(page)
    assert page.evaluate("() => window.mostCanvases") == 1
    assert page.locator("canvas.upper-canvas").evaluate("el => el.dataset.first") == "yes"  # not remounted


def test_a_dot_asks_for_a_bigger_digit(page, app_url, wait_until_idle):
    open_draw_page(page, app_url, wait_until_idle)
    draw(page, [[(0.5, 0.5), (0.505, 0.505)]])
    page.get_by_text("draw a bigger digit").wait_for(timeout=30_000)
    wait_until_idle(page)
    assert page.get_by_text(PREDICTION).count() == 0


def test_preview_and_probabilities_follow_the_drawing(page, app_url, wait_until_idle, screenshots):
    open_draw_page(page, app_url, wait_until_idle)
    draw(page, STROKES[1])
    wait_until_idle(page)
    assert prediction(page) == 1
    assert page.get_by_text(re.compile(r"^\d+\.\d% confident · model")).is_visible()
    assert page.get_by_text("What the model sees (28×28)").is_visible()
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    bars = chart.evaluate("el => el.data[0].y")
    assert len(bars) == 10 and abs(sum(bars) - 1) < 1e-3 and max(bars) == bars[1]
    # A second stroke across the 1 turns it into a 7-like shape: the page must update on the new stroke.
    draw(page, [[(0.25, 0.2), (0.52, 0.17)]])
    wait_until_idle(page)
    page.wait_for_function(
        "(before) => document.querySelector('.js-plotly-plot').data[0].y[1] < before",
        arg=max(bars),
        timeout=30_000,
    )
    page.screenshot(path=str(screenshots / "draw_probabilities.png"))


def test_inside_the_network_opens_under_the_prediction(page, app_url, wait_until_idle, screenshots):
    open_draw_page(page, app_url, wait_until_idle)
    draw(page, STROKES[0])
    wait_until_idle(page)
    digit = prediction(page)
    assert page.get_by_text("Hidden layers").count() == 0  # off by default: costs nothing per stroke
    page.get_by_text("Inside the network").click()
    page.get_by_text(f"The network says {digit}").wait_for(timeout=60_000)
    page.get_by_text("Hidden layers").wait_for(timeout=30_000)
    page.get_by_text("What first-layer units look for").wait_for(timeout=30_000)
    wait_until_idle(page)
    assert page.locator(".js-plotly-plot").count() >= 4  # probabilities, saliency, activations, weights
    assert page.get_by_text("Traceback").count() == 0
    page.set_viewport_size({"width": 1400, "height": 2400})  # the whole page, which scrolls inside Streamlit
    wait_until_idle(page)
    page.screenshot(path=str(screenshots / "draw_inside.png"))


def picture_uploader(page):
    """The Draw page's picture upload (the page has other uploaders: a model file, a handwriting set)."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="upload a picture of a digit")
    return uploader.locator("input[type=file]")


def test_uploaded_picture_is_classified(page, app_url, wait_until_idle, mnist, tmp_path):
    """A black-on-white photo-like PNG of a test digit, uploaded instead of drawn."""
    import numpy as np
    from PIL import Image

    index = int(np.flatnonzero(mnist.y_test == 3)[0])
    picture = Image.fromarray(255 - mnist.x_test[index]).resize((200, 200), Image.Resampling.BICUBIC)
    path = tmp_path / "three.png"
    picture.save(path)
    open_draw_page(page, app_url, wait_until_idle)
    picture_uploader(page).set_input_files(str(path))
    wait_until_idle(page)
    assert prediction(page) == 3
    assert page.get_by_text("from the uploaded picture").is_visible()


def test_bad_upload_shows_a_clear_error(page, app_url, wait_until_idle, tmp_path):
    path = tmp_path / "not-a-picture.png"
    path.write_text("this is text, not a PNG")
    open_draw_page(page, app_url, wait_until_idle)
    picture_uploader(page).set_input_files(str(path))
    wait_until_idle(page)
    page.get_by_text("not an image").wait_for(timeout=30_000)
    assert page.get_by_text("Traceback").count() == 0


def test_compare_models_reads_the_same_drawing(page, app_url, wait_until_idle, screenshots):
    open_draw_page(page, app_url, wait_until_idle)
    draw(page, STROKES[7])
    wait_until_idle(page)
    assert prediction(page) == 7
    page.get_by_text("Compare models").click()
    metric = page.locator("[data-testid='stMetric']").filter(has_text="baseline · small")
    metric.wait_for(timeout=30_000)
    wait_until_idle(page)  # also lets the expander finish opening before the screenshot
    value = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
    assert value.isdigit() and len(value) == 1
    assert "confident" in metric.inner_text()
    page.screenshot(path=str(screenshots / "draw_compare.png"))


def test_first_time_quick_training_then_drawing(page, empty_app_url, wait_until_idle, screenshots):
    """No model yet: one click trains a small one with visible progress, then the canvas is ready to use."""
    page.goto(f"{empty_app_url}/draw")
    button = page.get_by_role("button", name="Train a quick model")
    button.wait_for(timeout=60_000)
    wait_until_idle(page)
    button.click()
    page.locator("[data-testid='stProgress']").wait_for(timeout=60_000)
    page.screenshot(path=str(screenshots / "draw_quick_start.png"))
    page.locator("canvas.upper-canvas").wait_for(timeout=240_000)
    page.get_by_text("Nothing to classify yet").wait_for(timeout=60_000)
    wait_until_idle(page)
    draw(page, STROKES[1])
    wait_until_idle(page)
    assert prediction(page) == 1
    assert page.get_by_text(re.compile(r"confident · model quick start$")).is_visible()
