"""What a new user and a reviewer tripped over, in a real browser: Compare's figure labels at 1400 and 800 px,
the model summary at 800 px, the page menu on a phone, and a server log free of Streamlit's warnings after
normal use of every page."""

from __future__ import annotations

import re

import pytest
from test_draw_browser import STROKES, draw, prediction
from ui import choose

pytestmark = pytest.mark.browser

# Every SVG text of each Plotly figure on the page, as boxes; the pairs of them that overlap (by more than a
# sliver: touching edges are fine).
OVERLAPPING_LABELS = """() => {
  const found = [];
  document.querySelectorAll('.js-plotly-plot').forEach((plot, figure) => {
    const boxes = [...plot.querySelectorAll('svg text')]
      .filter(t => t.textContent.trim())
      .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect()}))
      .filter(b => b.r.width > 0 && b.r.height > 0);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r, b = boxes[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) found.push(`figure ${figure}: "${boxes[i].text}" / "${boxes[j].text}"`);
      }
    }
  });
  return found;
}"""
LONG_NAMES = {
    "baseline": "baseline · quick start from the Draw page",
    "deeper": "deeper · 12 epochs · batch 64",
    "dropout": "sweep notebook-mlp trial 17 (pruned)",
    "tuned": "tuned with a long custom name",
    "cnn": "cnn · run 3",
}


@pytest.fixture(scope="module")
def many_runs(browser_artifacts):
    """Five more finished runs (no model files), one per preset, with long names and settings of their own (not
    seed-mates of the session's runs); removed afterwards."""
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    store = RunStore(browser_artifacts / "runs")
    ids = []
    for i, (preset, name) in enumerate(LONG_NAMES.items()):
        run_id = store.create(PRESETS[preset], TrainConfig(epochs=5 + i).to_dict(), name=name, preset=preset)
        store.update(run_id, status="completed", test_accuracy=0.90 + 0.01 * i, epochs_done=2, duration_s=1.0)
        ids.append(run_id)
    yield ids
    for run_id in ids:
        store.delete(run_id)


@pytest.mark.parametrize("width", [1400, 800])
def test_compare_figure_labels_do_not_overlap(
    browser, app_url, many_runs, wait_until_idle, screenshots, width
):
    context = browser.new_context(viewport={"width": width, "height": 2400})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/compare")
        page.get_by_text("Download table as CSV").wait_for(timeout=60_000)
        page.get_by_text("Accuracy vs size").wait_for(timeout=60_000)
        wait_until_idle(page, quiet_ms=1500)  # Plotly lays its labels out after the page has run
        assert page.locator(".js-plotly-plot").count() >= 3  # curves, accuracy bars, accuracy vs size
        for name in ("sweep notebook-mlp trial 17", "tuned with a long custom na"):  # long names are cut
            page.locator(".js-plotly-plot svg text").filter(has_text=name).first.wait_for(timeout=30_000)
        wait_until_idle(page, quiet_ms=1000)
        assert page.evaluate(OVERLAPPING_LABELS) == []
    finally:
        context.close()


def test_model_summary_shows_every_column_at_800_px(browser, app_url, wait_until_idle):
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/train")
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        wait_until_idle(page)
        table = page.locator("[data-testid='stDataFrame']").first  # the first table: the model summary
        table.wait_for(timeout=30_000)
        # The grid scrolls sideways when its columns are wider than its box: then the last ones are cut off.
        widths = table.evaluate(
            "el => { const s = el.querySelector('.dvn-scroller'); return [s.scrollWidth, s.clientWidth]; }"
        )
        assert widths[0] <= widths[1], f"the model summary scrolls sideways: {widths}"
    finally:
        context.close()


def test_the_page_menu_on_a_phone_is_the_button_at_the_top_left(browser, app_url, wait_until_idle):
    """The README says so: the menu runs along the top, and on a phone it folds into the » button there."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(app_url)
        page.get_by_text("mnistlab is a hands-on lab").wait_for(timeout=60_000)
        wait_until_idle(page)
        button = page.get_by_test_id("stExpandSidebarButton")
        box = button.bounding_box()
        assert box and box["y"] < 60 and box["x"] < 60  # top left, on the first screen
        button.click()
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Draw")
        link.wait_for(timeout=10_000)
        page.wait_for_function(
            "() => { const nav = document.querySelector('[data-testid=\"stSidebarNav\"]');"
            " return nav && nav.getBoundingClientRect().left >= 0; }",
            timeout=10_000,
        )
        link.click()
        # Home links to Draw under the same words, so wait for the address and Draw's own canvas.
        page.wait_for_url(re.compile(r"/draw/?(\?.*)?$"), timeout=60_000)
        page.locator("canvas.upper-canvas").wait_for(timeout=60_000)
        assert page.get_by_role("heading", name="Draw a digit").is_visible()
    finally:
        context.close()


STREAMLIT_WARNINGS = re.compile(
    r"set via the Session State API|A fragment rerun was triggered with a callback"
)


def test_normal_use_of_every_page_leaves_no_streamlit_warning(page, app_url, app_log, wait_until_idle):
    """Pick a preset, change the epochs, start and stop a training, draw, visit every page: the server log
    stays clean (Streamlit warned about Train's settings and about the Stop button's callback before)."""
    page.set_viewport_size({"width": 1400, "height": 1600})
    start = len(app_log.read_text(errors="replace"))
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_until_idle(page)
    choose(page, "Start from a preset", "dropout —", wait_until_idle)
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("20")  # long enough to be stopped while it runs
    epochs.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Start training").click()
    stop = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop")
    stop.wait_for(timeout=120_000)
    stop.click()
    page.get_by_text(re.compile(r"^(Stopped early|Finished): test accuracy")).wait_for(timeout=60_000)
    wait_until_idle(page)

    page.goto(f"{app_url}/draw")
    page.locator("canvas.upper-canvas").wait_for(timeout=60_000)
    wait_until_idle(page)
    draw(page, STROKES[1])
    assert prediction(page) == 1
    page.get_by_role("button", name="Clear").click()
    wait_until_idle(page)
    for path, ready in (
        ("", "text=mnistlab is a hands-on lab"),
        ("compare", "text=Download table as CSV"),
        ("inspect", "text=Confusion matrix"),
        ("sweep", "h1:has-text('Sweep')"),
        ("learn", "h1:has-text('Learn')"),
    ):
        page.goto(f"{app_url}/{path}")
        page.locator(ready).first.wait_for(timeout=60_000)
        wait_until_idle(page)
    log = app_log.read_text(errors="replace")
    # Streamlit prints the Session State warning once per server: the whole log counts, not just this test's.
    found = [line for line in log.splitlines() if STREAMLIT_WARNINGS.search(line)]
    found += [line for line in log[start:].splitlines() if "Traceback" in line]
    assert found == [], "\n".join(found)
