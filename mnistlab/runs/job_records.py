"""Job records on disk: ``<artifacts>/jobs/<job_id>.json``, one per job, written atomically.

They let a restarted server list past jobs and tell which ones were cut short: each record carries the id of
the process that wrote it, so a job whose process is gone was interrupted, and one whose process still lives
belongs to another server.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from mnistlab.runs.job import Job, JobError, json_safe
from mnistlab.runs.store import atomic_write_json, process_alive

log = logging.getLogger(__name__)


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
