"""Start-up: seconds from ``streamlit run app.py`` to Home rendered in Chromium, then to a usable Draw page.

Home is opened at the address the server prints (``/``); it counts as ready when its title shows, and complete
once its script has finished and the page is drawn; then the Draw page is opened. Beside the wall-clock seconds
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
                _goto_when_up(page, f"{server.url}/", start + timeout)
                page.get_by_role("heading", name=re.compile("mnistlab")).first.wait_for(
                    timeout=timeout * 1000
                )
                home = time.perf_counter() - start
                home_cpu = cpu_seconds(server.process.pid)
                # Then the whole page: its script finished and drawn (sample digits, the study's table).
                page.wait_for_function(dashboard.IDLE_NOW, timeout=timeout * 1000)
                home_complete = time.perf_counter() - start
                clicked = time.perf_counter()
                page.goto(f"{server.url}/draw")
                ready = _wait_for_draw_ui(page, timeout, canvas_wait_s)
                draw = time.perf_counter() - start
                return {
                    "home_ready_s": round(home, 2),
                    "home_complete_s": round(home_complete, 2),
                    "draw_ready_s": round(draw, 2),
                    "draw_after_home_s": round(time.perf_counter() - clicked, 2),
                    "draw_ui_seen": ready,
                    "server_cpu_home_s": home_cpu,
                    "server_cpu_draw_s": cpu_seconds(server.process.pid),
                    "workers_cpu_draw_s": children_cpu_seconds(server.process.pid),
                    "bytecode_installed": bytecode_installed(),
                    "startup_load": round(os.getloadavg()[0], 2),
                }
            finally:
                dashboard.stop(server)
                browser.close()


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
