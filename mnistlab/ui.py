"""Streamlit glue shared by every page: the store, the job runner, models, run pickers and small widgets.

Pages import from here so they stay layout only. Nothing here imports TensorFlow at module level: a model is
loaded (and TensorFlow imported) only when a page asks for one through ``cached_model``.
"""

from __future__ import annotations

import math
import re
import secrets
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import streamlit as st

from .store import Run, RunStore, StoreError, artifacts_dir

OWNER_KEY = "mnistlab_owner"
PAGES = {
    "home": "pages/home.py",
    "train": "pages/train.py",
    "compare": "pages/compare.py",
    "inspect": "pages/inspect.py",
    "draw": "pages/draw.py",
    "learn": "pages/learn.py",
}
# Material icons ship with Streamlit, so they render on offline machines without emoji fonts.
STATUS_ICONS = {"completed": ":material/check_circle:", "stopped": ":material/stop_circle:",
                "failed": ":material/error:", "interrupted": ":material/warning:",
                "running": ":material/progress_activity:", "queued": ":material/schedule:"}


# ----------------------------------------------------------------------------------------- shared objects


def _artifacts_key() -> str:
    return str(artifacts_dir().resolve())


def get_store() -> RunStore:
    """The run store under ``$MNISTLAB_ARTIFACTS`` (cheap: a store is a path and a lock)."""
    return _store_for(_artifacts_key())


@st.cache_resource(show_spinner=False)
def _store_for(artifacts: str) -> RunStore:
    return RunStore(Path(artifacts) / "runs")


def get_runner():
    """The process-wide job runner for the current artifacts folder (one per folder, shared by sessions)."""
    from .jobs import default_runner

    return default_runner()  # it keeps one per folder, replaces a closed one, and shuts down cleanly at exit


def session_owner() -> str:
    """A random id for this browser session: jobs submitted here belong to it."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = f"s-{secrets.token_hex(4)}"
    return st.session_state[OWNER_KEY]


@st.cache_resource(show_spinner=False, max_entries=8)
def _model_for(artifacts: str, run_id: str):
    model = _store_for(artifacts).load_model(run_id)
    from .drawing import warm_up

    warm_up(model)  # build the graph once, not on the first click
    return model


def cached_model(run_id: str):
    """The run's Keras model, loaded once per server (raises ``StoreError``/``ModelFileError`` if unusable)."""
    with st.spinner("Loading the model…"):
        return _model_for(_artifacts_key(), run_id)


def test_images() -> np.ndarray:
    """MNIST's 10,000 test images (uint8, N x 28 x 28); ``load_mnist`` caches them per process."""
    from .data import load_mnist

    return load_mnist().x_test


_warm_up_lock = threading.Lock()
_warm_up_started = False


def warm_up_tensorflow() -> None:
    """Import TensorFlow on a background thread (once per process), so the first training starts sooner.

    Pages call this when a model is likely to be needed soon; it never blocks the page.
    """
    global _warm_up_started
    with _warm_up_lock:
        if _warm_up_started or "tensorflow" in sys.modules:
            return
        _warm_up_started = True

    def _import() -> None:
        from .tf import keras  # noqa: F401

    threading.Thread(target=_import, name="mnistlab-tf-warm-up", daemon=True).start()


# ----------------------------------------------------------------------------------------------- widgets


def run_picker(label: str, runs: list[Run], default: str | None = None, key: str = "run_picker",
               help: str | None = None) -> Run | None:
    """A selectbox over ``runs`` (by id, shown by label); returns the chosen Run or None when there are none."""
    if not runs:
        return None
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    index = ids.index(default) if default in by_id else 0
    if key in st.session_state and st.session_state[key] not in by_id:
        del st.session_state[key]  # the run was deleted since: fall back to the default
    chosen = st.selectbox(label, ids, index=index, key=key, help=help,
                          format_func=lambda run_id: by_id[run_id].label)
    return by_id.get(chosen)


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
    cols = st.columns(5)
    cols[0].metric("Test accuracy", "—" if run.test_accuracy is None else f"{run.test_accuracy:.2%}")
    cols[1].metric("Parameters", f"{run.params:,}")
    cols[2].metric("Epochs", run.epochs_done)
    cols[3].metric("Training time", "—" if run.duration_s is None else f"{float(run.duration_s):.1f} s")
    cols[4].metric("Status", run.status)
    st.caption(f"{run.spec.summary()} · run id `{run.id}`")
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


