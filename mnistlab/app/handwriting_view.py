"""Handwriting sets in the app: keep a drawing on Draw, score runs on a set in Inspect and Compare, manage
sets. (Learn's "Why does a 98 % model misread my 7?" is in ``handwriting_lesson_view``.)

Pages call one function each; every computation lives in ``mnistlab.handwriting``. (Train's ``augment``
checkbox is in ``train_form``.)
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistlab.app import state
from mnistlab.app.charts import confusion_heatmap
from mnistlab.app.identity import current_person
from mnistlab.app.widgets import as_text, digit_gallery, link, show_error
from mnistlab.files import StoreError
from mnistlab.handwriting import (
    HandwritingError,
    HandwritingStore,
    export_set,
    import_name,
    import_set,
    score_drawings,
    suggest_set_name,
)
from mnistlab.modelfile import ModelFileError
from mnistlab.people import NotAllowed

NEW_SET = "+ New set…"
FIRST_SET = "my-handwriting"
SCORE_SET = "handwriting_score_set"  # the set chosen for scoring, shared by Inspect and Compare
MAX_MISTAKES = 24


def _store() -> HandwritingStore:
    return HandwritingStore()  # under $MNISTLAB_ARTIFACTS/handwriting: cheap, a path


def _readable_sets(store: HandwritingStore, non_empty: bool = False) -> list:
    try:
        sets = store.list_sets()
    except OSError as exc:
        st.warning(f"Could not read the handwriting sets: {exc}")
        return []
    return [s for s in sets if not s.problem and (s.count or not non_empty)]


# ------------------------------------------------------------------------------------------------ Draw


def _keep(key: str, picture, image28, on_kept) -> None:
    """The Keep button's callback: runs before the page reruns, so it may reset the canvas."""
    store = _store()
    choice = st.session_state.get(f"{key}_set")
    meant = st.session_state.get(f"{key}_digit")
    try:
        if choice in (None, NEW_SET):
            typed = st.session_state.get(f"{key}_new", "") or FIRST_SET
            name = suggest_set_name(typed)
            if not name:
                raise HandwritingError("Give the new set a name (letters or digits).")
            if not store.exists(name):
                store.create(name, owner=current_person().id)
        else:
            name = choice
        store.add(name, picture, meant, image28)
    except (HandwritingError, OSError, NotAllowed) as exc:
        st.session_state[f"{key}_message"] = ("error", f"Not kept: {exc}")
        return
    count = len(store.rows(name))
    st.session_state[f"{key}_set"] = name
    st.session_state[f"{key}_message"] = (
        "success",
        f"Kept as a **{meant}** in **{name}** ({count} drawing{'s' if count != 1 else ''}). "
        "The canvas is clear for the next one.",
    )
    if on_kept is not None:
        on_kept()


DIGITS_ONLY = "Handwriting sets are drawn digits: only runs trained on MNIST are scored on them."


def keep_drawing(picture, image28, predicted: int | None, key: str = "keep", on_kept=None) -> None:
    """After a prediction: keep the drawing, with the digit meant, in a chosen or new set (one click).

    ``picture`` is the drawing as made (RGBA array), ``image28`` what the model saw; with ``image28`` None
    only the last confirmation is shown. ``on_kept()`` runs after a drawing is kept (e.g. to clear the canvas).
    Nothing is stored unless the button is pressed.
    """
    message = st.session_state.get(f"{key}_message")
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(
            text, icon=":material/check_circle:" if kind == "success" else ":material/error:"
        )
    if image28 is None or predicted is None:
        return
    store = _store()
    names = [s.name for s in _readable_sets(store)]
    with st.container(border=True, key=f"{key}_box"):
        st.markdown("**Keep this drawing** in a handwriting set, with the digit you meant:")
        if st.session_state.get(f"{key}_shown_for") != predicted:  # a new prediction proposes its digit
            st.session_state[f"{key}_digit"] = predicted
            st.session_state[f"{key}_shown_for"] = predicted
        meant = st.pills("Digit you meant", list(range(10)), key=f"{key}_digit", label_visibility="collapsed")
        set_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
        options = [*names, NEW_SET]
        if st.session_state.get(f"{key}_set") not in options:
            st.session_state[f"{key}_set"] = options[0]
        choice = set_col.selectbox("Set", options, key=f"{key}_set")
        if choice == NEW_SET:
            set_col.text_input(
                "Name of the new set",
                value=FIRST_SET if not names else "",
                key=f"{key}_new",
                placeholder="e.g. class-4b",
                help="Lowercase letters, digits, '-' and '_'; other characters become '-'.",
            )
        button_col.button(
            f"Keep as {meant}" if meant is not None else "Pick a digit",
            disabled=meant is None,
            type="primary",
            icon=":material/bookmark_add:",
            key=f"{key}_button",
            on_click=_keep,
            args=(key, picture, image28, on_kept),
            width="stretch",
        )
        st.caption(
            "Nothing is kept unless you press the button. Score models on your sets in Inspect or Compare."
        )


