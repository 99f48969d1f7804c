"""What a class benchmark measured: memory sampled while it runs, and the summary read from the runner's job
records, the browsers' timings and the server's log (for ``mnistlab.bench.classroom``)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from mnistlab.study.stats import percentile

if TYPE_CHECKING:
    from mnistlab.bench.classroom import Lesson


class MemorySampler(threading.Thread):
    """Samples the RSS of the server process and of its descendants (the training workers) every second."""

    def __init__(self, pid: int, every_s: float = 1.0):
        super().__init__(name="mnistlab-bench-memory", daemon=True)
        self.server = psutil.Process(pid)
        self.every_s = every_s
        self.samples: list[tuple[float, float, float, int]] = []  # (t, server MB, workers MB, workers)
        self._halt = threading.Event()

    def sample(self) -> None:
        try:
            server = self.server.memory_info().rss / 2**20
            workers = 0.0
            count = 0
            for child in self.server.children(recursive=True):
                try:
                    workers += child.memory_info().rss / 2**20
                    count += 1
                except psutil.Error:
                    continue
        except psutil.Error:
            return
        self.samples.append((time.monotonic(), server, workers, count))

    def run(self) -> None:
        while not self._halt.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self.sample()

    def summary(self) -> dict:
        if not self.samples:
            return {}
        server = [s[1] for s in self.samples]
        workers = [s[2] for s in self.samples]
        return {
            "server_rss_mb": {
                "start": round(server[0]),
                "peak": round(max(server)),
                "end": round(server[-1]),
            },
            "workers_rss_mb": {
                "start": round(workers[0]),
                "peak": round(max(workers)),
                "end": round(workers[-1]),
            },
            "worker_processes": max(s[3] for s in self.samples),
            "samples": len(self.samples),
        }


def job_records(artifacts: Path) -> list[dict]:
    out = []
    for path in sorted((artifacts / "jobs").glob("*.json")):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return out


def fairness(firsts: dict[str, dict], seconds: dict[str, dict]) -> dict:
    """Round-robin checks over each pupil's first and second job (records with ``submitted``/``started``).

    ``strict``: no pupil's first job started after another pupil's second. ``waiting``: no first job that was
    already queued when another pupil's second started, started after it (the fair queue's promise; a first
    job submitted after someone's second had started may fairly start later)."""
    strict, waiting, compared = [], [], 0
    for p, first in firsts.items():
        for q, second in seconds.items():
            if p == q or not first.get("started") or not second.get("started"):
                continue
            compared += 1
            if first["started"] > second["started"]:
                strict.append((p, q))
                if first["submitted"] < second["started"]:
                    waiting.append((p, q))
    if not compared:
        return {"pairs_compared": 0, "strict": None, "waiting_first_jobs_went_first": None}
    return {
        "pairs_compared": compared,
        "strict": not strict,
        "strict_violations": len(strict),
        "waiting_first_jobs_went_first": not waiting,
        "violations": [f"{p}'s first started after {q}'s second" for p, q in waiting[:10]],
    }


def summarize(lesson: Lesson, artifacts: Path, names: dict[str, str]) -> dict:
    """The lesson's figures from the job records (``names``: person id -> pupil name) and the browsers."""
    pupils = {p.name: p for p in lesson.pupils}
    records = [r for r in job_records(artifacts) if names.get(r.get("owner")) in pupils]
    by_pupil: dict[str, list[dict]] = {}
    for record in sorted(records, key=lambda r: (r["submitted"], r["id"])):
        by_pupil.setdefault(names[record["owner"]], []).append(record)
    firsts = {name: jobs[0] for name, jobs in by_pupil.items()}
    seconds = {name: jobs[1] for name, jobs in by_pupil.items() if len(jobs) > 1}
    waits = [r["started"] - r["submitted"] for r in firsts.values() if r.get("started")]
    runs = [r["finished"] - r["started"] for r in records if r.get("started") and r.get("finished")]
    statuses: dict[str, int] = {}
    for record in records:
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    loads = [s for p in lesson.pupils for s in p.page_loads_s]
    joins = [p.joined_s for p in lesson.pupils if p.joined_s is not None]
    reads = [p.prediction_s for p in lesson.pupils if p.prediction_s is not None]
    ends = [r["finished"] for r in records if r.get("finished")]
    expected = sum(2 if p.eager else 1 for p in lesson.pupils)
    return {
        "pupils": len(lesson.pupils),
        "eager_pupils": sum(p.eager for p in lesson.pupils),
        "jobs": {
            "expected": expected,
            "submitted": len(records),
            "by_status": statuses,
            "all_completed": len(records) == expected and statuses.get("completed", 0) == expected,
            "one_job_s": _spread(runs),
            "all_done_after_s": round(max(ends) - lesson.started_together, 1)
            if ends and lesson.started_together
            else None,
        },
        "wait_for_first_job_start_s": _spread(waits, ("p50", "max")),
        "fair_order": fairness(firsts, seconds),
        "drawings": {
            "drawn": sum(p.prediction_s is not None for p in lesson.pupils),
            "all_got_a_prediction": all(p.predicted is not None for p in lesson.pupils),
            "read_as_1": sum(p.predicted == 1 for p in lesson.pupils),
            "prediction_s": _spread(reads),
        },
        "join_s": _spread(joins),
        "page_load_s": _spread(loads),
        "teacher_class_page_load_s": _spread(lesson.teacher_loads_s),
        "problems": {p.name: p.problem for p in lesson.pupils if p.problem},
    }


def log_errors(log: Path) -> dict:
    """Exceptions the server logged (a page that failed for someone): how many, and the first few lines."""
    try:
        text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))
    except OSError:
        return {"count": None}
    lines = [line.strip() for line in text.splitlines() if re.match(r"^\s*\w*(Error|Exception): ", line)]
    return {"count": len(lines), "first": lines[:5]}


def _spread(values: list[float], which=("p50", "p95", "max")) -> dict | None:
    if not values:
        return None
    out = {"n": len(values)}
    for key in which:
        out[key] = round(max(values) if key == "max" else percentile(values, int(key[1:])), 2)
    return out
