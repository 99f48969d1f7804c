"""How long each page takes to be ready on its first visit after a server start, and on a second visit.

    uv run python benchmarks/first_render.py [ARTIFACTS]     # prints JSON

Starts ``streamlit run app.py`` on a free port (with ARTIFACTS, default: $MNISTLAB_ARTIFACTS or artifacts/),
waits until it is healthy, then opens each page in a fresh Chromium context (a new session) and measures the
time from navigation until the page has drawn its first screen and Streamlit has finished running the script.
Pages are visited in the order a new user would (Home first); each page once cold, then once more warm.
Figures depend on the CPU (named in the output) and on what else the machine is doing.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each page and what shows that its first screen is drawn.
PAGES = {
    "home": ("", "text=mnistlab is a hands-on lab"),
    "train": ("train", "role=button[name='Start training']"),
    "compare": ("compare", "text=Download table as CSV"),
    "inspect": ("inspect", "text=Confusion matrix"),
    "draw": ("draw", "canvas.upper-canvas"),
    "learn": ("learn", "h1:has-text('Learn')"),
}
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(artifacts: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MNISTLAB_ARTIFACTS": str(artifacts), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.fileWatcherType", "none"]
    command += ["--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not start:\n{log.read_text()[-2000:]}")


def visit(browser, url: str, path: str, ready: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.locator(ready).first.wait_for(timeout=120_000)
    page.wait_for_function(IDLE, timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return round(elapsed, 2)


def main() -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNISTLAB_ARTIFACTS", "artifacts"))
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    process, url = start_server(artifacts.resolve(), log)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("MNISTLAB_CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu"],
            )
            first = {name: visit(browser, url, *where) for name, where in PAGES.items()}
            again = {name: visit(browser, url, *where) for name, where in PAGES.items()}
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=15)
    print(json.dumps({"cpu": cpu_name(), "first_visit_s": first, "second_visit_s": again}, indent=2))


if __name__ == "__main__":
    main()
