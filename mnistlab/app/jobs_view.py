"""The Train page's trainings: the live (or final) view of one job, this session's jobs and the queue.

It refreshes every second while one of this session's jobs trains, every few seconds while jobs only wait,
and not at all when nothing is active; the page reruns when that cadence has to change.
"""

from __future__ import annotations

import streamlit as st

from mnistlab.app import state  # called through the module: tests replace its functions
from mnistlab.app.charts import batch_curves, epoch_curves
from mnistlab.app.identity import current_person, people_names
from mnistlab.app.live_jobs import poll_jobs
from mnistlab.app.train_form import FOCUS, SHOW_JOB
from mnistlab.app.widgets import STATUS_ICONS, job_row, link, progress_text, show_error
from mnistlab.files import StoreError
from mnistlab.people import NotAllowed, acting
from mnistlab.progress import work_done
from mnistlab.runs.jobs import JobError
from mnistlab.text import duration, plural

ACTIVE_IDS, RUNNING_IDS = "train_active_ids", "train_running_ids"


def refresh_every(active: list, owner: str) -> float | None:
    """Seconds between refreshes: 1 while one of ``owner``'s jobs trains, 3 while jobs only wait, else None.

    A tab that only waits in the queue checks every few seconds: its place in line changes slowly, and a class
    of watching tabs adds up on the server."""
    if any(job.owner == owner and job.status == "running" for job in active):
        return 1.0
    return 3.0 if active else None


NOTICE = "train_job_notice"  # what a Stop or Cancel click said, shown by the next render (a callback in a
# fragment may not draw: Streamlit would log "fragment rerun ... callback displays elements")


def _stop_job(runner, job_id: str) -> None:
    try:
        acting.stop_job(runner, job_id, current_person())
    except NotAllowed as exc:
        st.session_state[NOTICE] = (str(exc), ":material/block:")
    else:
        st.session_state[NOTICE] = (
            "Stopping… the run keeps what it learned so far.",
            ":material/stop_circle:",
        )


def _cancel_job(runner, job_id: str) -> None:
    try:
        cancelled = acting.cancel_job(runner, job_id, current_person())
    except NotAllowed as exc:
        st.session_state[NOTICE] = (str(exc), ":material/block:")
    else:
        if cancelled:
            st.session_state[NOTICE] = (
                "Cancelled: it leaves the queue without training.",
                ":material/cancel:",
            )


def wait_words(position: int | None, wait_s: float | None) -> str:
    """'Queued: number 3 in line, about 40 s to wait.' — the place in the fair queue and an honest estimate."""
    place = f"number {position} in line" if position else "in line"
    if wait_s is None:
        return f"Queued: {place}. It starts when a worker is free."
    if wait_s < 1:
        return f"Queued: {place}; it starts in a moment."
    return f"Queued: {place}, about {duration(wait_s)} to wait."


def _result(job) -> None:
    """A completed or stopped job's test accuracy and where to look at it next."""
    try:
        run = state.get_store().load(job.run_id) if job.run_id else None
    except StoreError as exc:
        run = None
        show_error(exc)
    if run is not None and run.test_accuracy is not None:
        word = "Finished" if job.status == "completed" else "Stopped early"
        done = work_done(job.progress) if job.status == "stopped" else None
        st.success(
            f"{word}: test accuracy **{run.test_accuracy:.2%}** after "
            f"{done or plural(run.epochs_done, 'epoch')} in {duration(run.duration_s)}.",
            icon=":material/target:",
        )
        links = st.columns(3)
        query = {"run": run.id}
        link("inspect", "Inspect its mistakes", icon=":material/search:", query_params=query, where=links[0])
        link("draw", "Draw a digit for it", icon=":material/draw:", query_params=query, where=links[1])
        link("compare", "Compare with other runs", icon=":material/bar_chart:", where=links[2])
    elif job.status == "stopped":
        st.info("Stopped before the first epoch ended: nothing to evaluate.")


