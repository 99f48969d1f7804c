"""A classroom on one server: K browser sessions start a tiny training each, while they keep using pages.

    uv run python benchmarks/load.py                       # 30 sessions through the Train page (AppTest)
    uv run python benchmarks/load.py --sessions 10 --mode direct
    MNISTLAB_WORKERS=2 uv run python benchmarks/load.py --greedy 3

Each session is a Streamlit ``AppTest`` of the real pages, run in its own thread (no network at all). In
``page`` mode a session sets a tiny training (``--subset`` digits, ``--epochs``) on the Train page and presses
Start training; in ``direct`` mode it submits the same job to the shared ``JobRunner`` as the page would
(owner = its session id). Then it keeps re-rendering the Train and Home pages until its jobs end, reading the
queue position the page shows. "Greedy" sessions press Start ``cap + 2`` times: the per-session cap must refuse
the extra ones. A monitor samples running trainings, queue length and memory (RSS) every 50 ms.

Prints one JSON object: jobs submitted, completed, failed, refused, the most trainings that ever ran at once
(from the jobs' start and end times, exact), whether jobs started in submission order, queue positions shown,
page render times (p50/p95/max) while trainings ran, and peak RSS. Bounded: it stops by itself after
``--timeout`` seconds, stopping any job still queued or running. The exit code is 1 if a check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from mnistlab.study.stats import percentile

ROOT = Path(__file__).resolve().parents[1]
POSITION = re.compile(r"number (\d+) in line")
REFUSED = "already have"
# AppTest swaps a process-wide mock Runtime in and out around each run, so two runs at once break each other:
# sessions take turns to render (a real server renders them in parallel threads, sharing the GIL the same way).
RENDER_LOCK = threading.Lock()
# Set once every session has pressed Start as often as it means to (a test's jobs may wait for it).
ALL_SUBMITTED = threading.Event()


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of [start, end] intervals that contain one moment."""
    events = sorted(
        [(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1])
    )
    now = best = 0
    for _, change in events:
        now += change
        best = max(best, now)
    return best


class Monitor(threading.Thread):
    """Samples the runner and the process every 50 ms until stopped."""

    def __init__(self, runner):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.runner = runner
        self.done = threading.Event()
        self.max_running = self.max_queue = 0
        self.peak_rss = self.start_rss = self.process.memory_info().rss
        self.rss_by_jobs_done: dict[
            int, int
        ] = {}  # RSS when the n-th job had just ended: a leak shows as a slope

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.max_running = max(self.max_running, len(self.runner.running()))
            self.max_queue = max(self.max_queue, self.runner.queue_length())
            rss = self.process.memory_info().rss
            self.peak_rss = max(self.peak_rss, rss)
            done = sum(1 for job in self.runner.jobs() if job.is_finished)
            self.rss_by_jobs_done.setdefault(done, rss)