def digit_gallery(images: Iterable[np.ndarray], captions: Iterable[str], per_row: int = 10,
                  scale: int = 3) -> None:
    """Digits in a grid of ``per_row`` columns, each with a caption."""
    images, captions = list(images), list(captions)
    for start in range(0, len(images), per_row):
        cols = st.columns(per_row)
        for col, image, caption in zip(cols, images[start:start + per_row], captions[start:start + per_row]):
            col.image(digit_tile(image, scale), caption=caption, width="stretch")


# -------------------------------------------------------------------------------------------------- jobs



def duration_text(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``; '—' when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def progress_text(progress: dict | None) -> str:
    """One line for a progress bar: epoch, samples per second and time left."""
    if not progress:
        return "Starting: loading TensorFlow and the data (slower for the first training after a restart)…"
    text = f"Epoch {progress.get('epoch', 0)}/{progress.get('epochs', 0)}"
    if progress.get("samples_per_s"):
        text += f" · {progress['samples_per_s']:,.0f} samples/s"
    text += f" · about {duration_text(progress.get('eta_s'))} left"
    if progress.get("val_accuracy") is not None:
        text += f" · validation accuracy {progress['val_accuracy']:.2%}"
    return text


def job_row(job, position: int | None = None, mine: bool = True) -> dict:
    """A row of the jobs table."""
    progress = job.progress or {}
    if job.status == "queued":
        state = f"queued (#{position})" if position else "queued"
    elif job.status == "running":
        state = f"running · epoch {progress.get('epoch', 0)}/{progress.get('epochs', job.config.epochs)}"
    else:
        state = job.status
    row = {"Name": job.name or job.spec.name, "State": state,
           "Architecture": job.spec.summary()}
    if not mine:
        row["Owner"] = "another session"
    return row


def link(page: str, label: str, icon: str | None = None, query_params: dict | None = None, where=None) -> None:
    """``st.page_link`` to one of ``PAGES`` by name; a plain link when the page runs outside the app's
    navigation (a page script run on its own)."""
    from streamlit.errors import StreamlitAPIException

    where = where or st
    try:
        where.page_link(PAGES[page], label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        query = "&".join(f"{k}={v}" for k, v in (query_params or {}).items())
        where.markdown(f"{icon or ''} [{label}](/{page}{'?' + query if query else ''})")


# ------------------------------------------------------------------------------------- app navigation


def ensure_app_navigation() -> None:
    """Run pages through ``app.py``'s ``st.navigation`` even when the first visit after a restart is a deep link.

    Until ``app.py`` has run once in a server process, Streamlit treats the ``pages/`` folder as an old-style
    multipage app: opening ``/inspect?run=...`` first would run ``pages/inspect.py`` on its own (no wide layout,
    file names in the sidebar). Leaving that mode and rerunning gives the same page through ``app.py``.
    """
    try:  # Streamlit internals: if a later version moves them, deep links merely look old-style once
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    if getattr(PagesManager, "uses_pages_directory", False) and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_keras_session() -> None:
    """Stop Streamlit from clearing Keras' global session after every script run.

    Streamlit calls ``keras.backend.clear_session()`` (and closes pyplot figures) whenever a script or fragment
    finishes, to free models a script made. Here models live in the job runner's threads and in caches, and the
    Train page's live view reruns every second: clearing the session that often made a background training about
    three times slower (measured: dropout 5.6 s alone, 17 s with the live view open). The pyplot clean-up is kept.
    """
    try:  # a Streamlit internal: if a later version moves it, training is merely slower with the page open
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if getattr(script_runner._clean_problem_modules, "keeps_keras", False):
        return

    def clean_without_keras() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")

    clean_without_keras.keeps_keras = True
    script_runner._clean_problem_modules = clean_without_keras


ensure_app_navigation()  # every page imports this module first thing
keep_keras_session()
