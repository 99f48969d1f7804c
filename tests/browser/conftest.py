"""Real-browser fixtures: a trained model, the dashboard served by ``streamlit run``, and headless Chromium.

Once per session: train the ``dropout`` preset on full MNIST for 4 epochs (about 97 % test accuracy, enough
to read digits drawn with the mouse; ~30 s on a busy 2-core CPU), start the app on a free port with its own
artifacts folder, and launch Chromium. Without Chromium the tests skip, except in CI (``CI=true``), where a
missing browser is a failure: the browser tests must never silently vanish there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT_S = 120


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's executable: $MNISTLAB_CHROMIUM or /usr/bin/chromium. Skip if absent (fail in CI)."""
    path = os.environ.get("MNISTLAB_CHROMIUM") or "/usr/bin/chromium"
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        message = f"Chromium not found at {path} (set MNISTLAB_CHROMIUM to its path)"
        if _in_ci():
            pytest.fail(f"{message}; browser tests may not be skipped in CI.")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    """A headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_artifacts(tmp_path_factory, mnist) -> Path:
    """An artifacts folder with a good model (dropout preset, full MNIST, 4 epochs: the default on Draw) and a
    weaker second one (baseline, 10,000 digits, 2 epochs) to compare with."""
    from mnistlab.runs.experiment import train_run
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    folder = tmp_path_factory.mktemp("browser") / "artifacts"
    store = RunStore(folder / "runs")
    run_id = train_run(
        PRESETS["dropout"],
        TrainConfig(epochs=4),
        store,
        name="dropout · 4 epochs",
        preset="dropout",
        data=mnist,
    )
    assert store.load(run_id).test_accuracy > 0.96, "the browser tests need a model that reads digits well"
    train_run(
        PRESETS["baseline"],
        TrainConfig(epochs=2, train_subset=10_000),
        store,
        name="baseline · small",
        preset="baseline",
        data=mnist,
    )
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"streamlit did not become healthy in {SERVER_START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
    )


@contextmanager
def serve(artifacts: Path, browser, log: Path):
    """Run ``streamlit run app.py`` on a free port with ``artifacts``; yield the base URL; stop it after."""
    port = _free_port()
    url = f"http://localhost:{port}"
    env = {**os.environ, "MNISTLAB_ARTIFACTS": str(artifacts), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, process, log)
        # The first session after start-up is served before the app has declared its pages; open the home
        # page once so that every test sees the app's own navigation.
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        page.get_by_role("link", name="Draw").first.wait_for(timeout=60_000)
        page.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app_log(tmp_path_factory) -> Path:
    """Where the session's server (``app_url``) writes its log, for tests that read what it printed."""
    return tmp_path_factory.mktemp("server") / "streamlit.log"


@pytest.fixture(scope="session")
def app_url(browser, browser_artifacts, app_log):
    """The app with the trained artifacts, for the whole session."""
    with serve(browser_artifacts, browser, app_log) as url:
        yield url


@pytest.fixture
def empty_app_url(browser, tmp_path):
    """The app with an empty artifacts folder (first-time use), for one test."""
    folder = tmp_path / "artifacts"
    folder.mkdir()
    with serve(folder, browser, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh browser page (own context: own Streamlit session) per test."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the browser tests leave their pictures: a temporary folder, or docs/screenshots/ (the README's)
    when MNISTLAB_SCREENSHOTS=1, so a plain test run never rewrites tracked files."""
    if os.environ.get("MNISTLAB_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def wait_until_idle():
    """A function that waits until Streamlit has finished running the page script, then lets it settle."""

    def wait(page, settle_s: float = 0.5, timeout_ms: int = 60_000) -> None:
        time.sleep(settle_s)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms
        )
        time.sleep(settle_s)

    return wait
