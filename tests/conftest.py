"""Shared fixtures. TensorFlow is imported once per test session, lazily, by the fixtures that need a model."""

from __future__ import annotations

import os

# Before NumPy loads: BLAS (PCA) on one thread, and OpenMP threads (openTSNE's) that sleep instead of spinning
# while they wait. On a 2-core machine that is busy (training workers, a served app, other people's work) the
# spinning threads mostly wait for each other: a 500-digit PCA took 3.5 s instead of 0.7 s, a t-SNE fit
# 59 s instead of 19 s (load average 11). Tests assert results, never speed, so this changes no assertion.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


# Fixtures that train a model: every test that uses one (directly or through another fixture) is slow.
TRAINING_FIXTURES = {
    "trained_store",
    "trained_artifacts",
    "browser_artifacts",
    "app_url",
    "two_dataset_store",
    "two_dataset_artifacts",
}


# The suite runs in two test processes (pytest-xdist, ``-n 2`` in pyproject.toml), each taking the next test as
# it finishes one. Some tests must share a process (an xdist group):
# - the files whose tests start Ray: two local Ray instances started at once would find each other's sessions;
# - the tests on the session's trained model and served app (``browser_artifacts``, ``app_url``): trained and
#   started once, not once per process;
# - the tests of a file with a module-scoped fixture (a trained model, a served app): built once, not twice.
RAY_FILES = {"test_ray_cluster.py", "test_executors.py"}


def xdist_group(item) -> str | None:
    """The group ``item`` runs in (None: any process)."""
    if item.path.name in RAY_FILES:
        return "ray"
    if "browser_artifacts" in getattr(item, "fixturenames", ()):
        return "served-app"
    fixtures = getattr(item, "_fixtureinfo", None)  # pytest's record of the fixtures a test uses
    if fixtures and any(
        definition.scope == "module"
        for definitions in fixtures.name2fixturedefs.values()
        for definition in definitions
    ):
        return item.path.name
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark tests that use a training fixture as ``slow``, so the fast lane never trains by accident; put the
    tests that must share a test process in one xdist group."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        group = xdist_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=longest_first)


def longest_first(item) -> int:
    """xdist hands out tests in collection order: the long units first and the quick tests last, so that
    neither process is left alone at the end with the Ray group or the served app's tests."""
    group = item.get_closest_marker("xdist_group")
    if group and group.args[0] in ("served-app", "ray"):
        return 0
    if item.get_closest_marker("browser"):
        return 1
    return 2 if item.get_closest_marker("slow") else 3


def pytest_runtest_setup(item):
    """Once Streamlit is loaded, make AppTest's per-run chores cheap (see below; the app's own
    ``state.keep_keras_between_runs`` skips the full garbage collection after each run)."""
    if "streamlit" in sys.modules:
        _scan_components_once()


def _scan_components_once() -> None:
    """Every new AppTest reads the metadata of every installed distribution (~100) to find Streamlit
    components. The packages do not change during a session: the first scan's answer holds for all."""
    from streamlit.components.v2 import manifest_scanner

    if getattr(manifest_scanner.scan_component_manifests, "scanned_once", False):
        return
    found = manifest_scanner.scan_component_manifests()

    def scan_component_manifests(max_workers: int | None = None) -> list:
        return list(found)

    scan_component_manifests.scanned_once = True
    manifest_scanner.scan_component_manifests = scan_component_manifests


@pytest.fixture(scope="session")
def mnist():
    from mnistlab.data import load_mnist

    return load_mnist()


@pytest.fixture
def artifacts(tmp_path, monkeypatch):
    """An empty artifacts folder that the store, the job runner and the app all use for this test."""
    folder = tmp_path / "artifacts"
    folder.mkdir()
    monkeypatch.setenv("MNISTLAB_ARTIFACTS", str(folder))
    return folder


@pytest.fixture
def store(artifacts):
    from mnistlab.runs.store import RunStore

    return RunStore(artifacts / "runs")


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory, mnist):
    """A store with two small finished runs (baseline, dropout), trained once per test session.

    Trained on 6,000 digits for 2 epochs: about 95 % test accuracy, enough for honest checks of pages,
    drawing and the CLI. Returns (RunStore, [run ids]). Tests must not modify it (copy it if they must).
    """
    from mnistlab.runs.experiment import train_run
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    store = RunStore(tmp_path_factory.mktemp("trained") / "artifacts" / "runs")
    ids = [
        train_run(
            PRESETS[name],
            TrainConfig(epochs=2, train_subset=6000, batch_size=128, seed=seed),
            store,
            name=f"{name} small",
            preset=name,
            data=mnist,
        )
        for name, seed in (("baseline", 1), ("dropout", 2))
    ]
    return store, ids


