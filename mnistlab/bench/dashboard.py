"""The dashboard in a subprocess and a headless Chromium: one way to start both, for benchmarks and tests.

``serve(artifacts)`` runs ``streamlit run app.py`` headless on a free loopback port with its own
MNISTLAB_ARTIFACTS, waits for ``/_stcore/health`` and stops the server afterwards. ``launch_chromium`` opens
Debian's Chromium (``/usr/bin/chromium`` or $MNISTLAB_CHROMIUM) through Playwright with the flags it needs here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]  # where app.py is
CHROMIUM = "/usr/bin/chromium"
# Streamlit marks its app root with the script's state and the connection's; the status widget shows while a
# script runs. Idle (a JavaScript predicate for the page): connected, not running, no status widget, no skeleton.
IDLE_NOW = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return Boolean(app)
        && app.dataset.testScriptState === 'notRunning'
        && app.dataset.testConnectionState === 'CONNECTED'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 120.0


def chromium_path() -> str:
    """Chromium's executable: $MNISTLAB_CHROMIUM or Debian's /usr/bin/chromium."""
    return os.environ.get("MNISTLAB_CHROMIUM") or CHROMIUM


def launch_chromium(playwright, executable: str | None = None):
    """A headless Chromium (a Playwright ``Browser``) with the flags Debian's chromium needs in a container."""
    return playwright.chromium.launch(
        executable_path=executable or chromium_path(), headless=True, args=CHROMIUM_ARGS
    )


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dashboard:
    """A running ``streamlit run app.py``: its process, base URL and log file (None: output discarded)."""

    process: subprocess.Popen
    url: str
    log: Path | None = None

    def log_tail(self, chars: int = 3000) -> str:
        if self.log is None or not self.log.exists():
            return "(no log kept)"
        return self.log.read_text(errors="replace")[-chars:]


def start(
    artifacts: Path | str,
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    port: int | None = None,
    project: Path = PROJECT,
) -> Dashboard:
    """Start the dashboard with ``artifacts`` as MNISTLAB_ARTIFACTS (plus ``env``); do not wait for it."""
    port = port or free_port()
    environment = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **(env or {}),
        "MNISTLAB_ARTIFACTS": str(artifacts),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "localhost",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    if log is None:
        process = subprocess.Popen(
            command, cwd=project, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    else:
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=project, env=environment, stdout=out, stderr=subprocess.STDOUT
            )
    return Dashboard(process, f"http://localhost:{port}", log)


def wait_healthy(dashboard: Dashboard, timeout: float = START_TIMEOUT_S) -> None:
    """Return once ``/_stcore/health`` answers 200; raise with the server's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if dashboard.process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {dashboard.process.returncode}:\n{dashboard.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{dashboard.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s:\n{dashboard.log_tail()}")


def stop(dashboard: Dashboard) -> None:
    """Terminate the server; kill it if it does not end within 15 s."""
    dashboard.process.terminate()
    try:
        dashboard.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        dashboard.process.kill()
        dashboard.process.wait()


@contextmanager
def serve(
    artifacts: Path | str,
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    timeout: float = START_TIMEOUT_S,
    project: Path = PROJECT,
) -> Iterator[Dashboard]:
    """The dashboard on a free port, healthy, for the ``with`` block; stopped afterwards."""
    dashboard = start(artifacts, env=env, log=log, project=project)
    try:
        wait_healthy(dashboard, timeout)
        yield dashboard
    finally:
        stop(dashboard)