def show_job(job, runner) -> None:
    """The live (or final) view of one job."""
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.toast(notice[0], icon=notice[1])
    st.markdown(f"#### {STATUS_ICONS.get(job.status, '')} {job.name or job.spec.name}")
    st.caption(
        f"{job.spec.summary()} · {job.config.epochs} epochs · batch {job.config.batch_size} · "
        f"{job.config.optimizer} lr {job.config.learning_rate:g} · seed {job.config.seed}"
    )
    if job.status == "queued":
        note, cancel = st.columns([6, 1], vertical_alignment="center")
        note.info(wait_words(*acting.queue_place(runner, job.id)), icon=":material/schedule:")
        cancel.button(
            "Cancel",
            key=f"cancel_{job.id}",
            icon=":material/cancel:",
            width="stretch",
            on_click=_cancel_job,
            args=(runner, job.id),
        )
    elif job.status == "running":
        bar, stop = st.columns([6, 1], vertical_alignment="center")
        bar.progress(job.fraction, text=progress_text(job.progress))
        # In the click's callback: it runs first thing, before the live view redraws its charts.
        stop.button(
            "Stop",
            key=f"stop_{job.id}",
            icon=":material/stop_circle:",
            width="stretch",
            on_click=_stop_job,
            args=(runner, job.id),
        )
    elif job.status in ("completed", "stopped"):
        _result(job)
    else:
        st.error(f"This job {job.status}: {job.error or 'no details'}", icon=":material/error:")
        if job.can_resubmit and st.button("Try again", key=f"again_{job.id}", icon=":material/replay:"):
            try:
                again = runner.resubmit(job.id, actor=current_person())
            except (JobError, NotAllowed) as exc:
                show_error(exc)
            else:
                st.session_state[FOCUS] = again.id
                st.session_state.pop(SHOW_JOB, None)
                st.rerun()
    if job.batches:
        st.plotly_chart(batch_curves(job.batches))
    if job.history.get("loss"):
        st.plotly_chart(epoch_curves(job.history))


def jobs_panel(everyone: list) -> None:
    """This session's jobs (one shown live, a picker when there are several) and other sessions' active ones."""
    runner = state.get_runner()
    owner = state.session_owner()
    mine = [job for job in everyone if job.owner == owner]
    others = [job for job in everyone if job.owner != owner and job.is_active]
    # One of ours left the queue and trains now: rerun the page, which then refreshes every second.
    if {job.id for job in mine if job.status == "running"} - st.session_state.get(RUNNING_IDS, set()):
        st.rerun()
    if not mine and not others:
        st.caption("No trainings yet in this session. Choose an architecture and press **Start training**.")
        return
    if mine:
        ids = [job.id for job in mine]
        focus = st.session_state.get(FOCUS)
        if focus not in ids:
            focus = next((job.id for job in mine if job.is_active), ids[0])
        by_id = {job.id: job for job in mine}
        if len(mine) > 1:
            # The picker's key holds the focus (a keyed widget ignores ``index`` after its first run).
            if st.session_state.get(SHOW_JOB) not in ids:
                st.session_state[SHOW_JOB] = focus
            focus = st.selectbox("Show", ids, format_func=lambda i: by_id[i].label, key=SHOW_JOB)
        st.session_state[FOCUS] = focus
        show_job(runner.get(focus) or by_id[focus], runner)  # fetched again: the list leaves curves out
        st.markdown("##### Your trainings")
        st.dataframe([job_row(job, runner.position(job.id)) for job in mine], hide_index=True)
    if others:
        st.markdown("##### Other people's trainings (queue)")
        names = people_names()
        st.dataframe(
            [job_row(job, runner.position(job.id), owner=names(job.owner)) for job in others], hide_index=True
        )


def trainings() -> None:
    """The live trainings section; the builder above still works when the runner cannot start."""
    try:
        active = state.get_runner().active_jobs()
    except (OSError, StoreError) as exc:
        show_error(exc, "The training runner is unavailable: ")
        return
    owner = state.session_owner()
    st.session_state[RUNNING_IDS] = {j.id for j in active if j.owner == owner and j.status == "running"}
    # When the last active job ends, the page reruns once: it stops refreshing and shows the result.
    poll_jobs(
        ACTIVE_IDS,
        lambda: state.get_runner().jobs(curves=False),  # the focused job's curve is fetched on its own
        jobs_panel,
        every=refresh_every(active, owner),
        until_none=True,
    )
