"""Real-browser fixtures: a trained model, the dashboard served by ``streamlit run``, and headless Chromium.

Once per session: train the ``dropout`` preset on full MNIST for 4 epochs (about 97 % test accuracy, enough
to read digits drawn with the mouse; ~30 s on a busy 2-core CPU), start the app on a free port with its own
artifacts folder, and launch Chromium. Without Chromium the tests skip, except in CI (``CI=true``), where a
missing browser is a failure: the browser tests must never silently vanish there.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from mnistlab.bench import dashboard

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
IDLE_NOW = dashboard.IDLE_NOW  # connected, not running, no status widget, no skeleton


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's executable: $MNISTLAB_CHROMIUM or /usr/bin/chromium. Skip if absent (fail in CI)."""
    path = dashboard.chromium_path()
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
        chromium = dashboard.launch_chromium(playwright, chromium_path)
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


@contextmanager
def serve(artifacts: Path, browser, log: Path):
    """Run ``streamlit run app.py`` on a free port with ``artifacts``; yield the base URL; stop it after."""
    with dashboard.serve(artifacts, log=log) as server:
        # The first session after start-up is served before the app has declared its pages; open the home
        # page once so that every test sees the app's own navigation.
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url)
        page.get_by_role("link", name="Draw").first.wait_for(timeout=60_000)
        page.close()
        yield server.url


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
    """A function that waits until Streamlit has finished running the page script and stayed idle.

    Idle (see IDLE_NOW) must hold for ``quiet_ms`` without a break, polled in the page: a click reaches the
    server a moment before the script starts, and a rerun may trigger another. Fails after ``timeout_ms``.
    """

    def wait(page, quiet_ms: int = 500, timeout_ms: int = 60_000) -> None:
        page.evaluate("() => { window.__mnistlabIdleSince = undefined; }")
        page.wait_for_function(
            f"""(quietMs) => {{
                if (!({IDLE_NOW})()) {{ window.__mnistlabIdleSince = undefined; return false; }}
                window.__mnistlabIdleSince ??= performance.now();
                return performance.now() - window.__mnistlabIdleSince >= quietMs;
            }}""",
            arg=quiet_ms,
            polling=50,
            timeout=timeout_ms,
        )

    return wait
