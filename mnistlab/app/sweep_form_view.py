"""The Sweep page's new-sweep form: a preset, the settings to vary, the search and budget, or a sweep JSON file.

The form only collects values: ``mnistlab.sweeps.form`` turns them into a sweep and ``parse_sweep`` validates it.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from mnistlab.app.dataset_view import dataset_picker
from mnistlab.app.identity import current_person
from mnistlab.app.sweep_view import SELECTED, get_manager
from mnistlab.app.widgets import show_error
from mnistlab.files import StoreError
from mnistlab.labels import SETTING_LABELS
from mnistlab.people import NotAllowed
from mnistlab.specs import PRESETS
from mnistlab.sweeps.form import default_rows, setting_options, suggestion, sweep_from_form
from mnistlab.sweeps.parsing import parse_sweep, parse_sweep_json
from mnistlab.sweeps.spec import MAX_TRIALS, METHODS, METRICS, SweepError

PRUNE_LABELS = {"median": "median rule", "halving": "successive halving", "off": "off"}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sweeps" / "notebook_mlp.json"


def start_sweep(raw: dict) -> str | None:
    """Validate, create and start a sweep for this session; shows the problem and returns None if it cannot."""
    manager = get_manager()
    try:
        sweep = parse_sweep(raw)
        person = current_person()
        sweep_id = manager.sweeps.create(sweep, owner=person.id)
        manager.start(sweep_id, owner=person.id, actor=person)
    except (SweepError, StoreError, NotAllowed) as exc:
        show_error(exc)
        return None
    st.session_state[SELECTED] = sweep_id
    return sweep_id


# ---------------------------------------------------------------------------------------------- the form


def new_sweep_form() -> None:
    """Define a sweep (base, dimensions, method, budget) or load one from JSON, then start it."""
    form_tab, json_tab = st.tabs(["Form", "JSON file"])
    with form_tab:
        _form()
    with json_tab:
        _json_loader()


def _form() -> None:
    left, right = st.columns([2, 3], gap="large")
    with left:
        preset = st.selectbox(
            "Base architecture",
            list(PRESETS),
            index=list(PRESETS).index("dropout"),
            key="sweep_base",
            help="The sweep varies settings of this preset; everything else stays as it is.",
        )
        base = PRESETS[preset]
        st.caption(base.summary())
        dataset, missing = dataset_picker(
            "sweep_dataset", "Dataset", help="Every trial trains and is scored on this set."
        )
        name = st.text_input("Name", value=f"{preset} sweep", max_chars=64, key="sweep_name")
        method = st.radio(
            "Search",
            METHODS,
            index=METHODS.index("tpe"),
            horizontal=True,
            key="sweep_method",
            format_func={"grid": "grid", "random": "random", "tpe": "TPE (learns where to look)"}.get,
            help="Grid tries every combination (give steps for ranges); random samples; TPE samples where good "
            "trials were.",
        )
        c1, c2 = st.columns(2)
        trials = c1.number_input("Trials", 1, MAX_TRIALS, 12, key="sweep_trials")
        epochs = c2.number_input("Epochs per trial", 1, 50, 3, key="sweep_epochs")
        subset = c1.number_input(
            SETTING_LABELS["train_subset"],
            600,
            60_000,
            10_000,
            step=1000,
            key="sweep_subset",
            help="Fewer images: faster trials, noisier answers.",
        )
        prune = c2.selectbox(
            "Pruning",
            list(PRUNE_LABELS),
            format_func=PRUNE_LABELS.get,
            key="sweep_prune",
            help="Stop trials whose validation accuracy after an epoch is worse than most trials' at that epoch.",
        )
        metric = st.selectbox("Metric", list(METRICS), key="sweep_metric", help="What the search maximizes.")
    with right:
        st.markdown("**What to vary**: one row per setting; `32 .. 1024` is a range, `128, 256` a list.")
        options = setting_options(base)
        rows_key = f"sweep_rows_{preset}"
        if rows_key not in st.session_state:
            st.session_state[rows_key] = default_rows(base)
        edited = st.data_editor(
            st.session_state[rows_key],
            key=f"sweep_editor_{preset}",
            num_rows="dynamic",
            width="stretch",
            column_config={
                "setting": st.column_config.SelectboxColumn(
                    "Setting", options=list(options), required=True, width="medium"
                ),
                "values": st.column_config.TextColumn(
                    "Values", help="a range low .. high, or a list a, b, c"
                ),
                "log": st.column_config.CheckboxColumn("Log scale", default=False, width="small"),
                "steps": st.column_config.NumberColumn(
                    "Grid steps", min_value=2, max_value=20, step=1, width="small"
                ),
            },
        )
        with st.expander("Suggested values"):
            st.markdown("\n".join(f"- `{k}`: {suggestion(k)[0]}" for k in options))
    if st.button("Start sweep", type="primary", icon=":material/play_arrow:", key="sweep_start"):
        rows = [dict(r) for r in (edited.to_dict("records") if hasattr(edited, "to_dict") else edited)]
        try:
            raw = sweep_from_form(
                name,
                preset,
                rows,
                method,
                int(trials),
                int(epochs),
                int(subset),
                metric,
                False if prune == "off" else prune,
            )
        except SweepError as exc:
            show_error(exc)
            return
        if missing:
            show_error(missing)
            return
        raw["dataset"] = dataset
        if start_sweep(raw):
            st.rerun()


def _json_loader() -> None:
    st.caption(
        "A sweep file as `mnistlab sweep FILE.json` takes it; the example asks what matters in the notebook's MLP."
    )
    upload = st.file_uploader("Sweep JSON", type=["json"], key="sweep_upload")
    default = EXAMPLE.read_text() if EXAMPLE.is_file() else "{}"
    text = upload.getvalue().decode("utf-8", errors="replace") if upload else None
    text = st.text_area("Sweep", value=text or default, height=260, key="sweep_json")
    if st.button("Start this sweep", icon=":material/play_arrow:", key="sweep_start_json"):
        try:
            parse_sweep_json(text)  # every problem named before anything is created
        except SweepError as exc:
            show_error(exc)
            return
        if start_sweep(json.loads(text)):
            st.rerun()
