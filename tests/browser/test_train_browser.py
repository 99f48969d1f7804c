"""Start a tiny training from the real Train page and watch its live chart and progress update."""

from __future__ import annotations

import re
import time

import pytest
from ui import choose, set_number

pytestmark = pytest.mark.browser

# The batch curve's newest step: it moves on with every chart refresh (the number of points drawn stops growing at
# the live view's cap of about 200 once a run has more chunks than that).
BATCH_CURVE_END = (
    "() => { const el = document.querySelector('.js-plotly-plot'); "
    "return el && el.data && el.data[0].x.length ? el.data[0].x[el.data[0].x.length - 1] : 0; }"
)


def test_live_chart_and_progress_during_a_tiny_training(page, app_url, wait_until_idle, screenshots):
    page.set_viewport_size({"width": 1400, "height": 2200})  # tall: the screenshots show the live section
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_until_idle(page)
    # Long enough to watch (all 60,000 digits, small batches): the test stops it once it has seen it move.
    set_number(page, "Epochs", 10, wait_until_idle)
    choose(page, "Batch size", "64", wait_until_idle, exact=True)
    name = page.get_by_role("textbox", name="Run name", exact=True)
    name.fill("browser tiny")
    name.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Start training").click()

    # The live view: a progress bar whose text moves on, and a chart whose curve grows.
    progress = page.locator("[data-testid='stProgress']").first
    progress.wait_for(timeout=90_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    first_text = progress.inner_text()
    first_end = page.evaluate(BATCH_CURVE_END)
    assert first_text.startswith("Epoch "), first_text
    page.wait_for_function(f"() => ({BATCH_CURVE_END})() > {first_end}", timeout=60_000)
    deadline = time.monotonic() + 60
    while progress.is_visible() and progress.inner_text() == first_text and time.monotonic() < deadline:
        time.sleep(0.3)
    later_text = progress.inner_text() if progress.is_visible() else "finished"
    assert later_text != first_text
    page.screenshot(path=str(screenshots / "train.png"))

    # Stop ends it within a second or two, keeping what it learned: a test accuracy and links onwards.
    # Scoped to the page body: while a script runs, Streamlit's own header shows a "Stop" button too.
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
    result = page.get_by_text(re.compile(r"^(Stopped early|Finished): test accuracy"))
    result.wait_for(timeout=30_000)
    wait_until_idle(page)
    # What was done, honestly and as the epoch chart counts it: N epochs, the last perhaps cut short.
    assert re.search(
        r" after \d+ epochs?( \((the last|it) stopped at batch \d+ of \d+\))? in ", result.inner_text()
    )
    assert page.locator(".js-plotly-plot").count() >= 2  # batch curves and per-epoch curves
    page.screenshot(path=str(screenshots / "train_finished.png"))


def test_switching_presets_shows_the_new_presets_settings(page, app_url, wait_until_idle):
    """Each preset's layers appear with its own numbers, even after editing another preset's."""
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_until_idle(page)
    set_number(page, "Units", 100, wait_until_idle)  # edit the baseline's one layer first

    def units() -> list[str]:
        return [f.input_value() for f in page.get_by_role("spinbutton", name="Units", exact=True).all()]

    for preset, expected, params in (
        ("dropout", ["256", "128"], "235,146"),
        ("tuned", ["512", "256", "128"], "567,434"),
    ):
        choose(page, "Start from a preset", f"{preset} —", wait_until_idle)
        assert units() == expected
        page.get_by_text(params, exact=True).wait_for(timeout=10_000)
        time.sleep(1)  # a stale value would come back from the browser on the next rerun
        wait_until_idle(page)
        assert units() == expected
        assert page.get_by_text("Custom architecture").count() == 0
