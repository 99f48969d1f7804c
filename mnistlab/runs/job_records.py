"""Job records on disk: ``<artifacts>/jobs/<job_id>.json``, one per job, written atomically.

They let a restarted server list past jobs and tell which ones were cut short: each record carries the id of
the process that wrote it, so a job whose process is gone was interrupted, and one whose process still lives
belongs to another server.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from mnistlab.files import atomic_write_json, process_alive
from mnistlab.runs.job import Job, JobError, json_safe

log = logging.getLogger(__name__)

INTERRUPTED_QUEUED = "The server stopped while this job was queued; start it again from the Train page."
INTERRUPTED_RUNNING = (
    "The server stopped while this job was training; its history up to then is kept in the run."
)


class JobRecords:
    """Read and write the records in ``folder``. A record that cannot be written or read is logged and
    skipped: bookkeeping must never break a training."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def write(self, record: dict) -> None:
        """Save one job's record (``Job.to_dict()``), stamped with this process's id."""
        record = {**record, "pid": os.getpid()}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.folder / f"{record['id']}.json", json_safe(record))
        except (OSError, ValueError) as exc:
            log.warning("could not save the record of job %s: %s", record.get("id"), exc)

    def remove(self, job_id: str) -> None:
        try:
            (self.folder / f"{job_id}.json").unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete old job record %s: %s", job_id, exc)

    def read_all(self) -> list[tuple[Job, bool]]:
        """Every readable record as (job, whether another live process of this machine owns it)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("j-*.json")):
            try:
                raw = json.loads(path.read_text())
                job = Job.from_dict(raw)
            except (OSError, ValueError, JobError) as exc:
                log.warning("skipping job record %s: %s", path.name, exc)
                continue
            pid = raw.get("pid")
            found.append((job, isinstance(pid, int) and pid != os.getpid() and process_alive(pid)))
        return found

    def recover(self, busy: set[str]) -> tuple[list[Job], list[str]]:
        """Past jobs after a restart, and the ids of those that were queued or running when their server
        died: they become 'interrupted'. Jobs in ``busy`` (alive in this process) and active jobs of another
        live server process are left out, untouched."""
        past, changed = [], []
        for job, owner_alive in self.read_all():
            if job.id in busy or (job.is_active and owner_alive):
                continue
            if job.is_active:
                message = INTERRUPTED_QUEUED if job.status == "queued" else INTERRUPTED_RUNNING
                job.status, job.error = "interrupted", message
                job.finished = job.finished or time.time()
                changed.append(job.id)
            past.append(job)
        return past, changed
