"""The Draw page's canvas and answer: one canvas that clears in place, which drawing is new, what to say.

Clearing used to give the canvas a new key. Streamlit then mounts a second canvas while the old one stays on
screen (greyed, "stale") until the whole page has run again: seconds on a busy server. A stroke made in that
window lands on the old canvas, whose value Streamlit drops (its key is gone), or on the new one just before
the old one disappears and the layout jumps. Either way that drawing never got an answer; drawing again did.
Now the canvas keeps one key and clears by loading an empty drawing (``initial_drawing`` changes with each
clear); the page ignores the last drawing until the canvas has sent its empty state.
"""

from __future__ import annotations

import hashlib
import html
import json

import numpy as np
import streamlit as st

from mnistlab.drawing import upscale_for_display
from mnistlab.legible import OK, Reading

CANVAS_KEY = "draw_canvas"
ROUND = "draw_canvas_round"  # how many times the canvas was cleared
IGNORED = "draw_ignored"  # the drawing that was on the canvas when it was cleared
SEEN, SEEN_RUN = "draw_seen", "draw_seen_run"  # the last drawing and model the page answered for
KEEP = "draw_keep"  # handwriting_view's key for the Keep box: its confirmation is f"{KEEP}_message"


def clear_canvas() -> None:
    """Callback (Clear, and after a drawing is kept): load an empty drawing into the same canvas."""
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    st.session_state[IGNORED] = st.session_state.get(SEEN)


def initial_drawing() -> dict:
    """The canvas's starting drawing: empty, and different after every clear (so the canvas reloads it)."""
    return {"objects": [], "mnistlabClear": st.session_state.setdefault(ROUND, 0)}


def fingerprint(json_data: dict | None) -> str | None:
    """A short id of the strokes on the canvas; None when there are none."""
    objects = (json_data or {}).get("objects") or []
    if not objects:
        return None
    return hashlib.sha1(json.dumps(objects, sort_keys=True, default=str).encode()).hexdigest()[:16]


def follow(json_data: dict | None, run_id: str) -> bool:
    """Note what the canvas holds now; False while it still shows the drawing that was just cleared.

    A new drawing, or another model, also takes the last "Kept as a 7" confirmation off the page.
    """
    state = st.session_state
    if state.get(SEEN_RUN, run_id) != run_id:
        state.pop(f"{KEEP}_message", None)
    state[SEEN_RUN] = run_id
    current = fingerprint(json_data)
    if current is not None and current == state.get(IGNORED):
        return False
    state.pop(IGNORED, None)  # the canvas has moved on: nothing left to ignore
    if current is not None and current != state.get(SEEN):
        state.pop(f"{KEEP}_message", None)
    state[SEEN] = current
    return True


def show_reading(reading: Reading, model_name: str, from_upload: bool, dataset: str = "mnist") -> None:
    """The answer: the class (or a word of doubt, or "draw a bigger digit") first, then what the model saw.
    Classes are named by the run's ``dataset`` ("Prediction: Trouser")."""
    from mnistlab import dataset_choice as choice
    from mnistlab.app.charts import probability_bars

    judgement = reading.judgement
    if reading.probabilities is None:
        st.warning(judgement.message, icon=":material/draw:")
        return
    probabilities = reading.probabilities
    digit = int(np.argmax(probabilities))
    name = choice.class_label(dataset, digit)
    headline = f"Prediction: {name}" if judgement.verdict == OK else f"Not sure: maybe {name}"
    st.markdown(f"<h1 style='margin:0; padding:0'>{html.escape(headline)}</h1>", unsafe_allow_html=True)
    confidence = (
        f"{float(probabilities[digit]):.1%}"
        if name == str(digit)
        else choice.prediction_text(dataset, probabilities)
    )
    st.markdown(
        f"**{confidence}** confident · model *{model_name}*"
        + (" · from the uploaded picture (remove it to use the canvas)" if from_upload else "")
    )
    if judgement.verdict != OK:
        st.warning(judgement.message, icon=":material/help:")
    seen_col, chart_col = st.columns([1, 2.4], vertical_alignment="center")
    seen_col.image(
        upscale_for_display(reading.image28, 140), caption="What the model sees (28×28)", width=140
    )
    with chart_col:
        names = choice.class_names(dataset)
        st.plotly_chart(
            probability_bars(
                probabilities, height=220, class_names=names if len(names) == len(probabilities) else None
            ),
            key="draw_probabilities",
        )
    st.caption(choice.framing_note(dataset))