@pytest.fixture
def finished_runs(artifacts):
    """Two finished runs named like ``trained_store``'s (baseline small, dropout small), written through the
    store without training and without a model file: for tests that list, name, delete or choose runs.

    Returns (RunStore in ``artifacts``, [run ids]); the test may change them."""
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    store = RunStore(artifacts / "runs")
    ids = []
    for name, seed, accuracy in (("baseline", 1, 0.951), ("dropout", 2, 0.957)):
        config = TrainConfig(epochs=2, train_subset=6000, batch_size=128, seed=seed)
        run_id = store.create(PRESETS[name], config.to_dict(), name=f"{name} small", preset=name)
        store.save_history(run_id, {"loss": [0.6, 0.3], "accuracy": [0.85, 0.92]})
        store.finish(run_id, "completed", test_accuracy=accuracy, epochs_done=2)
        ids.append(run_id)
    return store, ids


@pytest.fixture
def trained_artifacts(trained_store, tmp_path, monkeypatch):
    """A private copy of ``trained_store``'s artifacts folder, set as MNISTLAB_ARTIFACTS."""
    import shutil

    store, _ = trained_store
    folder = tmp_path / "artifacts"
    shutil.copytree(store.root.parent, folder)
    monkeypatch.setenv("MNISTLAB_ARTIFACTS", str(folder))
    return folder


@pytest.fixture(scope="session")
def two_dataset_store(tmp_path_factory):
    """A store with one tiny baseline run on MNIST and one on Fashion-MNIST (1 epoch, 600 images each),
    trained once per session: (RunStore, {"mnist": id, "fashion-mnist": id}). Skips without Fashion-MNIST
    (fails in CI). Tests must not modify it."""
    from tests.two_datasets import needs_fashion, train_both

    needs_fashion()
    from mnistlab.runs.store import RunStore

    store = RunStore(tmp_path_factory.mktemp("two-datasets") / "artifacts" / "runs")
    return store, train_both(store)


@pytest.fixture
def two_dataset_artifacts(two_dataset_store, tmp_path, monkeypatch):
    """A private copy of ``two_dataset_store``'s artifacts folder, set as MNISTLAB_ARTIFACTS."""
    import shutil

    store, _ = two_dataset_store
    folder = tmp_path / "artifacts"
    shutil.copytree(store.root.parent, folder)
    monkeypatch.setenv("MNISTLAB_ARTIFACTS", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _fast_lane_starts_no_workers(request, monkeypatch):
    """Outside ``slow`` and ``browser`` tests, starting training worker processes fails the test."""
    if request.node.get_closest_marker("slow") or request.node.get_closest_marker("browser"):
        return
    from mnistlab.runs import local_workers

    def refuse(self, *args, **kwargs):
        raise AssertionError("this test starts training worker processes: mark it @pytest.mark.slow")

    monkeypatch.setattr(local_workers.LocalProcessExecutor, "__init__", refuse)


@pytest.fixture(autouse=True)
def _no_runner_outlives_its_test():
    """Default job runners (the pages' get_runner) start worker processes: shut them down after each test."""
    yield
    from mnistlab.runs import runners

    runners.shutdown(wait=True, timeout=30)


def _wait_until(
    predicate: Callable[[], object], timeout: float = 20.0, what: str = "the expected state"
) -> None:
    """Poll ``predicate`` until it is truthy; fail the test (naming ``what``) once ``timeout`` s have passed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def wait_until():
    """``wait_until(predicate, timeout=20, what=...)``: wait for a state, never a fixed time; fails at the deadline."""
    return _wait_until


@pytest.fixture
def make_runner(store):
    """``make_runner(work, **options)``: a JobRunner on ``store`` with injected work; all shut down after the test."""
    from mnistlab.runs.jobs import JobRunner

    runners = []

    def make(work, **options) -> JobRunner:
        runner = JobRunner(store, work=work, **options)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.shutdown(wait=True, timeout=10)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
