"""The Train page's architecture draft in session state: which preset it started from, the layer editor, the spec.

The draft itself is plain data edited by ``builder``; this module keeps it in ``st.session_state`` and draws
the editor. Uids come from one counter per session and are never reused (see ``builder``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnistlab.app import builder, train_settings
from mnistlab.app.layer_row import layer_buttons
from mnistlab.app.layout import flow
from mnistlab.labels import KIND_LABELS, LAYER_PARAM_LABELS
from mnistlab.specs import ACTIVATIONS, PRESETS, ArchitectureSpec, SpecError

DRAFT, PRESET, NEXT_UID = "train_draft", "train_preset", "train_next_uid"
START_FROM = "train_start_from"
EDITED = "your own (edited) — pick a preset to start again"
STEPS = {"units": 16, "rate": 0.05, "filters": 8, "kernel_size": 1, "size": 1}  # number inputs' +/- steps


def use_preset(name: str) -> None:
    """Start the draft afresh from preset ``name``."""
    # Fresh uids, never used before in this session: the browser would refill old keys with old values.
    first = st.session_state.get(NEXT_UID, 1)
    st.session_state[DRAFT] = builder.from_spec(PRESETS[name], first_uid=first)
    st.session_state[NEXT_UID] = first + len(PRESETS[name].layers)
    st.session_state[PRESET] = name


def ensure_draft(preset: str = "baseline") -> None:
    """A session's first visit starts from ``preset``."""
    if DRAFT not in st.session_state:
        use_preset(preset)


def preset_name() -> str | None:
    """The preset the draft still equals, or None once its layers were edited."""
    return st.session_state[PRESET]


def edit(change: Callable, *args) -> None:
    """Apply a ``builder`` change (``change(draft, *args)``) to the draft; it is then the user's own."""
    st.session_state[DRAFT] = change(st.session_state[DRAFT], *args)
    st.session_state[PRESET] = None


def add_layer(kind: str) -> None:
    uid = st.session_state.get(NEXT_UID, 1)
    st.session_state[NEXT_UID] = uid + 1
    edit(builder.add_layer, kind, None, uid)


def _load_preset() -> None:
    choice = st.session_state[START_FROM]
    if choice in PRESETS:
        use_preset(choice)
        st.session_state[train_settings.NAME] = ""
        train_settings.apply_preset(choice)


def preset_box() -> None:
    """The "Start from a preset" box; once the layers are edited it says so."""
    # Picking the same preset again is then a change, which loads its layers afresh (a selectbox calls
    # on_change only when its value changes).
    edited = preset_name() is None
    if edited and st.session_state.get(START_FROM) in PRESETS:
        st.session_state[START_FROM] = EDITED
    st.selectbox(
        "Start from a preset",
        [*PRESETS, EDITED] if edited else list(PRESETS),
        key=START_FROM,
        on_change=_load_preset,
        format_func=lambda p: f"{p} — {PRESETS[p].summary()}" if p in PRESETS else p,
        help="Loads the preset's layers below; edit them freely to make your own architecture.",
    )


def _setting(uid: int, param: str, value):
    """One layer setting's widget; returns what it holds now."""
    key, label = f"layer_{uid}_{param}", LAYER_PARAM_LABELS[param]
    if param == "activation":
        index = ACTIVATIONS.index(value) if value in ACTIVATIONS else 0
        return st.selectbox(label, ACTIVATIONS, key=key, index=index, width=130)
    is_rate = param == "rate"
    return st.number_input(
        label,
        value=float(value) if is_rate else int(value),
        step=STEPS[param],
        key=key,
        format="%.2f" if is_rate else "%d",
        width=130,
    )


def layer_editor() -> None:
    """One row per layer (its settings, move up / down / remove), then a button per kind to add one."""
    draft = st.session_state[DRAFT]
    for index, layer in enumerate(draft):
        uid, kind = layer["uid"], layer["kind"]
        with st.container(border=True), flow(vertical_alignment="bottom"):
            # Name, up to three settings (conv2d has three), then move up / down / remove: a row that wraps.
            st.markdown(f"**{index + 1}. {KIND_LABELS[kind]}**", width=90)
            for param in builder.PARAMS[kind]:
                value = _setting(uid, param, layer[param])
                if value != layer[param]:
                    was_preset = preset_name()
                    edit(builder.set_value, uid, param, value)
                    if was_preset:
                        st.rerun()  # so the preset box above says "edited" right away
            layer_buttons(index, uid, len(draft), edit)
    with flow():
        for kind in builder.DEFAULTS:
            st.button(
                f"+ {KIND_LABELS[kind]}",
                key=f"add_{kind}",
                help=f"Add a {KIND_LABELS[kind]} layer at the end",
                on_click=add_layer,
                args=(kind,),
            )


def draft_spec() -> tuple[ArchitectureSpec | None, SpecError | None]:
    """The draft as a validated spec (named for its preset, else "custom"), or the error naming a bad layer."""
    try:
        return builder.to_spec(st.session_state[DRAFT], name=preset_name() or "custom"), None
    except SpecError as exc:
        return None, exc
