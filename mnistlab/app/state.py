"""What every page shares for the life of the server: the run store, the job runner, loaded models.

Heavy objects live behind ``st.cache_resource``; ``st.session_state`` holds only who this browser session is.
Nothing here imports TensorFlow at module level: a model is loaded (and TensorFlow imported) only when a page
asks for one through ``cached_keras_model``; ``cached_model`` reads weights with NumPy (``mnistlab.inference``).
Every page calls ``ensure_app_navigation`` first, which puts it under ``app.py``'s navigation.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from pathlib import Path

import numpy as np
import streamlit as st

from mnistlab.files import artifacts_dir
from mnistlab.inference import PredictorCache
from mnistlab.runs.store import RunStore

log = logging.getLogger(__name__)

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
    """The process-wide job runner for the current artifacts folder (one per folder, shared by sessions).

    Its training workers (warm processes, or Ray) start on the first job, or earlier through ``warm_up``, which
    ``start_background_work`` calls once the first page has run."""
    from mnistlab.runs.runners import default_runner

    return default_runner()  # it keeps one per folder, replaces a closed one, and shuts down cleanly at exit


# The view modules the pages import (no TensorFlow; about 0.2 s in all).
APP_VIEWS = (
    "builder", "charts", "class_view", "dataset_view", "draft", "draw_view", "export_view", "handwriting_lesson_view",
    "handwriting_view", "identity", "inside_view", "jobs_view", "layout", "leaderboard_view", "learn_charts",
    "live_jobs", "manage_runs", "map_charts", "map_compare", "map_view", "study_view", "sweep_form_view",
    "sweep_view", "train_form", "widgets",
)  # fmt: skip


@st.cache_resource(show_spinner=False)
def _views_imported() -> bool:
    # Once, in one thread, before any page but Home runs (see prepare_pages): a class's first visits at once,
    # each importing the same modules in its own thread, could meet one half-imported ("cannot import name
    # 'jobs_view'"). pandas too (about 0.4 s): Plotly takes it from sys.modules unlocked, so a chart drawn while
    # another thread was still importing it failed ("partially initialized module 'pandas' has no attribute
    # 'Series'").
    importlib.import_module("pandas")
    for name in APP_VIEWS:
        importlib.import_module(f"mnistlab.app.{name}")
    return True


def prepare_pages(url_path: str) -> None:
    """Before the page at ``url_path`` runs: import the pages' views, once per server (``app.py`` calls this).

    Home is the exception: it needs neither pandas nor most views, so after a start it renders first and they
    load right after it (``start_background_work``), about 0.35 s of CPU sooner on screen. A page opened in
    another tab meanwhile waits here for that one import, never meeting a half-made module."""
    if url_path != "":  # Streamlit gives the default page (Home) an empty url_path
        _views_imported()


def start_background_work() -> None:
    """Start, once per server and artifacts folder, what should be warm before anyone asks: the job runner and
    its training workers (TensorFlow loads in their own processes, niced), and the Draw page's model and modules
    (on a thread). ``app.py`` calls this after the page's script, and the workers start ``WORKERS_AFTER_S``
    later, so the first page after a start renders without them competing for the CPU. Returns once the pages'
    views are imported (see ``prepare_pages``)."""
    _views_imported()  # before the warm-up thread starts: it must never import pandas beside another thread
    try:
        _draw_warm_up(_artifacts_key())  # the Draw page's model, without TensorFlow (well under a second)
    except Exception:
        log.exception("could not warm up the Draw page's model")
    try:
        _background_work(_artifacts_key())
    except Exception:  # a page that needs the runner reports the problem; start-up must not fail here
        log.exception("could not start the training workers")


# Seconds between the first page's script and the training workers' start. The browser is still fetching the
# page's widget code and components then, from this server: workers importing TensorFlow beside it (even niced)
# made a first Draw 0.4 s slower on 2 cores of a Zen 4 EPYC (median of 5 starts). A job submitted sooner starts
# them at once.
WORKERS_AFTER_S = 3.0


@st.cache_resource(show_spinner=False)
def _background_work(artifacts: str) -> bool:
    # This folder's runner, taken now: by the time the timer fires, the environment may differ (tests).
    runner = get_runner()
    timer = threading.Timer(WORKERS_AFTER_S, _warm_workers, args=(runner,))
    timer.name, timer.daemon = "mnistlab-workers-warm-up", True
    timer.start()
    return True


def _warm_workers(runner) -> None:
    try:
        runner.warm_up()  # nothing once the runner is closed
    except Exception:  # a page that needs the runner reports the problem
        log.exception("could not start the training workers")


@st.cache_resource(show_spinner=False)
def _draw_warm_up(artifacts: str) -> bool:
    threading.Thread(
        target=warm_draw_model, args=(artifacts,), name="mnistlab-draw-warm-up", daemon=True
    ).start()
    return True


def session_owner() -> str:
    """The id of the person this browser is (``identity.current_person``): what they submit belongs to them,
    across reloads, tabs and restarts, and job caps count per person, not per tab."""
    from mnistlab.app.identity import current_person

    return current_person().id


@st.cache_resource(show_spinner=False, max_entries=8)
def _model_for(artifacts: str, run_id: str):
    model = _store_for(artifacts).load_model(run_id)
    from mnistlab.drawing import warm_up

    warm_up(model)  # build the graph once, not on the first click
    return model


def cached_keras_model(run_id: str):
    """The run's Keras model (imports TensorFlow), loaded once per server: for views that need layers and
    gradients (activations, saliency). Raises ``StoreError``/``ModelFileError`` if unusable."""
    with st.spinner("Loading the model…"):
        return _model_for(_artifacts_key(), run_id)


_predictors = PredictorCache()


def cached_model(run_id: str):
    """The run's model for predictions, loaded once per server: NumPy weights without TensorFlow for the
    layers mnistlab builds, else the Keras model (see ``mnistlab.inference``). Called as
    ``model(images, training=False)``; raises ``StoreError``/``ModelFileError`` if unusable."""
    path = get_store().model_path(run_id)
    with st.spinner("Loading the model…"):
        return _predictors.get(path)


# What the Draw page's answer uses once a digit is drawn (pandas, which the canvas needs, is imported before any
# page runs: see _views_imported).
DRAW_PAGE_MODULES = ("plotly.graph_objects", "mnistlab.app.inside_view", "mnistlab.app.charts")


def warm_draw_model(artifacts: str) -> str | None:
    """Load the model the Draw page opens with (the best saved run), NumPy only, then import the page's modules;
    never imports TensorFlow. Returns its run id, or None when there is none or it needs Keras. Runs on a
    background thread."""
    from mnistlab.drawing import default_run_id

    try:
        store = _store_for(artifacts)
        run_id = default_run_id(store.list_runs())
        if run_id is not None:
            _predictors.get(store.model_path(run_id), keras_fallback=False)
    except Exception:  # the page itself reports an unusable model; a warm-up only saves time
        log.info("no Draw model warmed up", exc_info=True)
        return None
    for module in DRAW_PAGE_MODULES:  # the page's first visit then finds them imported (≈ 3 s under load)
        try:
            importlib.import_module(module)
        except Exception:
            log.info("could not import %s ahead of the Draw page", module, exc_info=True)
    return run_id


def test_images(dataset: str | None = None) -> np.ndarray:
    """The test images of ``dataset`` (a run's ``dataset``; None: MNIST), uint8 N x 28 x 28, verified and
    cached per process (``mnistlab.datasets.load_dataset``). Raises ``DataError`` when its files are missing."""
    from mnistlab.datasets import load_dataset

    return load_dataset(dataset).x_test


def test_labels(dataset: str | None = None) -> np.ndarray:
    """The labels of ``test_images(dataset)`` (uint8, N)."""
    from mnistlab.datasets import load_dataset

    return load_dataset(dataset).y_test


# ------------------------------------------------------------------------------------ after every run


def keep_keras_between_runs() -> None:
    """After every script run Streamlit calls ``keras.backend.clear_session()`` once Keras is imported (a page
    loaded a model), and that ends in a full ``gc.collect()``: 0.25 s of CPU with TensorFlow loaded, after every
    rerun of every tab, and a watching tab reruns every second. The server builds no models in its scripts, so
    it keeps the reset of Keras' state and matplotlib's ``close("all")`` and leaves memory to Python's own GC
    (pyproject pins Streamlit to versions where this internal is checked, tests/test_ui.py)."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if getattr(script_runner._clean_problem_modules, "keeps_memory", False):
        return

    def clean_problem_modules() -> None:
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session(free_memory=False)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    clean_problem_modules.keeps_memory = True
    script_runner._clean_problem_modules = clean_problem_modules


keep_keras_between_runs()  # once per process, when the first page imports this module

# ------------------------------------------------------------------------------------- app navigation


_NAVIGATION_CHECKED = "app_navigation_checked"


def note_app_navigation() -> None:
    """``app.py`` says its navigation runs this session's pages (before the first page runs)."""
    st.session_state[_NAVIGATION_CHECKED] = True


def ensure_app_navigation() -> None:
    """Run pages through ``app.py``'s ``st.navigation`` even when the first visit after a restart is a deep link.

    Until ``app.py`` has run once in a server process, Streamlit treats the ``pages/`` folder as an old-style
    multipage app: opening ``/inspect?run=...`` first would run ``pages/inspect.py`` on its own (no wide layout,
    file names in the sidebar). Leaving that mode and rerunning gives the same page through ``app.py``.

    Every page calls this first thing. A session's first page run decides: ``app.py`` ran before it
    (``note_app_navigation``), or the page ran on its own and the session reruns through ``app.py``. Deciding
    by Streamlit's flag alone failed a second tab opening a deep link at the same moment (the first had already
    reset it), and rerunning while this module was being imported left such a tab with a half-made module.
    """
    try:  # Streamlit internals: if a later version moves them, deep links merely look old-style once
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        return
    ctx = get_script_run_ctx()
    if ctx is None or st.session_state.get(_NAVIGATION_CHECKED):
        return
    st.session_state[_NAVIGATION_CHECKED] = True  # once per session: later runs keep whatever ran them
    if Path(ctx.main_script_path).name != "app.py":  # a page run as its own app (AppTest of one page)
        return
    # No public switch: Streamlit leaves this mode only when st.navigation runs (or when no folder is named
    # pages/). pyproject pins Streamlit to versions where these internals are checked (tests/test_ui.py).
    PagesManager.uses_pages_directory = False
    st.rerun()
