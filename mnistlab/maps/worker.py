"""Compute maps in a separate process, never in the server: a spawned ``ProcessPoolExecutor`` of one worker.

Maps are not training runs, so they do not go through the job runner (``mnistlab.runs.jobs``): that runner's
tasks, records and caps are about training. A map is a pure function of a run's saved model, cached on disk,
so the one shared record is the progress file ``maps/<layer>-<method>.progress.json`` (see ``cache``): the
worker writes it as it goes and removes it when the map is saved; any page (any session) polls it.

One worker process per server: maps queue behind each other instead of competing for two cores with training.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from mnistlab.files import process_alive
from mnistlab.maps.cache import clear_progress, read_progress, write_progress
from mnistlab.maps.compute import MapRequest, cached

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_futures: dict[tuple, Future] = {}
STALE_QUEUED_S = 900.0  # a "queued" record older than this, with no future here, was left by a stopped server


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def work(root: str, run_id: str, layer: int, method: str, seed: int = 0, limit: int | None = None) -> str:
    """The worker's half: compute and save one map, reporting progress in the progress file. Returns 'done' or
    the one-line error (also written to the progress file)."""
    from mnistlab.maps.compute import check_request, compute_map
    from mnistlab.runs.store import RunStore

    store = RunStore(root)
    folder = store.path(run_id)
    started = time.time()
    last = {"t": 0.0}

    def progress(fraction: float, text: str) -> None:
        now = time.monotonic()
        if now - last["t"] >= 0.25 or fraction >= 1.0:
            last["t"] = now
            state = {"status": "running", "fraction": round(fraction, 3), "text": text}
            write_progress(folder, layer, method, {**state, "pid": _pid(), "started": started})

    try:
        progress(0.0, "Starting")
        compute_map(
            store, check_request(store, run_id, layer, method), seed=seed, limit=limit, progress=progress
        )
    except Exception as exc:  # reported to whoever polls: the page shows it, the CLI prints it
        log.info("map %s/%s-%s failed", run_id, layer, method, exc_info=True)
        message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        write_progress(folder, layer, method, {"status": "failed", "error": message, "started": started})
        return message
    clear_progress(folder, layer, method)
    return "done"


def _pid() -> int:
    import os

    return os.getpid()


def start(root: str | Path, request: MapRequest, seed: int = 0) -> None:
    """Queue the map of ``request`` in the worker process, unless it is cached or already being computed."""
    from mnistlab.runs.store import RunStore

    store = RunStore(root)
    key = (str(root), request.run.id, request.layer, request.method)
    folder = store.path(request.run.id)
    with _lock:  # two sessions asking for the same map at once queue it once
        if cached(store, request) is not None or status(root, request)["status"] in ("queued", "running"):
            return
        write_progress(
            folder,
            request.layer,
            request.method,
            {
                "status": "queued",
                "fraction": 0.0,
                "text": "Waiting for the map worker",
                "started": time.time(),
            },
        )
        _futures[key] = _executor().submit(
            work, str(root), request.run.id, request.layer, request.method, seed
        )


def status(root: str | Path, request: MapRequest) -> dict:
    """``{"status": "done" | "queued" | "running" | "failed" | "idle", "fraction", "text", "error"}``."""
    from mnistlab.runs.store import RunStore

    store = RunStore(root)
    folder = store.path(request.run.id)
    state = read_progress(folder, request.layer, request.method)
    if state is None:
        done = cached(store, request) is not None
        return {"status": "done" if done else "idle", "fraction": 1.0 if done else 0.0, "text": ""}
    key = (str(root), request.run.id, request.layer, request.method)
    future = _futures.get(key)
    if state.get("status") == "running" and not process_alive(int(state.get("pid") or 0)):
        return {"status": "failed", "fraction": 0.0, "error": "The map worker stopped before it finished."}
    if state.get("status") == "queued" and future is None:
        if time.time() - float(state.get("started") or 0) > STALE_QUEUED_S:
            return {"status": "idle", "fraction": 0.0, "text": ""}
    if future is not None and future.done() and future.exception() is not None:
        return {"status": "failed", "fraction": 0.0, "error": f"The map worker failed: {future.exception()}"}
    return {"fraction": 0.0, "text": "", **state}


def forget_failure(root: str | Path, request: MapRequest) -> None:
    """Remove a failed computation's record, so that ``start`` tries again."""
    from mnistlab.runs.store import RunStore

    clear_progress(RunStore(root).path(request.run.id), request.layer, request.method)
