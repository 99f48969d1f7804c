"""The Train page's trainings: the live (or final) view of one job, this session's jobs and the queue.

Watching a training must not slow it down: the browser and the server share the cores with the worker. So the
view is two fragments with their own cadence. The shown job's status (its progress bar and Stop) refreshes every
second while it trains; the charts and tables below refresh every few seconds while any job is active. Redrawing
two Plotly charts and a table every second kept the watching Chromium at about 0.4 of a core and slowed the
training about 30 %. Nothing refreshes when nothing is active; the page reruns when the shown job's status
changes (its cadence changes too) and when the last active job ends.
"""

from __future__ import annotations

import streamlit as st

from mnistlab import dataset_choice as choice
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

ACTIVE_IDS = "train_active_ids"
PROGRESS_EVERY, PANEL_EVERY = 1.0, 3.0  # seconds: a training job's progress; the charts, tables and queue


def status_every(job) -> float | None:
    """Seconds between refreshes of a job's status: 1 while it trains, 3 while it waits in the queue, else None.

    A tab that only waits in the queue checks every few seconds: its place in line changes slowly, and a class
    of watching tabs adds up on the server."""
    if job.status == "running":
        return PROGRESS_EVERY
    return PANEL_EVERY if job.is_active else None


def panel_every(active: list) -> float | None:
    """Seconds between refreshes of the charts and tables: every few seconds while any job is active, else None.

    The curves move every second, but redrawing them that often is most of what watching cost the training; a
    chart every 3 s still shows each epoch while the progress bar above it moves every second."""
    return PANEL_EVERY if active else None


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
        draw = choice.draw_link(choice.job_dataset(job))
        link("draw", draw, icon=":material/draw:", query_params=query, where=links[1])
        link("compare", "Compare with other runs", icon=":material/bar_chart:", where=links[2])
    elif job.status == "stopped":
        st.info("Stopped before the first epoch ended: nothing to evaluate.")


def job_heading(job) -> None:
    """A job's name, status icon and settings (they change only with its status, when the page reruns)."""
    st.markdown(f"#### {STATUS_ICONS.get(job.status, '')} {job.name or job.spec.name}")
    st.caption(
        f"{choice.title(choice.job_dataset(job))} · {job.spec.summary()} · {plural(job.config.epochs, 'epoch')} · "
        f"batch {job.config.batch_size} · "
        f"{job.config.optimizer} lr {job.config.learning_rate:g} · seed {job.config.seed}"
    )


def show_job(job, runner) -> None:
    """The live (or final) status of one job: its place in the queue, its progress and Stop, or its result."""
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.toast(notice[0], icon=notice[1])
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
        # In the click's callback: it runs first thing, before the live view redraws.
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


def job_curves(job) -> None:
    """A job's batch curves and per-epoch curves (what it has so far)."""
    if job.batches:
        st.plotly_chart(batch_curves(job.batches))
    if job.history.get("loss"):
        st.plotly_chart(epoch_curves(job.history))


def _job_status(job_id: str, runner, seen: str) -> None:
    """The shown job's status (a fragment). When it is no longer ``seen`` (the status the page was drawn with),
    the page reruns: it starts or stops refreshing every second, and shows the result."""
    job = runner.get(job_id)
    if job is None:
        return
    if job.status != seen:
        # The page's rerun shows what changed; the panel below need not rerun the page a second time for it.
        st.session_state.get(ACTIVE_IDS, set()).discard(job_id)
        st.rerun(scope="app")
    show_job(job, runner)


def pick_job(mine: list) -> str:
    """The id of the job to show: the one last shown or started, else an active one, else the newest; a picker
    when there are several."""
    ids = [job.id for job in mine]
    focus = st.session_state.get(FOCUS)
    if focus not in ids:
        focus = next((job.id for job in mine if job.is_active), ids[0])
    by_id = {job.id: job for job in mine}
    if len(mine) > 1:
        # The picker's key holds the focus (a keyed widget ignores ``index`` after its first run).
        if st.session_state.get(SHOW_JOB) not in ids:
            st.session_state[SHOW_JOB] = focus
        focus = st.selectbox("Show", ids, format_func=lambda i: choice.job_label(by_id[i]), key=SHOW_JOB)
    st.session_state[FOCUS] = focus
    return focus


def jobs_panel(everyone: list, focus: str | None = None) -> None:
    """The shown job's curves, this session's jobs and other sessions' active ones."""
    runner = state.get_runner()
    owner = state.session_owner()
    mine = [job for job in everyone if job.owner == owner]
    others = [job for job in everyone if job.owner != owner and job.is_active]
    if not mine and not others:
        st.caption("No trainings yet in this session. Choose an architecture and press **Start training**.")
        return
    if mine:
        shown = runner.get(focus) if focus else None  # fetched on its own: the list leaves curves out
        if shown is not None:
            job_curves(shown)
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
        runner = state.get_runner()
        everyone = runner.jobs(curves=False)
    except (OSError, StoreError) as exc:
        show_error(exc, "The training runner is unavailable: ")
        return
    owner = state.session_owner()
    active = [job for job in everyone if job.is_active]
    mine = [job for job in everyone if job.owner == owner]
    focus = pick_job(mine) if mine else None
    if focus:
        job = next(job for job in mine if job.id == focus)
        job_heading(job)  # outside the fragment: each refresh redraws only what moves
        st.fragment(_job_status, run_every=status_every(job))(focus, runner, job.status)
    # When the last active job ends, the page reruns once: it stops refreshing and shows the result.
    poll_jobs(
        ACTIVE_IDS,
        lambda: state.get_runner().jobs(curves=False),
        lambda jobs: jobs_panel(jobs, focus),
        every=panel_every(active),
        until_none=True,
    )
