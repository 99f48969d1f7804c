"""Every page at a projector's half-screen (800 px) and on a phone (390 px): nothing wider than the window,
the canvas whole and drawable; plus the walk-through's flows: /home, deleting a run, re-picking a preset.

One browser context per width for the whole module (pages are visited in turn), on the session's server.
"""

from __future__ import annotations

import re

import pytest
from test_draw_browser import STROKES, draw, prediction
from ui import choose

pytestmark = pytest.mark.browser

WIDTHS = (800, 390)
# Each page and what shows it has finished drawing its first screen.
PAGES = {
    "": "text=mnistlab is a hands-on lab",
    "train": "role=button[name='Start training']",
    "compare": "text=Download table as CSV",
    "inspect": "text=Confusion matrix",
    "draw": "text=Nothing to classify yet",
    "learn": "h1:has-text('Learn')",
}
# How far anything reaches past the window's right edge: the page itself, Streamlit's scrolling main area, and
# every element and image (which a hidden overflow would otherwise only clip).
OVERFLOW = """() => {
  const width = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const wide = [...document.querySelectorAll('[data-testid="stElementContainer"], [data-testid="stImage"] img')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .map(el => (String(el.className).match(/st-key-\\S+/) || [el.tagName])[0] + ' ' + (el.innerText || '').slice(0, 40));
  return {
    page: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - width,
    main: main ? main.scrollWidth - main.clientWidth : 0,
    wide,
  };
}"""


def page_top(page, locator) -> float:
    """Where ``locator`` starts, in px from the top of the page (Streamlit scrolls its main area, not the window)."""
    return locator.evaluate(
        "el => el.getBoundingClientRect().top + window.scrollY"
        " + (document.querySelector('[data-testid=\"stMain\"]')?.scrollTop || 0)"
    )


@pytest.fixture(scope="module")
def narrow(browser):
    """One page per width (its own context: its own Streamlit session), for the whole module."""
    contexts = {width: browser.new_context(viewport={"width": width, "height": 900}) for width in WIDTHS}
    yield {width: context.new_page() for width, context in contexts.items()}
    for context in contexts.values():
        context.close()


def open_page(page, app_url, path, wait_until_idle) -> None:
    page.goto(f"{app_url}/{path}")
    page.locator(PAGES[path]).first.wait_for(timeout=60_000)
    wait_until_idle(page)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", list(PAGES))
def test_pages_fit_the_window(narrow, app_url, wait_until_idle, screenshots, width, path):
    page = narrow[width]
    open_page(page, app_url, path, wait_until_idle)
    overflow = page.evaluate(OVERFLOW)
    assert overflow["page"] <= 0 and overflow["main"] <= 0, overflow
    assert overflow["wide"] == [], overflow
    assert page.get_by_text("Traceback").count() == 0
    if path == "" and width == 390:
        page.screenshot(path=str(screenshots / f"{path or 'home'}_phone.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_canvas_is_whole_and_draws(narrow, app_url, wait_until_idle, screenshots, width):
    page = narrow[width]
    open_page(page, app_url, "draw", wait_until_idle)
    canvas = page.locator("canvas.upper-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert round(box["width"]) == 280 and round(box["height"]) == 280, box
    draw(page, STROKES[1])
    wait_until_idle(page)
    assert prediction(page) == 1
    # The answer is beside the canvas, or right under it on a phone: on the first screen (844 px is a phone's).
    assert page_top(page, page.get_by_text(re.compile(r"^Prediction: \d$"))) < 844
    if width == 390:
        page.screenshot(path=str(screenshots / "draw_phone.png"), full_page=True)
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Nothing to classify yet").wait_for(timeout=30_000)


def test_home_answers_at_slash_home(page, app_url, wait_until_idle):
    page.goto(f"{app_url}/home")
    page.get_by_text("mnistlab is a hands-on lab").wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("button", name="Start the study (4 networks × 3 seeds)").is_visible()


def test_deleting_a_run_leaves_no_ghost(page, app_url, browser_artifacts, wait_until_idle):
    """A throwaway run (no model, so Draw never offers it) is deleted from Compare's panel."""
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    store = RunStore(browser_artifacts / "runs")
    doomed = store.create(PRESETS["baseline"], TrainConfig().to_dict(), name="throwaway", preset="baseline")
    store.update(doomed, status="completed", test_accuracy=0.5, epochs_done=1, duration_s=1.0)
    label = store.load(doomed).label
    page.goto(f"{app_url}/compare")
    page.get_by_text("Download table as CSV").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.get_by_text("Rename or delete runs").click()
    picker = page.get_by_label("Run", exact=True)
    picker.wait_for(timeout=10_000)
    wait_until_idle(page)
    picker.click()
    page.keyboard.type("throwaway")
    page.get_by_role("option", name=label).click()
    wait_until_idle(page)
    assert page.get_by_role("textbox", name="New name").input_value() == "throwaway"
    page.get_by_text("Yes, delete throwaway").click()
    wait_until_idle(page)
    page.get_by_role("button", name="Delete run").click()
    page.get_by_text("Deleted throwaway.").wait_for(timeout=30_000)
    wait_until_idle(page)
    assert doomed not in {run.id for run in store.list_runs()}
    assert "throwaway" not in picker.input_value()  # the toast still says it; nothing else may
    assert page.get_by_text("Yes, delete throwaway").count() == 0
    confirm = page.get_by_role("checkbox", name="Yes, delete")
    assert not confirm.is_checked()
    shown = page.get_by_role("textbox", name="New name").input_value()
    assert page.get_by_text(f"Yes, delete {shown} and").is_visible()  # name and checkbox: the same run
    assert page.get_by_role("button", name="Delete run").is_disabled()


def test_picking_the_same_preset_again_resets_edits(page, app_url, wait_until_idle):
    page.goto(f"{app_url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_until_idle(page)
    units = page.get_by_role("spinbutton", name="Units", exact=True)
    units.fill("77")
    units.press("Enter")
    wait_until_idle(page)
    page.get_by_text("Custom architecture: Dense(77)").wait_for(timeout=10_000)
    choose(page, "Start from a preset", "baseline —", wait_until_idle)
    assert page.get_by_role("spinbutton", name="Units", exact=True).input_value() == "128"
    assert page.get_by_text("Preset 'baseline': Dense(128)").is_visible()
