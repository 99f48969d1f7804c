"""What watching costs: the same training started from the Train page in Chromium, once with the tab kept open on
its live view and once with the tab closed right after pressing Start, alternated, on one ``streamlit run`` server.

Both trainings go the same way (page -> job runner -> a warm worker); only the watching differs. Each training's
own time (``duration_s`` of the saved run: the worker's training loop) is compared; the cost is
(watched - unwatched) / unwatched, from the fastest of each. The browser, the server and the worker share the
machine's cores, as they do on a laptop. Where the time goes: the CPU seconds the server process and Chromium
used per second of training, from opening the tab until the training ended (so a watched run's figures include
loading the page). Needs Playwright and Chromium, like the start-up step.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from mnistlab.bench import dashboard
from mnistlab.bench.startup import _goto_when_up

LIVE_PRESET, LIVE_EPOCHS = (
    "baseline",
    20,
)  # the case: a long, quick run whose chart moves all the time


def _idle(page, settle_s: float = 0.5) -> None:
    time.sleep(settle_s)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    time.sleep(settle_s)


def _start(context, url: str, preset: str, epochs: int, name: str):
    """Open the Train page in a new tab, set the preset and epochs, press Start; return the tab."""
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=120_000)
    _idle(page)
    page.get_by_label("Start from a preset", exact=True).click()
    page.get_by_role("option", name=f"{preset} —").click()
    _idle(page)
    field = page.get_by_role("spinbutton", name="Epochs", exact=True)
    field.fill(str(epochs))
    field.press("Enter")
    _idle(page)
    run_name = page.get_by_role("textbox", name="Run name", exact=True)
    run_name.fill(name)
    run_name.press("Enter")
    _idle(page)
    page.get_by_role("button", name="Start training").click()
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=300_000)  # queued -> running
    return page


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds used so far), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        out[int(entry.name)] = (int(rest[1]), name, (int(rest[11]) + int(rest[12])) / ticks)
    return out


def cpu_seconds(server_pid: int) -> dict:
    """CPU seconds used so far by the Streamlit server process (not its training workers) and by Chromium
    (every Chromium process started from this one)."""
    table = _processes()
    mine, todo = set(), [os.getpid()]
    while todo:
        parent = todo.pop()
        children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent and pid not in mine]
        mine.update(children)
        todo += children
    chromium = sum(cpu for pid, (_, name, cpu) in table.items() if pid in mine and "chrom" in name.lower())
    return {"server": table.get(server_pid, (0, "", 0.0))[2], "chromium": chromium}


def _finished_run(store, name: str, deadline: float):
    while time.perf_counter() < deadline:
        for run in store.list_runs():
            if run.name == name and run.status in ("completed", "stopped"):
                return run
        time.sleep(0.5)
    raise TimeoutError(f"training {name!r} did not finish in time")


def live_view_cost(repeats: int = 2, preset: str = LIVE_PRESET, epochs: int = LIVE_EPOCHS) -> dict:
    """Seconds of the same training watched and unwatched (alternated ``repeats`` times each), and the cost."""
    from playwright.sync_api import sync_playwright

    from mnistlab.runs.store import RunStore

    with tempfile.TemporaryDirectory(prefix="mnistlab-bench-") as tmp:
        app = dashboard.start(tmp)
        server, url = app.process, app.url
        store = RunStore(Path(tmp) / "runs")
        times: dict = {"watched": [], "closed": []}
        cpu: dict = {"watched": [], "closed": []}  # CPU s of server and Chromium per training s
        try:
            with sync_playwright() as pw:
                browser = dashboard.launch_chromium(pw)
                context = browser.new_context()
                probe = context.new_page()
                _goto_when_up(probe, f"{url}/train", time.perf_counter() + 180)
                probe.close()
                # A first, unmeasured run warms the worker (TensorFlow import, graph tracing caches).
                page = _start(context, url, preset, 1, "warm-up")
                page.close()
                _finished_run(store, "warm-up", time.perf_counter() + 600)
                for i in range(repeats):
                    for mode in ("closed", "watched") if i % 2 == 0 else ("watched", "closed"):
                        name = f"{mode} {i}"
                        before = cpu_seconds(server.pid)
                        page = _start(context, url, preset, epochs, name)
                        if mode == "closed":
                            page.close()
                        run = _finished_run(store, name, time.perf_counter() + 900)
                        after = cpu_seconds(server.pid)  # before closing: a closed tab's process is gone
                        if mode == "watched":
                            page.close()
                        times[mode].append(round(run.duration_s, 3))
                        used = {k: round((after[k] - before[k]) / run.duration_s, 3) for k in after}
                        if mode == "closed":  # the closed tab's own process, and its CPU time, are gone
                            used["chromium"] = None
                        cpu[mode].append(used)
                browser.close()
        finally:
            dashboard.stop(app)
    watched, closed = min(times["watched"]), min(times["closed"])
    return {
        "live_view_cost_pct": round(100 * (watched - closed) / closed, 1),
        "live_view": {
            "preset": preset,
            "epochs": epochs,
            "seconds": times,
            "cpu_per_training_s": cpu,
            "browser": "Chromium (headless)",
        },
    }
