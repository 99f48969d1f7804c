"""Draw the browser tests' digits on the real Draw page, tilted and slanted, and keep them in a set.

Drives Chromium (Playwright) against a running app: every digit of tests/browser/test_draw_browser.py's
STROKES is drawn with the mouse upright, tilted by +-20 degrees, slanted by +-0.3 and both, then kept with
"Keep this drawing" in the set ``--set`` (created first). Score models on the set with
``mnistlab evaluate RUN_ID --set SET`` or ``benchmarks/augment.py --drawings artifacts/handwriting/SET``.

    MNISTLAB_ARTIFACTS=... uv run streamlit run app.py --server.port 8617 --server.headless true &
    MNISTLAB_ARTIFACTS=... uv run python benchmarks/collect_drawings.py --url http://localhost:8617
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = {  # (degrees, slant)
    "upright": (0, 0.0),
    "tilted left": (-20, 0.0),
    "tilted right": (20, 0.0),
    "slanted right": (0, 0.3),
    "slanted left": (0, -0.3),
    "tilted and slanted": (12, 0.2),
}


def transform(strokes, degrees: float, slant: float):
    """Stroke points (canvas units, 0..1) rotated and slanted about the canvas centre."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    out = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            dx, dy = x - 0.5, y - 0.5
            dx -= slant * dy  # y grows downwards: the top moves right for a positive slant
            points.append((0.5 + cos * dx - sin * dy, 0.5 + sin * dx + cos * dy))
        out.append(points)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8501")
    parser.add_argument("--set", default="browser-strokes")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from mnistlab.handwriting import HandwritingStore
    from tests.browser.test_draw_browser import STROKES, draw

    sets = HandwritingStore()
    if not sets.exists(args.set):
        sets.create(args.set)  # the newest set: the Draw page offers it first

    def idle(page):
        time.sleep(0.5)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
        )
        time.sleep(0.5)

    kept = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{args.url}/draw")
        page.locator("canvas.upper-canvas").wait_for(timeout=90_000)
        idle(page)
        for digit, strokes in STROKES.items():
            for degrees, slant in VARIANTS.values():
                draw(page, transform(strokes, degrees, slant))
                idle(page)
                page.get_by_text("Keep this drawing").wait_for(timeout=60_000)
                pill = page.get_by_test_id("stButtonGroup").get_by_role("radio", name=str(digit), exact=True)
                if pill.get_attribute("aria-checked") != "true":
                    pill.click()
                    idle(page)
                page.get_by_role("button", name=f"Keep as {digit}").click()
                kept += 1
                page.get_by_text(f"Kept as a {digit} in {args.set} (").wait_for(timeout=60_000)
                page.get_by_text("Nothing to classify yet").wait_for(timeout=60_000)
                idle(page)
        browser.close()
    print(f"kept {kept} drawings in {args.set}: {len(sets.rows(args.set))} in all")


if __name__ == "__main__":
    main()
