"""A classroom in real browsers: a whole class on one server (the default), or tabs watching a training.

    uv run python benchmarks/classroom.py                     # a class of 25 pupils (about 5-15 minutes)
    uv run python benchmarks/classroom.py --pupils 5          # a small class, while developing
    uv run python benchmarks/classroom.py --watchers 0,1,5,10 # the watchers mode (below)

The class (``--pupils N``, ``mnistlab.bench.classroom``): a server in class mode with one training worker, N
headless Chromium contexts that open the link one after another (over ``--arrive-over`` s, after the teacher has
opened the pages once), join by name, fill the Train form (baseline, 1 epoch on 2,000 digits), press
Start together (every 5th pupil twice), wait for their training, open Draw and draw a 1, while the teacher's
Class page stays open. Reported: each pupil's wait for their first job to start (p50, max), whether the queue
was fair (round-robin: no pupil's first job started after another pupil's second), page loads (p50, p95), the
memory of the server and of the training workers, and whether anything was lost (every job completed, every
drawing read), with the CPU and the load average. Bounded by ``--timeout``.

The watchers mode:
Starts ``streamlit run app.py`` (its own artifacts folder, one training worker) and headless Chromium. For each
number of watchers N: N tabs open the Train page and stay there (their live view refreshes while any job is
active), one more tab starts a training (the baseline preset, default settings) and watches it. While it trains,
the benchmark samples the server process's CPU time (the training runs in a worker process, which is not
counted) and times full loads of the Train page from a separate probe tab. Reported per N: server CPU in per
cent of one core, the extra per watcher, page load p50/p95, and the training's samples/s, next to the same
training from the command line. Bounded: every wait has a timeout; the server and the browser are stopped at
the end. Figures depend on the CPU, which is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from mnistlab.bench import classroom, dashboard
from mnistlab.bench.machine import cpu_info
from mnistlab.runs.store import RunStore
from mnistlab.study.stats import percentile

ROOT = Path(__file__).resolve().parents[1]


def open_train(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/train")
    page.get_by_role("heading", name="Trainings").first.wait_for(timeout=60_000)
    return context, page


def server_cpu_s(server: psutil.Process) -> float:
    times = server.cpu_times()
    return times.user + times.system


def one_level(browser, url: str, server: psutil.Process, store: RunStore, watchers: int) -> dict:
    tabs = [open_train(browser, url) for _ in range(watchers)]
    probe_context, probe = open_train(browser, url)
    trainer_context, trainer = open_train(browser, url)
    before = {run.id for run in store.list_runs()}
    trainer.get_by_role("button", name="Start training").click()
    deadline = time.monotonic() + 300
    while not (new := [r for r in store.list_runs() if r.id not in before]) and time.monotonic() < deadline:
        time.sleep(0.2)
    cpu0, wall0, loads = server_cpu_s(server), time.monotonic(), []
    while store.load(new[0].id).status == "running" and time.monotonic() < deadline:
        began = time.perf_counter()
        probe.goto(f"{url}/train")
        probe.get_by_role("heading", name="Trainings").first.wait_for(timeout=60_000)
        loads.append(time.perf_counter() - began)
        time.sleep(0.5)
    cpu = (server_cpu_s(server) - cpu0) / (time.monotonic() - wall0)
    run = store.load(new[0].id)
    for context, _ in [*tabs, (probe_context, probe), (trainer_context, trainer)]:
        context.close()
    return {
        "watchers": watchers,
        "server_cpu_pct_of_core": round(100 * cpu, 1),
        "page_load_p50_s": round(percentile(loads, 50), 2) if loads else None,
        "page_load_p95_s": round(percentile(loads, 95), 2) if loads else None,
        "page_loads": len(loads),
        "training_status": run.status,
        "training_samples_per_s": run_samples_per_s(store, run.id),
    }


def run_samples_per_s(store: RunStore, run_id: str) -> float | None:
    meta = json.loads((store.path(run_id) / "run.json").read_text())
    return meta.get("samples_per_s")


def cli_reference(artifacts: Path) -> float | None:
    """The same training from the command line, with no server running."""
    env = {**os.environ, "MNISTLAB_ARTIFACTS": str(artifacts)}
    done = subprocess.run(
        [sys.executable, "-m", "mnistlab", "train", "--preset", "baseline", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=True,
    )
    run_id = json.loads(done.stdout)["id"]
    return run_samples_per_s(RunStore(artifacts / "runs"), run_id)


def load_now() -> dict:
    """The load average (1, 5, 15 min) and ``uptime``'s own line: a figure taken on a busy machine says so."""
    one, five, fifteen = os.getloadavg()
    try:
        line = subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        line = None
    return {"1m": round(one, 2), "5m": round(five, 2), "15m": round(fifteen, 2), "uptime": line}


def class_main(args) -> None:
    out = {
        "benchmark": "classroom",
        "mode": "pupils",
        "cpu": cpu_info(),
        "load_before": load_now(),
    }
    artifacts = Path(tempfile.mkdtemp(prefix="mnistlab-class-")) / "artifacts"
    artifacts.mkdir()
    out.update(
        classroom.run_class(
            artifacts,
            pupils=args.pupils,
            eager_every=args.eager_every,
            epochs=args.epochs,
            digits=args.digits,
            timeout_s=args.timeout,
            arrive_over_s=args.arrive_over,
        )
    )
    out["load_after"] = load_now()
    print(json.dumps(out, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--watchers", help="comma-separated watcher counts: the watchers mode (e.g. 0,1,5,10)"
    )
    parser.add_argument("--pupils", type=int, default=25, help="the class's size (default 25)")
    parser.add_argument("--eager-every", type=int, default=5, help="every n-th pupil presses Start twice")
    parser.add_argument("--epochs", type=int, default=1, help="each pupil's training: epochs")
    parser.add_argument("--digits", type=int, default=2_000, help="each pupil's training: training digits")
    parser.add_argument("--arrive-over", type=float, default=60, help="pupils open the link over this many s")
    parser.add_argument("--timeout", type=float, default=1800, help="the whole lesson's bound, in seconds")
    args = parser.parse_args()
    if not args.watchers:
        class_main(args)
        return
    levels = [int(n) for n in args.watchers.split(",")]
    from playwright.sync_api import sync_playwright

    out = {"cpu": cpu_info(), "load_before": round(os.getloadavg()[0], 2)}
    artifacts = Path(tempfile.mkdtemp(prefix="mnistlab-classroom-"))
    out["cli_samples_per_s"] = cli_reference(artifacts / "cli")
    env = {"MNISTLAB_WORKERS": "1", "MNISTLAB_MAX_JOBS_PER_SESSION": "3"}
    with dashboard.serve(artifacts / "server", env=env) as server:
        url = server.url
        store = RunStore(artifacts / "server" / "runs")
        with sync_playwright() as playwright:
            browser = dashboard.launch_chromium(playwright)
            warm_context, _ = open_train(browser, url)  # the first visit starts the workers
            warm_context.close()
            time.sleep(15)  # let the worker finish warming up: the first level should not pay for it
            process = psutil.Process(server.process.pid)
            out["levels"] = [one_level(browser, url, process, store, n) for n in levels]
            browser.close()
    base = next((lvl for lvl in out["levels"] if lvl["watchers"] == 0), None)
    for level in out["levels"]:
        if base and level["watchers"]:
            extra = level["server_cpu_pct_of_core"] - base["server_cpu_pct_of_core"]
            level["server_cpu_pct_per_watcher"] = round(extra / level["watchers"], 2)
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
