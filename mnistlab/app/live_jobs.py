"""Jobs watched live on a page: a fragment polls them, and the whole page reruns once when one ends.

A fragment refreshes only itself, so the rest of the page (a results table, the verdicts, the canvas) would
keep showing the state from before the job ended; rerunning the page once when the set of watched jobs shrinks
shows the result, and lets the page decide afresh whether to keep polling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import streamlit as st


def ids_of(jobs: Iterable, watched: Callable = lambda job: job.is_active) -> set[str]:
    """The ids of the ``jobs`` still ``watched`` (by default: queued or running)."""
    return {job.id for job in jobs if watched(job)}


def set_shrank(before: set[str], now: set[str], until_none: bool = False) -> bool:
    """True when a job in ``before`` is no longer in ``now`` (with ``until_none``: and none is left)."""
    return bool(before - now) and not (until_none and now)


def poll_jobs(
    key: str,
    load: Callable[[], list],
    show: Callable[[list], None],
    every: float | None,
    *,
    watched: Callable = lambda job: job.is_active,
    until_none: bool = False,
    ready: Callable[[], bool] = lambda: True,
) -> None:
    """Show ``show(load())`` in a fragment that refreshes every ``every`` seconds (None: only with the page).

    The ids of the loaded jobs that are ``watched`` are kept under ``key`` in session state; when the set
    shrinks (with ``until_none``: to empty) and ``ready()`` holds, the whole page reruns once. Until ``ready()``
    holds the old set is kept, so the rerun comes on a later refresh (the Draw page waits for the saved model).
    """

    def body() -> None:
        jobs = load()
        now, before = ids_of(jobs, watched), st.session_state.get(key, set())
        if set_shrank(before, now, until_none):
            if not ready():
                show(jobs)
                return
            st.session_state[key] = now
            st.rerun(scope="app")
        st.session_state[key] = now
        show(jobs)

    st.fragment(body, run_every=every)()