# ------------------------------------------------------------------------------------ managing the sets


@st.cache_data(show_spinner=False, max_entries=4)
def _zip(root: str, name: str, version: int) -> bytes:
    return export_set(HandwritingStore(root), name)


def manage_sets(key: str = "sets") -> None:
    """An expander listing the sets, with rename, delete, export (zip) and import (checked zip)."""
    store = _store()
    sets = _readable_sets(store)
    with st.expander(f"Handwriting sets ({len(sets)})", icon=":material/folder_special:"):
        if sets:
            st.dataframe(
                [
                    {"Set": s.name, "Drawings": s.count, **{str(d): s.per_digit[d] for d in range(10)}}
                    for s in sets
                ],
                hide_index=True,
            )
            name = st.selectbox("Set", [s.name for s in sets], key=f"{key}_pick")
            export_col, rename_col, delete_col = st.columns(3, gap="medium")
            try:
                data = _zip(str(store.root), name, store.version(name))
            except (HandwritingError, OSError, NotAllowed) as exc:
                export_col.error(as_text(f"Cannot export: {exc}"))
            else:
                export_col.download_button(
                    "Download as zip",
                    data,
                    file_name=f"{name}.zip",
                    mime="application/zip",
                    icon=":material/download:",
                    key=f"{key}_export",
                    on_click="ignore",
                )
            new_name = rename_col.text_input("New name", value=name, key=f"{key}_rename_{name}")
            if rename_col.button("Rename", key=f"{key}_rename_button"):
                try:
                    store.rename(name, suggest_set_name(new_name), actor=current_person())
                except (HandwritingError, OSError, NotAllowed) as exc:
                    show_error(exc)
                else:
                    st.rerun()
            sure = delete_col.checkbox(f"Yes, delete **{name}**", key=f"{key}_delete_sure")
            if delete_col.button("Delete set", disabled=not sure, key=f"{key}_delete"):
                store.delete(name, actor=current_person())
                st.session_state.pop(f"{key}_delete_sure", None)
                st.rerun()
        else:
            st.caption("No sets yet: keep a drawing above, or import a zip another class exported.")
        upload = st.file_uploader("Import a set (zip)", type=["zip"], key=f"{key}_import")
        if upload is not None and st.button("Import", key=f"{key}_import_button", icon=":material/upload:"):
            try:
                imported = import_set(store, upload.getvalue(), import_name(store, upload.name))
            except (HandwritingError, OSError, NotAllowed) as exc:
                show_error(exc, f"{upload.name} was not imported: ")
            else:
                st.success(f"Imported {len(store.rows(imported))} drawings as **{imported}**.")


# ------------------------------------------------------------------------------- scoring runs on a set


@st.cache_data(show_spinner=False, max_entries=64)
def _score(_model, run_id: str, root: str, name: str, version: int) -> dict:
    return score_drawings(_model, HandwritingStore(root).drawings(name))


def _pick_set(store: HandwritingStore, key: str):
    sets = _readable_sets(store, non_empty=True)
    if not sets:
        st.info(
            'No handwriting sets yet. Keep a few drawings on the Draw page ("Keep this drawing"), then '
            "score any model on them here.",
            icon=":material/draw:",
        )
        link("draw", "Draw and keep digits", icon=":material/draw:")
        return None
    by_name = {s.name: s for s in sets}
    if st.session_state.get(SCORE_SET) not in by_name:
        st.session_state.pop(SCORE_SET, None)
    name = st.columns([2, 3])[0].selectbox(
        "Handwriting set",
        list(by_name),
        index=None,
        key=SCORE_SET,
        placeholder="Choose a set to score on",
        format_func=lambda n: f"{n} ({by_name[n].count} drawings)",
    )
    return by_name.get(name)


