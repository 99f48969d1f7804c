"""How long the Map page takes to draw its 10,000 points, at three window widths. Prints JSON.

    uv run python benchmarks/map_paint.py [ARTIFACTS]

Starts ``streamlit run app.py`` with ARTIFACTS (default: $MNISTLAB_ARTIFACTS or artifacts/), whose best run must
already have a cached map (``mnistlab map RUN_ID``), and opens /map in a fresh Chromium context (a new session)
at 1400, 800 and 390 px: the time from navigation until the WebGL scatter is on the page and Streamlit has
finished the script. The first visit after the server starts pays for importing the page's modules.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from mnistlab.bench import dashboard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from map_speed import cpu_name

WIDTHS = (1400, 800, 390)
READY = '[data-testid="stPlotlyChart"] .js-plotly-plot .gl-container canvas'
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def visit(browser, url: str, width: int) -> float:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{url}/map")
    page.locator(READY).first.wait_for(state="attached", timeout=120_000)
    page.wait_for_function(IDLE, timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return round(elapsed, 2)


def main() -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNISTLAB_ARTIFACTS", "artifacts"))
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    load_before = os.getloadavg()
    with dashboard.serve(artifacts.resolve(), log=log) as server, sync_playwright() as playwright:
        browser = dashboard.launch_chromium(playwright)
        first = {width: visit(browser, server.url, width) for width in WIDTHS}
        again = {width: visit(browser, server.url, width) for width in WIDTHS}
        browser.close()
    figures = {
        "cpu": cpu_name(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "first_visit_s": first,
        "again_s": again,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
