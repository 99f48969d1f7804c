"""Small widgets every page uses: run pickers, error messages, empty states, digit galleries, job rows, links."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import streamlit as st

from mnistlab.app import state  # noqa: F401 - importing it puts the page under app.py's navigation
from mnistlab.app.navigation import page_path
from mnistlab.dataset_choice import job_dataset, run_label
from mnistlab.dataset_choice import title as dataset_title
from mnistlab.export.importing import architecture_text
from mnistlab.files import StoreError
from mnistlab.runs.run import Run
from mnistlab.runs.store import RunStore
from mnistlab.text import duration

# Material icons ship with Streamlit, so they render on offline machines without emoji fonts.
STATUS_ICONS = {
    "completed": ":material/check_circle:",
    "stopped": ":material/stop_circle:",
    "failed": ":material/error:",
    "interrupted": ":material/warning:",
    "running": ":material/progress_activity:",
    "queued": ":material/schedule:",
}


# ----------------------------------------------------------------------------------------------- widgets


def run_picker(
    label: str, runs: list[Run], default: str | None = None, key: str = "run_picker", help: str | None = None
) -> Run | None:
    """A selectbox over ``runs`` (by id, shown by label); returns the chosen Run or None when there are none."""
    if not runs:
        return None
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    index = ids.index(default) if default in by_id else 0
    if key in st.session_state and st.session_state[key] not in by_id:
        del st.session_state[key]  # the run was deleted since: fall back to the default
    chosen = st.selectbox(
        label, ids, index=index, key=key, help=help, format_func=lambda run_id: run_label(by_id[run_id])
    )
    return by_id.get(chosen)


def choose_afresh(marker: str, classes, choices: dict) -> None:
    """Set the keyed pickers ``choices`` (key -> value) when ``classes`` (the shown set's class names) differ from
    the last run's, or a picker has no value yet.

    A keyed selectbox keeps its value when its options change, and the browser goes on showing the old option's
    label: after a switch from MNIST to Fashion-MNIST a picker read "5" where its option reads "5 · Sandal". Set
    through session state, the value is sent to the browser again with the new label."""
    classes = tuple(classes)
    if st.session_state.get(marker) != classes or any(key not in st.session_state for key in choices):
        st.session_state[marker] = classes
        for key, value in choices.items():
            st.session_state[key] = value


def query_run(runs: list[Run]) -> str | None:
    """The ``run`` query parameter when it names one of ``runs`` (links from Train and Compare use it)."""
    wanted = st.query_params.get("run")
    return wanted if any(run.id == wanted for run in runs) else None


def as_text(message: str) -> str:
    """``message`` escaped so Streamlit's Markdown shows backslashes, backticks and stars as typed."""
    return re.sub(r"([\\`*])", r"\\\1", str(message))


def show_error(exc: BaseException | str, prefix: str = "") -> None:
    """A clear st.error for an expected failure (never a traceback)."""
    st.error(as_text(f"{prefix}{exc}"), icon=":material/error:")


def run_header(run: Run) -> None:
    """A compact header: name, status, accuracy, parameters, epochs, training time."""
    st.subheader(f"{STATUS_ICONS.get(run.status, '')} {run.name}")
    from mnistlab.app.layout import flow

    with flow(gap="medium"):  # five metrics that wrap on a narrow window instead of cutting their values
        for label, value in (
            ("Test accuracy", "—" if run.test_accuracy is None else f"{run.test_accuracy:.2%}"),
            ("Parameters", f"{run.params:,}"),
            ("Epochs", run.epochs_done),
            ("Training time", "—" if run.duration_s is None else f"{float(run.duration_s):.1f} s"),
            ("Status", run.status),
        ):
            st.metric(label, value, width="content")
    # An imported model was trained elsewhere: here it is only scored.
    where = "imported · scored on" if run.imported else "trained on"
    st.caption(f"{architecture_text(run)} · {where} {dataset_title(run.dataset)} · run id `{run.id}`")
    if run.error:
        st.warning(run.error)


def no_runs_yet(what: str = "Nothing to show yet") -> None:
    """The friendly empty state with a link to Train."""
    st.info(f"{what}: no runs yet — train one first.", icon=":material/info:")
    link("train", "Train a model", icon=":material/model_training:")


def runs_or_stop(store: RunStore, what: str) -> list[Run]:
    """The store's readable runs; with none, the friendly empty state (and any damaged folders), then stop."""
    runs = list_runs_safely(store)
    if not runs:
        no_runs_yet(what)
        show_problems(store)
        st.stop()
    return runs


def show_problems(store: RunStore) -> None:
    """Damaged run folders, listed in an expander (they are skipped everywhere else)."""
    try:
        problems = store.problems()
    except OSError as exc:
        st.warning(f"Could not read the run store: {exc}")
        return
    if problems:
        with st.expander(f"{len(problems)} damaged run folder(s) skipped", icon=":material/warning:"):
            for folder, why in problems:
                st.markdown(f"- `{folder}`: {why}")


def list_runs_safely(store: RunStore) -> list[Run]:
    """``store.list_runs()``, or an empty list with an error message if the store cannot be read."""
    try:
        return store.list_runs()
    except (OSError, StoreError) as exc:
        st.error(f"Could not read the run store at {store.root}: {exc}")
        return []


def digit_tile(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """A 28x28 uint8 digit as a crisp, enlarged dark-on-light image for st.image."""
    img = 255 - np.asarray(image, dtype=np.uint8)
    return np.kron(img, np.ones((scale, scale), dtype=np.uint8))


def digit_strip(images: Iterable[np.ndarray], scale: int = 2, gap: int = 4) -> np.ndarray:
    """Digits side by side as one dark-on-light image (``gap`` light pixels between them): a row that never
    wraps, shrinking with the window instead."""
    tiles = [digit_tile(image, scale) for image in images]
    spacer = np.full((28 * scale, gap), 255, dtype=np.uint8)
    return np.hstack([part for tile in tiles for part in (tile, spacer)][:-1])


def digit_gallery(images: Iterable[np.ndarray], captions: Iterable[str], scale: int = 3) -> None:
    """Digits, each ``28 * scale`` px wide with its caption, in rows that wrap to fit the window."""
    from mnistlab.app.layout import flow

    with flow(gap="xsmall"):
        for image, caption in zip(images, captions, strict=False):
            st.image(digit_tile(image, scale), caption=caption, width=28 * scale)


# -------------------------------------------------------------------------------------------------- jobs


def progress_text(progress: dict | None) -> str:
    """One line for a progress bar: epoch, samples per second and time left."""
    if not progress:
        return "Starting: loading TensorFlow and the data (slower for the first training after a restart)…"
    text = f"Epoch {progress.get('epoch', 0)}/{progress.get('epochs', 0)}"
    if progress.get("samples_per_s"):
        text += f" · {progress['samples_per_s']:,.0f} samples/s"
    text += f" · about {duration(progress.get('eta_s'))} left"
    if progress.get("val_accuracy") is not None:
        text += f" · validation accuracy {progress['val_accuracy']:.2%}"
    return text


def job_row(job, position: int | None = None, owner: str | None = None) -> dict:
    """A row of the jobs table; ``owner`` (a display name) for other people's jobs."""
    progress = job.progress or {}
    if job.status == "queued":
        state = f"queued (#{position})" if position else "queued"
    elif job.status == "running":
        state = f"running · epoch {progress.get('epoch', 0)}/{progress.get('epochs', job.config.epochs)}"
    else:
        state = job.status
    row = {
        "Name": job.name or job.spec.name,
        "Dataset": dataset_title(job_dataset(job)),  # neither the name nor the architecture says it
        "State": state,
        "Architecture": job.spec.summary(),
    }
    if owner is not None:
        row["Owner"] = owner
    return row


def link(
    page: str, label: str, icon: str | None = None, query_params: dict | None = None, where=None
) -> None:
    """``st.page_link`` to one of ``navigation.PAGES`` by name; a plain link when the page runs outside the app's
    navigation (a page script run on its own)."""
    from streamlit.errors import StreamlitAPIException

    where = where or st
    try:
        where.page_link(page_path(page), label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        query = "&".join(f"{k}={v}" for k, v in (query_params or {}).items())
        where.markdown(f"{icon or ''} [{label}](/{page}{'?' + query if query else ''})")
