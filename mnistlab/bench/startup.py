"""Start-up: seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to a usable Draw page.

Needs Playwright (in the project's dev group: ``uv sync``) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path

from mnistlab.bench import dashboard
from mnistlab.data import Mnist, load_mnist
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

log = logging.getLogger(__name__)

PROJECT = dashboard.PROJECT  # where app.py is


def seed_artifacts(root: Path, data: Mnist) -> str:
    """One small saved run under ``root`` so model-backed pages have something to load."""
    from mnistlab.runs.experiment import train_run
    from mnistlab.runs.store import RunStore

    store = RunStore(root / "runs")
    config = TrainConfig(epochs=1, batch_size=128, train_subset=2000)
    return train_run(PRESETS["baseline"], config, store, name="bench run", preset="baseline", data=data)


def startup(
    data: Mnist | None = None,
    project: Path | None = None,
    timeout: float = 120.0,
    canvas_wait_s: float = 90.0,
) -> dict:
    """Seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to the Draw page's model UI."""
    from playwright.sync_api import sync_playwright

    project = project or PROJECT
    data = data or load_mnist()
    with tempfile.TemporaryDirectory(prefix="mnistlab-bench-") as tmp:
        seed_artifacts(Path(tmp), data)
        with sync_playwright() as pw:
            browser = dashboard.launch_chromium(pw)
            page = browser.new_page()
            start = time.perf_counter()
            server = dashboard.start(tmp, project=project)
            try:
                _goto_when_up(page, f"{server.url}/home", start + timeout)
                page.get_by_role("heading", name=re.compile("mnistlab")).first.wait_for(
                    timeout=timeout * 1000
                )
                home = time.perf_counter() - start
                clicked = time.perf_counter()
                page.goto(f"{server.url}/draw")
                ready = _wait_for_draw_ui(page, timeout, canvas_wait_s)
                draw = time.perf_counter() - start
                return {
                    "home_ready_s": round(home, 2),
                    "draw_ready_s": round(draw, 2),
                    "draw_after_home_s": round(time.perf_counter() - clicked, 2),
                    "draw_ui_seen": ready,
                }
            finally:
                dashboard.stop(server)
                browser.close()


def _goto_when_up(page, url: str, deadline: float) -> None:
    from playwright.sync_api import Error as PlaywrightError

    while True:
        try:
            page.goto(url, timeout=5000)
            return
        except PlaywrightError:  # connection refused until the server listens
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.1)


def _wait_for_draw_ui(page, timeout: float, canvas_wait_s: float) -> str:
    """Wait for the drawing canvas and the model-backed result panel; return what was seen."""
    from playwright.sync_api import TimeoutError as PageTimeout

    page.get_by_role("heading", name="Draw").first.wait_for(timeout=timeout * 1000)
    seen = "heading"
    try:  # the canvas is a component iframe; the result panel speaks only once the model has loaded
        page.locator("iframe[title*='canvas' i], canvas").first.wait_for(timeout=canvas_wait_s * 1000)
        seen = "canvas"
        page.get_by_text(re.compile("Nothing to classify yet|Prediction:")).first.wait_for(
            timeout=canvas_wait_s * 1000
        )
        return "canvas + model panel"
    except PageTimeout:
        log.warning("Draw page UI incomplete after %s s (saw %s); timed what was seen", canvas_wait_s, seen)
        return seen