class Session(threading.Thread):
    """One browser session: start a training (or several, if greedy), then keep using the pages."""

    def __init__(self, index: int, args, runner, deadline: float, results: dict, lock: threading.Lock):
        super().__init__(name=f"session-{index}", daemon=True)
        self.index, self.args, self.runner, self.deadline = index, args, runner, deadline
        self.results, self.lock = results, lock
        self.attempts = args.cap + 2 if index < args.greedy else 1

    def record(self, key: str, value) -> None:
        with self.lock:
            self.results.setdefault(key, []).append(value)

    def render(self, at, page: str) -> None:
        asked = time.perf_counter()
        with RENDER_LOCK:
            started = time.perf_counter()
            at.run(timeout=self.args.page_timeout)
            elapsed = time.perf_counter() - started
        if self.runner.running():
            self.record(f"render_{page}", elapsed)
            self.record("response", time.perf_counter() - asked)
        if at.exception:
            self.record("page_exceptions", f"{page}: {at.exception[0].message[:200]}")

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:
            self.record("session_errors", f"{type(exc).__name__}: {exc}"[:300])

    def _run(self) -> None:
        from streamlit.testing.v1 import AppTest

        from mnistlab.app.identity import TOKEN
        from mnistlab.app.identity import roster as identity_roster
        from mnistlab.runs.jobs import JobError
        from mnistlab.specs import PRESETS
        from mnistlab.training import TrainConfig

        train = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=self.args.page_timeout)
        home = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=self.args.page_timeout)
        self.render(train, "train")
        token = train.session_state[TOKEN]
        home.session_state[TOKEN] = token  # the same browser on another page
        owner = identity_roster().by_token(token).id
        for _ in range(self.attempts):
            if self.args.mode == "page":
                train.number_input(key="train_epochs").set_value(self.args.epochs)
                train.number_input(key="train_subset").set_value(self.args.subset)
                train.button(key="train_start").click()
                self.render(train, "train")
                errors = " ".join(e.value for e in train.error)
                if REFUSED in errors:
                    self.record("refused", owner)
                elif errors:
                    self.record("page_errors", errors[:200])
                else:
                    self.record("submitted", owner)
            else:
                config = TrainConfig(epochs=self.args.epochs, train_subset=self.args.subset)
                try:
                    self.runner.submit(
                        PRESETS["baseline"],
                        config,
                        name=f"pupil {self.index}",
                        preset="baseline",
                        owner=owner,
                    )
                    self.record("submitted", owner)
                except JobError as exc:
                    self.record("refused" if REFUSED in str(exc) else "page_errors", str(exc)[:200])
        self.record("done_submitting", owner)
        if len(self.results["done_submitting"]) == self.args.sessions:
            ALL_SUBMITTED.set()
        page = 0
        while time.monotonic() < self.deadline:
            mine = self.runner.jobs(owner=owner)
            if mine and all(job.is_finished for job in mine):
                break
            at, name = (train, "train") if page % 2 == 0 else (home, "home")
            self.render(at, name)
            page += 1
            for info in at.info:
                found = POSITION.search(info.value)
                if found:
                    self.record("positions", int(found.group(1)))
            time.sleep(self.args.think)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions (default 30)")
    parser.add_argument("--greedy", type=int, default=2, help="sessions that press Start cap+2 times")
    parser.add_argument("--mode", choices=("page", "direct"), default="page")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--subset", type=int, default=1000, help="training digits per job")
    parser.add_argument("--think", type=float, default=1.5, help="seconds between a session's page views")
    parser.add_argument("--timeout", type=float, default=600, help="stop everything after this many seconds")
    parser.add_argument("--page-timeout", type=float, default=120)
    parser.add_argument("--artifacts", help="artifacts folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    args.sessions = max(1, min(args.sessions, 100))  # bounded: this is a load test, not a flood

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    artifacts = Path(args.artifacts or tempfile.mkdtemp(prefix="mnistlab-load-"))
    os.environ["MNISTLAB_ARTIFACTS"] = str(artifacts)
    sys.path.insert(0, str(ROOT))

    from mnistlab.data import load_mnist
    from mnistlab.runs import runners

    load_mnist()
    from mnistlab.tf import keras  # noqa: F401 - import TensorFlow once, before the clock starts

    runner = runners.default_runner()  # the one the pages' get_runner() hands out ($MNISTLAB_WORKERS workers)
    args.cap = runner.max_queued_per_owner
    monitor = Monitor(runner)
    monitor.start()

    ALL_SUBMITTED.clear()
    started = time.monotonic()
    deadline = started + args.timeout
    results: dict = {}
    lock = threading.Lock()
    sessions = [Session(i, args, runner, deadline, results, lock) for i in range(args.sessions)]
    load_before = os.getloadavg()[0]
    with contextlib.redirect_stdout(sys.stderr):  # Streamlit prints page exceptions to stdout: keep it JSON
        for session in sessions:
            session.start()
        for session in sessions:
            session.join(max(0.0, deadline - time.monotonic()) + 5)
    timed_out = [job for job in runner.jobs() if not job.is_finished]
    for job in timed_out:
        runner.stop(job.id)
    runner.shutdown(wait=True, timeout=60)
    monitor.done.set()
    monitor.join()
    wall = time.monotonic() - started

    all_jobs = runner.jobs()
    ran = [j for j in all_jobs if j.started and j.finished]
    statuses = {
        status: sum(1 for j in all_jobs if j.status == status)
        for status in ("completed", "stopped", "failed", "interrupted", "queued", "running")
    }
    renders = {page: results.get(f"render_{page}", []) for page in ("train", "home")}
    every_render = renders["train"] + renders["home"]
    greedy_refused = len(results.get("refused", []))
    report = {
        "sessions": args.sessions,
        "mode": args.mode,
        "workers": runner.workers,
        "cap_per_session": args.cap,
        "job": {"preset": "baseline", "epochs": args.epochs, "subset": args.subset},
        "wall_s": round(wall, 1),
        "machine": {
            "cores": os.cpu_count(),
            "load_avg_1min": {"start": round(load_before, 1), "end": round(os.getloadavg()[0], 1)},
        },
        "jobs_submitted": len(results.get("submitted", [])),
        "jobs_completed": statuses["completed"],
        "jobs_failed": statuses["failed"],
        "jobs_stopped_at_timeout": len(timed_out),
        "jobs_refused_by_cap": greedy_refused,
        "max_active_per_session": max(
            (
                max_overlap([(j.submitted, j.finished or time.time()) for j in mine])
                for mine in _by_owner(all_jobs).values()
            ),
            default=0,
        ),
        "max_concurrent_trainings": max_overlap([(j.started, j.finished) for j in ran]),
        "max_running_sampled": monitor.max_running,
        "max_queue_length": monitor.max_queue,
        "started_round_robin": round_robin(ran),
        "queue_positions_shown": {
            "count": len(results.get("positions", [])),
            "max": max(results.get("positions", [0])),
        },
        "render_while_training_s": {
            page: {
                "n": len(v),
                "p50": _r(percentile(v, 50)),
                "p95": _r(percentile(v, 95)),
                "max": _r(max(v, default=None)),
            }
            for page, v in {**renders, "all": every_render}.items()
        },
        "response_incl_waiting_turn_s": {
            "p50": _r(percentile(results.get("response", []), 50)),
            "p95": _r(percentile(results.get("response", []), 95)),
        },
        "rss_mb": {
            "start": round(monitor.start_rss / 2**20),
            "peak": round(monitor.peak_rss / 2**20),
            "after_n_jobs": {
                n: round(rss / 2**20)
                for n, rss in sorted(monitor.rss_by_jobs_done.items())
                if n % 5 == 0 or n == len(all_jobs)
            },
        },
        "job_seconds": {
            "p50": _r(percentile([j.finished - j.started for j in ran], 50)),
            "max": _r(max((j.finished - j.started for j in ran), default=None)),
        },
        "failures": [j.error for j in all_jobs if j.status == "failed"][:5],
        "page_exceptions": results.get("page_exceptions", [])[:5],
        "page_errors": results.get("page_errors", [])[:5],
        "session_errors": results.get("session_errors", [])[:5],
    }
    checks = {
        "concurrency_bounded": report["max_concurrent_trainings"] <= runner.workers,
        "round_robin": report["started_round_robin"],
        "every_job_finished": not timed_out and statuses["completed"] == report["jobs_submitted"],
        "cap_held": report["max_active_per_session"] <= args.cap and (args.greedy == 0 or greedy_refused > 0),
        "no_page_exceptions": not results.get("page_exceptions") and not results.get("session_errors"),
    }
    report["checks"] = checks
    print(json.dumps(report, indent=1))
    return 0 if all(checks.values()) else 1


def round_robin(ran: list) -> bool:
    """Whether the queue was fair between sessions: no one's n-th job started after someone else's later
    job (n+1-th or more) that started while it was already waiting."""
    rank: dict[str, int] = {}
    for jobs in _by_owner(sorted(ran, key=lambda j: (j.submitted, j.id))).values():
        rank.update({job.id: i for i, job in enumerate(jobs)})
    return not any(rank[a.id] < rank[b.id] and a.submitted < b.started < a.started for a in ran for b in ran)


def _by_owner(all_jobs) -> dict:
    owners: dict = {}
    for job in all_jobs:
        owners.setdefault(job.owner, []).append(job)
    return owners


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


if __name__ == "__main__":
    sys.exit(main())
