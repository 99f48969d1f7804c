"""Compare's "Rename or delete runs" panel.

Both actions run in the button's ``on_click`` callback, before the page script: the callback changes the store
and then sets the panel's widgets to what should follow (the picker on a run that still exists, the
confirmation unticked). Done after the widgets were drawn, as before, the browser sent their old values back
on the next run and the panel kept showing the deleted run, ticked, under another run's name.
"""

from __future__ import annotations

import streamlit as st

from mnistlab.app.identity import current_person, roster
from mnistlab.app.widgets import as_text
from mnistlab.files import StoreError
from mnistlab.people import NotAllowed, acting
from mnistlab.runs.run import Run
from mnistlab.runs.store import RunStore

PICK, CONFIRM, PROBLEM = "manage_run", "delete_confirm", "manage_problem"
FOLLOWERS = ("diff_a", "diff_b")  # Compare's A/B pickers: they start again from the runs that remain


def _rename(store: RunStore, run_id: str, key: str) -> None:
    new_name = st.session_state.get(key, "")
    try:
        acting.rename_run(store, store.load(run_id), new_name, current_person())
    except (StoreError, NotAllowed) as exc:
        st.session_state[PROBLEM] = str(exc)
    else:
        st.toast(f"Renamed to {new_name.strip()}.", icon=":material/edit:")


def _delete(store: RunStore, run_id: str, name: str, remaining: list[str]) -> None:
    try:
        acting.delete_run(store, store.load(run_id), current_person())
    except (StoreError, NotAllowed) as exc:
        st.session_state[PROBLEM] = str(exc)
        return
    st.session_state[CONFIRM] = False
    if remaining:
        st.session_state[PICK] = remaining[0]
    else:
        st.session_state.pop(PICK, None)
    for key in FOLLOWERS:
        st.session_state.pop(key, None)
    st.toast(f"Deleted {name}.", icon=":material/delete:")


def manage_runs(store: RunStore, by_id: dict[str, Run]) -> None:
    """The panel: pick a run, rename it, or delete it after ticking the confirmation."""
    with st.expander("Rename or delete runs"):
        if st.session_state.get(PICK) not in by_id:
            st.session_state.pop(PICK, None)
        target = st.selectbox("Run", list(by_id), key=PICK, format_func=lambda i: by_id[i].label)
        run = by_id[target]
        problem = st.session_state.pop(PROBLEM, None)
        if problem:
            st.error(as_text(problem), icon=":material/error:")
        # Shown only to whoever may change the run; the store refuses anyone else (the page is not the guard).
        mine = current_person().may_change(getattr(run, "owner", None))
        if not mine:
            st.caption(
                f"This run belongs to {as_text(roster().name_of(run.owner))}: only its owner or the teacher "
                "can rename or delete it."
            )
        rename_col, delete_col = st.columns(2, gap="large")
        with rename_col:
            key = f"rename_{target}"
            st.text_input("New name", value=run.name, key=key, disabled=not mine)
            st.button(
                "Rename", key="rename_button", disabled=not mine, on_click=_rename, args=(store, target, key)
            )
        with delete_col:
            active = run.status == "running"
            confirm = st.checkbox(
                f"Yes, delete **{run.name}** and its model for good",
                key=CONFIRM,
                disabled=active or not mine,
            )
            if active:
                st.caption("A run that is still training cannot be deleted; stop it on the Train page first.")
            st.button(
                "Delete run",
                type="primary",
                disabled=not confirm or active or not mine,
                key="delete_button",
                on_click=_delete,
                args=(store, target, run.name, [i for i in by_id if i != target]),
            )
