"""The notebook study's buttons, shared by Home and Learn: queue what is missing, stop it, list its jobs.

The jobs belong to the person who pressed (in class mode only the teacher may); one click queues at most
``claims.STUDY_PER_CLICK`` of them.
"""

from __future__ import annotations

import streamlit as st

from mnistlab.app import state  # through the module: tests replace get_runner
from mnistlab.app.identity import current_person, people_names
from mnistlab.app.widgets import job_row
from mnistlab.files import StoreError
from mnistlab.people import NotAllowed
from mnistlab.runs.job import JobError
from mnistlab.study import claims


def queue_study(runs, seeds: int = claims.MIN_SEEDS, dataset: str = "mnist") -> str | None:
    """Queue the study's missing runs on ``dataset`` for the current person; returns the message to show, or
    shows the refusal and returns None."""
    try:
        runner, me = state.get_runner(), current_person()
        return claims.submit_missing(runner, runs, seeds=seeds, actor=me, dataset=dataset).message
    except NotAllowed as exc:
        st.warning(str(exc), icon=":material/block:")
    except (JobError, OSError, StoreError) as exc:
        st.error(f"Could not queue the study: {exc}")
    return None


def _stop_mine() -> None:
    try:
        stopped = claims.stop_study(state.get_runner(), actor=current_person())
    except NotAllowed as exc:
        st.toast(str(exc), icon=":material/block:")
        return
    st.toast(f"Stopping {stopped} study run(s).", icon=":material/stop_circle:")


def study_jobs_table(active: list, key: str) -> None:
    """The study's queued and running jobs, whose they are, and Stop for the person's own."""
    if not active:
        return
    runner, names, me = state.get_runner(), people_names(), current_person()
    st.dataframe(
        [
            job_row(j, runner.position(j.id), owner=None if me.owns(j.owner) else names(j.owner))
            for j in active
        ],
        hide_index=True,
    )
    if any(me.owns(j.owner) or (me.may_change(j.owner) and me.is_teacher) for j in active):
        st.button("Stop my study runs", key=key, icon=":material/stop_circle:", on_click=_stop_mine)