def set_score(run, name: str, store: HandwritingStore | None = None) -> dict | None:
    """``run`` scored on the set ``name`` (cached until the set changes); None after showing an error."""
    store = store or _store()
    try:
        model = state.cached_model(run.id)
        return _score(model, run.id, str(store.root), name, store.version(name))
    except (StoreError, ModelFileError, HandwritingError, OSError) as exc:
        show_error(exc, f"{run.name}: ")
        return None


def score_run_on_set(run, key: str = "inspect_hw") -> None:
    """Inspect: one run on a handwriting set: accuracy next to MNIST's, confusion matrix, the mistakes."""
    st.subheader("On your handwriting")
    if not run.has_model:
        st.caption("This run has no model to score.")
        return
    if run.dataset != "mnist":
        st.caption(DIGITS_ONLY)
        return
    store = _store()
    chosen = _pick_set(store, key)
    if chosen is None:
        return
    metrics = set_score(run, chosen.name, store)
    if metrics is None:
        return
    cols = st.columns(3)
    cols[0].metric(
        f"On {chosen.name}",
        f"{metrics['accuracy']:.1%}",
        None
        if run.test_accuracy is None
        else f"{100 * (metrics['accuracy'] - run.test_accuracy):+.1f} points vs MNIST test",
        delta_color="normal",
    )
    cols[1].metric("MNIST test accuracy", "—" if run.test_accuracy is None else f"{run.test_accuracy:.2%}")
    cols[2].metric("Drawings", metrics["n"])
    matrix_col, mistakes_col = st.columns([5, 4], gap="large")
    with matrix_col:
        st.plotly_chart(
            confusion_heatmap(metrics["confusion"]), key=f"{key}_cm", config={"displayModeBar": False}
        )
        st.caption("Rows: the digit meant; columns: what the model read.")
    with mistakes_col:
        wrong = metrics["mistakes"][:MAX_MISTAKES]
        st.markdown(f"**Mistakes** ({len(metrics['mistakes'])} of {metrics['n']})")
        if wrong:
            drawings = store.drawings(chosen.name)
            images = [(np.asarray(drawings.images[i]) * 255).astype(np.uint8) for i, *_ in wrong]
            digit_gallery(images, [f"{t}→{p} · {c:.0%}" for _, t, p, c in wrong])
            st.caption("Meant → read · confidence, as the model saw each drawing (28×28).")
        else:
            st.caption("No mistakes: every drawing was read as meant.")


def compare_on_set(runs: list, key: str = "compare_hw") -> None:
    """Compare: every chosen run on one handwriting set, next to its MNIST test accuracy."""
    st.subheader("On your handwriting")
    runs = [run for run in runs if run.has_model]
    if runs and all(run.dataset != "mnist" for run in runs):
        st.caption(DIGITS_ONLY)
        return
    runs = [run for run in runs if run.dataset == "mnist"]
    if not runs:
        st.caption("None of the chosen runs has a model to score.")
        return
    store = _store()
    chosen = _pick_set(store, key)
    if chosen is None:
        return
    rows = []
    for run in runs:
        metrics = set_score(run, chosen.name, store)
        if metrics is None:
            continue
        recall = metrics["per_class"]["recall"]
        support = metrics["per_class"]["support"]
        missed = [d for d in range(10) if support[d] and recall[d] < 1]
        hardest = min(missed, key=lambda d: recall[d], default=None)
        rows.append(
            {
                "Run": run.label,
                "MNIST test (%)": None if run.test_accuracy is None else round(100 * run.test_accuracy, 2),
                f"{chosen.name} (%)": round(100 * metrics["accuracy"], 1),
                "Difference (points)": None
                if run.test_accuracy is None
                else round(100 * (metrics["accuracy"] - run.test_accuracy), 1),
                "Augmented": "yes" if run.config.get("augment") else "no",
                "Hardest digit": "—" if hardest is None else f"{hardest} ({recall[hardest]:.0%} read)",
            }
        )
    st.dataframe(rows, hide_index=True, key=f"{key}_table")
    st.caption(
        f"{chosen.count} drawings. Inspect a run to see its confusion matrix and the drawings it misread."
    )
