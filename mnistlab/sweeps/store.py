"""Where sweeps live: ``<artifacts>/sweeps/<id>/``.

    sweep.json     the sweep spec as given (plain data; parses back into the same SweepSpec)
    state.json     status (created, running, stopped, completed, interrupted), owner, pid, a message
    study.db       the Optuna study (SQLite through Optuna's RDB storage): every trial, its parameters,
                   per-epoch values, state and attributes (run ids, training time, parameter count)
    summary.json   every trial and the best one, rewritten after each trial (what ``mnistlab sweep`` prints)
    summary.md     the same for people

JSON files are written atomically (temporary file + rename); SQLite commits each Optuna write in a
transaction, so a crash leaves at worst a trial in RUNNING state, which ``study.recover`` turns into a
failed, interrupted trial and asks again.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mnistlab.files import StoreError, artifacts_dir, atomic_write_bytes, atomic_write_json, process_alive
from mnistlab.sweeps.parsing import parse_sweep
from mnistlab.sweeps.spec import SweepError, SweepSpec
from mnistlab.sweeps.study import create_study, rdb_storage

SWEEP_ID = re.compile(r"^sw-\d{8}-\d{6}-[0-9a-f]{4}$")
STATUSES = ("created", "running", "stopped", "completed", "interrupted")
INTERRUPTED = "The process running this sweep stopped; resume it to finish the remaining trials."


def check_sweep_id(sweep_id: str) -> str:
    if not isinstance(sweep_id, str) or not SWEEP_ID.match(sweep_id):
        raise StoreError(f"{sweep_id!r} is not a sweep id (like sw-20260101-120000-ab12).")
    return sweep_id


def new_sweep_id() -> str:
    return f"sw-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"


@dataclass
class SweepInfo:
    """What a list of sweeps shows: id, name, status (a dead 'running' reads 'interrupted'), trials done."""

    id: str
    name: str
    status: str
    created: float
    owner: str
    message: str | None
    sweep: SweepSpec | None


class SweepStore:
    """The sweeps under ``root`` (default ``<artifacts>/sweeps``)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else artifacts_dir() / "sweeps"
        self._lock = threading.Lock()

    def path(self, sweep_id: str) -> Path:
        return self.root / check_sweep_id(sweep_id)

    def _existing(self, sweep_id: str) -> Path:
        folder = self.path(sweep_id)
        if not (folder / "sweep.json").is_file():
            raise StoreError(f"No sweep {sweep_id!r} in {self.root}.")
        return folder

    # -- creating
    def create(self, sweep: SweepSpec, owner: str = "local") -> str:
        """Save the spec, create the Optuna study (a grid's points go into its queue) and return the id."""
        sweep_id = new_sweep_id()
        while self.path(sweep_id).exists():
            sweep_id = new_sweep_id()
        folder = self.path(sweep_id)
        try:
            folder.mkdir(parents=True)
            atomic_write_json(folder / "sweep.json", sweep.to_dict())
            create_study(self.storage(sweep_id), sweep)
            atomic_write_json(
                folder / "state.json",
                {"status": "created", "owner": owner, "created": time.time(), "pid": None, "message": None},
            )
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise StoreError(f"Could not create the sweep in {self.root}: {exc.strerror or exc}.") from None
        return sweep_id

    # -- reading and writing
    def load_spec(self, sweep_id: str) -> SweepSpec:
        import json

        path = self._existing(sweep_id) / "sweep.json"
        try:
            return parse_sweep(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise StoreError(f"The sweep file {path} is damaged: {exc}") from None

    def state(self, sweep_id: str) -> dict:
        import json

        try:
            state = json.loads((self._existing(sweep_id) / "state.json").read_text())
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {"status": "created"}

    def set_state(self, sweep_id: str, **fields) -> dict:
        with self._lock:
            state = {**self.state(sweep_id), **fields, "updated": time.time()}
            atomic_write_json(self._existing(sweep_id) / "state.json", state)
            return state

    def status(self, sweep_id: str, live: set[str] = frozenset()) -> str:
        """The sweep's status; 'running' only while a driver still runs it (``live``: ids driven in this
        process), else 'interrupted'."""
        state = self.state(sweep_id)
        status = state.get("status", "created")
        if status == "running" and sweep_id not in live:
            pid = state.get("pid")
            if pid == os.getpid() or not isinstance(pid, int) or not process_alive(pid):
                return "interrupted"
        return status if status in STATUSES else "created"

    def db_path(self, sweep_id: str) -> Path:
        return self.path(sweep_id) / "study.db"

    def storage(self, sweep_id: str):
        return rdb_storage(self.db_path(sweep_id))

    def write_summary(self, sweep_id: str, summary: dict, markdown: str) -> None:
        folder = self._existing(sweep_id)
        atomic_write_json(folder / "summary.json", summary)
        atomic_write_bytes(folder / "summary.md", markdown.encode())

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            (p.name for p in self.root.iterdir() if SWEEP_ID.match(p.name) and (p / "sweep.json").is_file()),
            reverse=True,
        )

    def list_sweeps(self, live: set[str] = frozenset()) -> list[SweepInfo]:
        """Every sweep, newest first; a damaged one is listed with its problem as the message."""
        out = []
        for sweep_id in self.ids():
            state = self.state(sweep_id)
            try:
                sweep = self.load_spec(sweep_id)
                name, message = sweep.name, state.get("message")
            except (StoreError, SweepError) as exc:
                sweep, name, message = None, sweep_id, str(exc)
            status = self.status(sweep_id, live)
            if status == "interrupted" and state.get("status") == "running":
                message = INTERRUPTED
            out.append(
                SweepInfo(
                    sweep_id,
                    name,
                    status,
                    float(state.get("created") or 0.0),
                    str(state.get("owner") or "local"),
                    message,
                    sweep,
                )
            )
        return out
