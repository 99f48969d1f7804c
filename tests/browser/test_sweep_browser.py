"""Start a 3-trial sweep (600 digits, 1 epoch) from the real Sweep page and see its parallel coordinates."""

from __future__ import annotations

import pytest
from ui import set_number

pytestmark = pytest.mark.browser


def test_a_tiny_sweep_trains_and_draws_parallel_coordinates(
    page, empty_app_url, wait_until_idle, screenshots
):
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(f"{empty_app_url}/sweep")
    page.get_by_role("button", name="Start sweep").wait_for(timeout=60_000)
    wait_until_idle(page)
    set_number(page, "Trials", 3, wait_until_idle)
    set_number(page, "Epochs per trial", 1, wait_until_idle)
    set_number(page, "Training images", 600, wait_until_idle)
    page.get_by_role("button", name="Start sweep").click()

    # Live: the progress line counts trials; then the figures of the finished sweep.
    page.get_by_text("trials ·", exact=False).first.wait_for(timeout=120_000)
    page.get_by_text("completed · 3/3 trials", exact=False).first.wait_for(timeout=600_000)
    wait_until_idle(page)
    parcoords = page.locator(".js-plotly-plot .parcoords")
    parcoords.first.wait_for(timeout=60_000)
    assert page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.data && p.data[0].type === 'parcoords'"
        " && p.data[0].dimensions.length === 4)"
    )  # three searched settings and the metric
    assert page.get_by_text("Best trial #").count() >= 1
    assert page.get_by_role("link", name="Draw a digit for it").count() == 1
    page.screenshot(path=str(screenshots / "sweep.png"), full_page=True)
