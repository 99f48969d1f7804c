"""How the pages fit any screen, from a phone (390 px) to a projector's half-screen (800 px) to a wall screen.

Streamlit stacks columns only below 640 px and lays out everything else itself; what it cannot know is which
of our rows may wrap and which elements must never be wider than the screen. ``app.py`` injects one small
stylesheet for that on every run (``use_responsive_layout``); pages build rows that wrap with ``flow``.
Everything here is plain CSS on Streamlit's stable ``data-testid`` hooks: if a later Streamlit renames one, that
rule merely stops applying.
"""

from __future__ import annotations

import streamlit as st

# Below this width the navigation is a menu at the top and the page uses the whole window.
NARROW_PX = 900
# Buttons keyed "iconbtn-..." show only their icon; their label stays for screen readers (see layer_row).
ICON_BUTTON_KEY = "iconbtn"

RESPONSIVE_CSS = f"""
<style>
/* Narrow windows: less padding around the page, so content keeps the width. */
@media (max-width: {NARROW_PX}px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1rem; padding-right: 1rem; }}
  /* Columns narrower than ~18 rem wrap onto the next line instead of squeezing their words letter by letter. */
  [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; row-gap: 0.75rem; }}
  [data-testid="stColumn"] {{ min-width: min(18rem, 100%); }}
}}
/* Long titles break between words, not inside them. */
h1, h2, h3 {{ overflow-wrap: normal; word-break: normal; hyphens: manual; }}
/* The drawing canvas (Draw's keys start "draw_canvas") lives in its own shadow DOM, 280 px square: columns
   above keep at least 18 rem (288 px) for it. Its hover toolbar sits above its top edge: room for it, so it
   never covers the stroke-width slider. */
[class*="st-key-draw_canvas"] {{ margin-top: 2.5rem; }}
/* Icon-only buttons: the label is visually hidden but still the button's accessible name. */
[class*="st-key-{ICON_BUTTON_KEY}-"] button [data-testid="stMarkdownContainer"] {{
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}}
/* Tables and charts scroll inside their own box rather than pushing the page sideways. */
[data-testid="stDataFrame"], [data-testid="stPlotlyChart"] {{ max-width: 100%; overflow-x: auto; }}
[data-testid="stMarkdownContainer"] table {{ display: block; max-width: 100%; overflow-x: auto; }}
</style>
"""


def use_responsive_layout() -> None:
    """Inject the stylesheet (app.py calls this once per run, before the page)."""
    st.html(RESPONSIVE_CSS)


def flow(gap: str = "small", vertical_alignment: str = "top"):
    """A row whose items wrap onto the next line when the window is narrow (digits, links, metrics)."""
    return st.container(horizontal=True, gap=gap, vertical_alignment=vertical_alignment)
