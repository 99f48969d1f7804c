"""Keep drawings on the real Draw page, then score a run on them in Inspect and Compare."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_draw_browser import STROKES, draw, open_draw_page, prediction

pytestmark = pytest.mark.browser

SET = "my-handwriting"
MEANT = (1, 7, 0)


def _dropout_run(artifacts) -> str:
    from mnistlab.runs.store import RunStore

    return next(run.id for run in RunStore(artifacts / "runs").list_runs() if run.preset == "dropout")


def _choose_set(page, wait_until_idle) -> None:
    """Pick the set in the "Handwriting set" selectbox (retrying if a rerun closed the list under the click)."""
    option = page.get_by_role("option", name=re.compile(rf"^{SET} \(3 drawings\)"))
    for _ in range(3):
        page.get_by_role("combobox", name="Handwriting set").click()
        try:
            option.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_until_idle(page)
            continue
        option.click()
        wait_until_idle(page)
        return
    raise AssertionError(f"the set {SET} is not offered: {page.get_by_role('option').all_inner_texts()}")


def test_keep_three_drawings_then_score_a_run_on_them(
    page, app_url, browser_artifacts, wait_until_idle, screenshots
):
    from mnistlab.handwriting import HandwritingStore

    sets = HandwritingStore(browser_artifacts / "handwriting")
    assert not sets.exists(SET)
    open_draw_page(page, app_url, wait_until_idle)
    read = []
    for number, digit in enumerate(MEANT, start=1):
        draw(page, STROKES[digit])
        wait_until_idle(page)
        read.append(prediction(page))
        assert sum(s.count for s in sets.list_sets()) == number - 1  # nothing is kept before the click
        pill = page.get_by_test_id("stButtonGroup").get_by_role("radio", name=str(digit), exact=True)
        if pill.get_attribute("aria-checked") != "true":  # the prediction is proposed; correct it if wrong
            pill.click()
            wait_until_idle(page)
        if number == 2:
            page.screenshot(path=str(screenshots / "draw_keep.png"))
        page.get_by_role("button", name=f"Keep as {digit}").click()
        page.get_by_text(f"Kept as a {digit} in {SET} ({number} drawing").wait_for(timeout=30_000)
        page.get_by_text("Nothing to classify yet").wait_for(timeout=30_000)  # a clear canvas for the next
        wait_until_idle(page)
    assert [row["label"] for row in sets.rows(SET)] == list(MEANT)

    # Inspect: the run's accuracy on the three drawings is what the Draw page read.
    expected = sum(r == m for r, m in zip(read, MEANT, strict=True)) / len(MEANT)
    page.goto(f"{app_url}/inspect?run={_dropout_run(browser_artifacts)}")
    page.get_by_text("On your handwriting").wait_for(timeout=60_000)
    wait_until_idle(page)
    _choose_set(page, wait_until_idle)
    metric = page.get_by_test_id("stMetric").filter(has_text=f"On {SET}")
    metric.wait_for(timeout=60_000)
    assert f"{expected:.1%}" in metric.inner_text()
    assert "points vs MNIST test" in metric.inner_text()
    page.get_by_test_id("stMetric").filter(has_text="Drawings").get_by_text("3", exact=True).wait_for()
    page.screenshot(path=str(screenshots / "inspect_handwriting.png"), full_page=True)

    # Compare: every chosen run on the set, next to its MNIST test accuracy.
    page.goto(f"{app_url}/compare")
    page.get_by_text("On your handwriting").wait_for(timeout=60_000)
    wait_until_idle(page)
    _choose_set(page, wait_until_idle)
    page.get_by_text("3 drawings. Inspect a run").wait_for(timeout=60_000)
    assert page.get_by_text("Traceback").count() == 0
