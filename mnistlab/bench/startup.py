"""Start-up: seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to a usable Draw page.

Home is opened at the address the server prints (``/``); it counts as ready when its title shows, and complete
once its script has finished and the page is drawn; then the Draw page is opened. A second start opens Draw
first (a bookmark, a link handed round in class), and two stand-in apps give Streamlit's own floor on this
machine, with the same browser and clock: one title (what Home could at best be), and one title with the same
drawing canvas (what Draw could at best be). Beside the wall-clock seconds
(which follow the machine's load) it reports the server's CPU seconds at both moments and its training workers'
(Linux), and whether the installed packages carry compiled bytecode: without it (``PYTHONDONTWRITEBYTECODE`` set
and a plain ``uv sync``) every start compiles Streamlit, pandas and the rest again, about 1.4 CPU s more before
Home.

Needs Playwright (in the project's dev group: ``uv sync``) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import logging
import os
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


# Streamlit's floor: the least any app takes to show a heading, and a heading with the drawing canvas.
FLOOR_APPS = {
    "title": 'import streamlit as st\n\nst.title("mnistlab")\n',
    "canvas": (
        "import streamlit as st\nfrom streamlit_drawable_canvas import st_canvas\n\n"
        'st.title("Draw")\n'
        'st_canvas(stroke_width=18, height=280, width=280, drawing_mode="freedraw", key="canvas")\n'
        'st.write("Nothing to classify yet")\n'
    ),
}


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
    """Seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to the Draw page's model UI; from
    another start to Draw opened first; and Streamlit's floor (``streamlit_floor``)."""
    from playwright.sync_api import sync_playwright

    project = project or PROJECT
    data = data or load_mnist()
    with tempfile.TemporaryDirectory(prefix="mnistlab-bench-") as tmp:
        seed_artifacts(Path(tmp), data)
        with sync_playwright() as pw:
            browser = dashboard.launch_chromium(pw)
            try:
                out = _home_then_draw(browser, tmp, project, timeout, canvas_wait_s)
                draw_first = _fresh_start(
                    browser,
                    tmp,
                    project,
                    "draw",
                    lambda page: _wait_for_draw_ui(page, timeout, canvas_wait_s),
                    timeout,
                )
                floors = streamlit_floor(browser, Path(tmp), timeout)
            finally:
                browser.close()
    return {
        **out,
        "draw_first_ready_s": round(draw_first, 2),
        "floor_title_s": round(floors["title"], 2),
        "floor_canvas_s": round(floors["canvas"], 2),
        "bytecode_installed": bytecode_installed(),
        "startup_load": round(os.getloadavg()[0], 2),
    }


def _home_then_draw(browser, artifacts, project: Path, timeout: float, canvas_wait_s: float) -> dict:
    """One start: Home at the printed address until ready and complete, then the Draw page."""
    page = browser.new_page()
    start = time.perf_counter()
    server = dashboard.start(artifacts, project=project)
    try:
        _goto_when_up(page, f"{server.url}/", start + timeout)
        page.get_by_role("heading", name=re.compile("mnistlab")).first.wait_for(timeout=timeout * 1000)
        home = time.perf_counter() - start
        home_cpu = cpu_seconds(server.process.pid)
        # Then the whole page: its script finished and drawn (sample digits, the study's table).
        page.wait_for_function(dashboard.IDLE_NOW, timeout=timeout * 1000)
        home_complete = time.perf_counter() - start
        clicked = time.perf_counter()
        page.goto(f"{server.url}/draw")
        ready = _wait_for_draw_ui(page, timeout, canvas_wait_s)
        draw = time.perf_counter()
        return {
            "home_ready_s": round(home, 2),
            "home_complete_s": round(home_complete, 2),
            "draw_ready_s": round(draw - start, 2),
            "draw_after_home_s": round(draw - clicked, 2),
            "draw_ui_seen": ready,
            "server_cpu_home_s": home_cpu,
            "server_cpu_draw_s": cpu_seconds(server.process.pid),
            "workers_cpu_draw_s": children_cpu_seconds(server.process.pid),
        }
    finally:
        dashboard.stop(server)
        page.close()


def _fresh_start(browser, artifacts, project: Path, path: str, ready, timeout: float) -> float:
    """Seconds from ``streamlit run`` in ``project`` to ``ready(page)`` returning, the page opened at ``/path``."""
    page = browser.new_page()
    start = time.perf_counter()
    server = dashboard.start(artifacts, project=project)
    try:
        _goto_when_up(page, f"{server.url}/{path}", start + timeout)
        ready(page)
        return time.perf_counter() - start
    finally:
        dashboard.stop(server)
        page.close()


def streamlit_floor(browser, folder: Path, timeout: float = 120.0) -> dict:
    """Seconds to the heading of a one-title app, and to a heading with the drawing canvas (``FLOOR_APPS``)."""
    out = {}
    for name, text in FLOOR_APPS.items():
        project = folder / f"floor-{name}"
        project.mkdir(exist_ok=True)
        (project / "app.py").write_text(text)

        def ready(page, name=name):
            page.get_by_role("heading").first.wait_for(timeout=timeout * 1000)
            if name == "canvas":
                page.locator("iframe[title*='canvas' i], canvas").first.wait_for(timeout=timeout * 1000)
                page.get_by_text("Nothing to classify yet").first.wait_for(timeout=timeout * 1000)

        out[name] = _fresh_start(browser, folder, project, "", ready, timeout)
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (None where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, ValueError, IndexError):
        return None


def children_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of the live child processes of ``pid`` (the training workers); None without /proc."""
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    total = 0.0
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            total += cpu_seconds(int(entry)) or 0.0
    return round(total, 2)


def bytecode_installed() -> bool:
    """Whether Streamlit's installed modules have compiled bytecode next to them (``__pycache__``)."""
    import streamlit

    return (Path(streamlit.__file__).parent / "__pycache__").is_dir()


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
