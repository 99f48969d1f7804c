"""How long each page takes to be ready on its first visit after a server start, and on a second visit.

    uv run python benchmarks/first_render.py [ARTIFACTS]     # prints JSON

Starts ``streamlit run app.py`` on a free port (with ARTIFACTS, default: $MNISTLAB_ARTIFACTS or artifacts/),
waits until it is healthy, then opens each page in a fresh Chromium context (a new session) and measures the
time from navigation until the page has drawn its first screen and Streamlit has finished running the script.
Pages are visited in the order a new user would (Home first); each page once cold, then once more warm.
Figures depend on the CPU (named in the output) and on what else the machine is doing.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mnistlab.bench import dashboard

ROOT = Path(__file__).resolve().parents[1]
# Each page and what shows that its first screen is drawn.
PAGES = {
    "home": ("", "text=mnistlab is a hands-on lab"),
    "train": ("train", "role=button[name='Start training']"),
    "compare": ("compare", "text=Download table as CSV"),
    "inspect": ("inspect", "text=Confusion matrix"),
    "draw": ("draw", "canvas.upper-canvas"),
    "learn": ("learn", "h1:has-text('Learn')"),
}
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def visit(browser, url: str, path: str, ready: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.locator(ready).first.wait_for(timeout=120_000)
    page.wait_for_function(IDLE, timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return round(elapsed, 2)


def main() -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNISTLAB_ARTIFACTS", "artifacts"))
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    with dashboard.serve(artifacts.resolve(), log=log) as server, sync_playwright() as playwright:
        browser = dashboard.launch_chromium(playwright)
        first = {name: visit(browser, server.url, *where) for name, where in PAGES.items()}
        again = {name: visit(browser, server.url, *where) for name, where in PAGES.items()}
        browser.close()
    print(json.dumps({"cpu": cpu_name(), "first_visit_s": first, "second_visit_s": again}, indent=2))


if __name__ == "__main__":
    main()
