"""The Map page in Chromium: the map worker computes the best run's PCA map while the page shows
"computing…", a click on a digit shows it, and a 1 drawn on Draw lands among the 1s."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_draw_browser import STROKES, draw, open_draw_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEADING = re.compile(r"Test digit #(\d+): a (\d), read as (\d)")
LANDS = re.compile(r"lands among the (\d)s")

# The screen position of the 0 (first trace; _fullData holds the decoded arrays, data the base64 ones) farthest from any other point, so that a click picks it alone.
POINT_ON_SCREEN = """() => {
    const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    const px = (t, i) => [xa._offset + xa.l2p(t.x[i]), ya._offset + ya.l2p(t.y[i])];
    const all = gd._fullData.flatMap(t => Array.from(t.x, (_, i) => px(t, i)));
    let best = null;
    for (let i = 0; i < gd._fullData[0].x.length; i++) {
        const [x, y] = px(gd._fullData[0], i);
        let nearest = Infinity;
        for (const [u, v] of all) {
            const d = (u - x) ** 2 + (v - y) ** 2;
            if (d > 0 && d < nearest) nearest = d;
        }
        if (!best || nearest > best.gap) best = {x, y, gap: nearest, row: gd._fullData[0].customdata[i]};
    }
    const index = best.row.length === undefined ? best.row : best.row[0];  // customdata: (index, true, pred)
    return {x: box.left + best.x, y: box.top + best.y, index: Number(index)};
}"""


def test_map_computes_a_click_shows_the_digit_and_a_drawn_1_lands_among_the_1s(
    page, app_url, wait_until_idle, screenshots
):
    page.goto(f"{app_url}/map")
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for(
        timeout=300_000
    )  # worker: PCA
    wait_until_idle(page)
    assert page.get_by_text(re.compile(r"PCA of layer \d")).count() == 1  # PCA first, t-SNE on request
    point = page.evaluate(POINT_ON_SCREEN)
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])
    heading = page.get_by_text(HEADING)
    heading.wait_for(timeout=60_000)
    wait_until_idle(page)
    index, true, _ = HEADING.search(heading.inner_text()).groups()
    assert (int(index), int(true)) == (point["index"], 0)  # the first trace holds the 0s
    assert page.get_by_text(re.compile("8 test digits closest")).count() == 1
    page.screenshot(path=str(screenshots / "map-click.png"))

    open_draw_page(page, app_url, wait_until_idle)
    draw(page, STROKES[1])
    lands = page.get_by_text(LANDS)
    lands.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert LANDS.search(lands.inner_text()).group(1) == "1"
    page.screenshot(path=str(screenshots / "map-draw.png"), full_page=True)
