"""A training job as plain data: what to train, for whom, and where it stands.

``Job`` records are what the job runner keeps, writes to ``<artifacts>/jobs/<id>.json`` and hands out as
snapshots; ``checked_request`` turns a submission (objects or plain data) into a valid one or a ``JobError``.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mnistlab.files import StoreError
from mnistlab.runs.run import check_run_name
from mnistlab.specs import ArchitectureSpec, SpecError
from mnistlab.specs import from_dict as spec_from_dict
from mnistlab.training import ConfigError, TrainConfig

STATUSES = ("queued", "running", "completed", "stopped", "failed", "interrupted")
ACTIVE = ("queued", "running")
FINISHED = ("completed", "stopped", "failed", "interrupted")
MAX_BATCH_POINTS = 3000  # live batch curve kept per job: enough for a smooth chart, bounded memory
JOB_ID = re.compile(r"^j-[a-z0-9-]{1,60}$")
OWNER_MAX = 100


class JobError(Exception):
    """A job request that cannot be done; the message says why and what to do instead."""


@dataclass
class Job:
    """One training job. ``finished`` is the time it ended (None while queued or running).

    Objects handed out by the runner are snapshots: reading them is safe from any thread, and changing them
    changes nothing in the runner. Ask the runner again (``get``) for fresh state.
    """

    id: str
    owner: str
    name: str | None
    preset: str | None
    spec: ArchitectureSpec
    config: TrainConfig
    status: str = "queued"
    run_id: str | None = None
    progress: dict | None = None  # the latest Progress.to_dict()
    batches: list = field(default_factory=list, repr=False)  # [[step, loss, accuracy], ...], last ~3000
    history: dict = field(default_factory=dict, repr=False)  # per-epoch lists, as in TrainResult.history
    error: str | None = None  # one line: why it failed or was interrupted
    submitted: float = 0.0
    started: float | None = None
    finished: float | None = None
    stop_requested: bool = False
    resubmitted_from: str | None = None
    tag: str | None = None  # what the job is for, when code looks it up (the Draw page's quick start)

    @property
    def is_finished(self) -> bool:
        """True once the job will not change any more (completed, stopped, failed or interrupted)."""
        return self.status in FINISHED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def can_resubmit(self) -> bool:
        return self.status in ("stopped", "failed", "interrupted")

    @property
    def fraction(self) -> float:
        """How much of the training is done, 0..1 (1 for a completed job)."""
        if self.status == "completed":
            return 1.0
        p = self.progress or {}
        total = p.get("total_steps") or 0
        return min(1.0, p.get("step", 0) / total) if total else 0.0

    @property
    def label(self) -> str:
        return f"{self.name or self.spec.name} ({self.status})"

    def record(self, progress: dict) -> None:
        """Take in a progress event (``Progress.to_dict()``): the latest one, the batch curve (each chunk's own
        mean; the last ``MAX_BATCH_POINTS``) and, after an epoch, the per-epoch history."""
        self.progress = progress
        if progress.get("kind") == "batch":
            loss, accuracy = progress.get("batch_loss"), progress.get("batch_accuracy")
            if loss is None:  # a reporter without chunk means: use the running means
                loss, accuracy = progress.get("loss"), progress.get("accuracy")
            self.batches.append([progress.get("step"), loss, accuracy])
            if len(self.batches) > MAX_BATCH_POINTS * 1.1:  # trim now and then, not on every point
                del self.batches[: len(self.batches) - MAX_BATCH_POINTS]
        elif progress.get("kind") == "epoch":
            elapsed = progress.get("elapsed_s") or 0.0
            previous = sum(self.history.get("epoch_s", []))  # elapsed time at the previous epoch's end
            for key, value in (
                ("loss", progress.get("loss")),
                ("accuracy", progress.get("accuracy")),
                ("val_loss", progress.get("val_loss")),
                ("val_accuracy", progress.get("val_accuracy")),
                ("epoch_s", round(elapsed - previous, 3)),
            ):
                self.history.setdefault(key, []).append(value)

    def to_dict(self, with_batches: bool = False) -> dict:
        """Plain data (JSON-ready). The record on disk leaves out the live batch curve."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "batches"}
        out["spec"] = self.spec.to_dict()
        out["config"] = self.config.to_dict()
        out["progress"] = dict(self.progress) if self.progress else None
        out["history"] = {k: list(v) for k, v in self.history.items()}
        if with_batches:
            out["batches"] = [list(b) for b in self.batches]
        return out

    @classmethod
    def from_dict(cls, raw: dict) -> Job:
        """Rebuild a job from ``to_dict`` output; raises ``JobError`` if the record is damaged."""
        try:
            if not isinstance(raw, dict):
                raise TypeError("not an object")
            known = {f.name for f in fields(cls)}
            data = {k: v for k, v in raw.items() if k in known}
            data["spec"] = spec_from_dict(raw["spec"])
            data["config"] = TrainConfig.from_dict(raw["config"])
            if not JOB_ID.match(str(data.get("id"))):
                raise ValueError(f"bad job id {data.get('id')!r}")
            if data.get("status") not in STATUSES:
                raise ValueError(f"unknown status {data.get('status')!r}")
            data["history"] = data.get("history") if isinstance(data.get("history"), dict) else {}
            data["batches"] = [list(b) for b in raw.get("batches") or []]
            return cls(**data)
        except (KeyError, TypeError, ValueError) as exc:  # SpecError and ConfigError are ValueErrors
            raise JobError(f"Damaged job record ({type(exc).__name__}: {exc}).") from None


def new_job_id() -> str:
    """A short id that sorts by submission time: ``j-20250101-120000-3fa9c1``."""
    return f"j-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def one_line(exc: BaseException) -> str:
    """A short, single-line message for a failure: our own errors as they are, others with their type."""
    text = " ".join(str(exc).split()) or "no details"
    friendly = (
        isinstance(exc, (StoreError, SpecError, ConfigError, JobError)) or type(exc).__name__ == "DataError"
    )
    text = text if friendly else f"{type(exc).__name__}: {text}"
    return text if len(text) <= 300 else text[:297] + "..."


def checked_request(spec, config, name, owner) -> tuple[ArchitectureSpec, TrainConfig, str | None, str]:
    """Validate a submission; every problem becomes a ``JobError`` with a message a user can act on."""
    try:
        if isinstance(spec, dict):
            spec = spec_from_dict(spec)
        if not isinstance(spec, ArchitectureSpec):
            raise SpecError(f"A job needs an architecture spec, got {type(spec).__name__}.")
        if config is None:
            config = TrainConfig()
        elif isinstance(config, dict):
            config = TrainConfig.from_dict(config)
        if not isinstance(config, TrainConfig):
            raise ConfigError(f"A job needs a training config, got {type(config).__name__}.")
        name = check_run_name(name) if name is not None else None
    except (SpecError, ConfigError, StoreError) as exc:
        raise JobError(str(exc)) from None
    except TypeError as exc:  # e.g. a layer whose numbers are not numbers
        raise JobError(f"That training request is not valid: {exc}.") from None
    if not isinstance(owner, str) or not owner.strip() or len(owner) > OWNER_MAX:
        raise JobError(f"A job owner must be 1-{OWNER_MAX} characters of text.")
    return spec, config, name, owner


def snapshot_of(job: Job, curves: bool = True) -> Job:
    """A copy readers can keep: lists are copied (batch points are never changed once added). Without
    ``curves`` the batch curve is left out: listing jobs for a table then costs nothing per point."""
    return replace(
        job,
        progress=dict(job.progress) if job.progress else None,
        batches=list(job.batches) if curves else [],
        history={k: list(v) for k, v in job.history.items()},
    )


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities (possible in a diverging loss) by None, so the record stays valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


# ------------------------------------------------------------------------------------------ work


class JobContext:
    """What a job's work may do: report progress, poll the stop switch, tell which run it writes."""

    def __init__(self, runner, job_id: str, stop_event: threading.Event):
        self.runner = runner
        self.job_id = job_id
        self.store = runner.store
        self.stop_event = stop_event

    def report(self, progress) -> None:
        """Record a Progress (or its dict): the latest one, the batch curve, the per-epoch history."""
        self.runner._report(
            self.job_id, progress.to_dict() if hasattr(progress, "to_dict") else dict(progress)
        )

    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    def set_run(self, run_id: str) -> None:
        self.runner._set_run(self.job_id, run_id)


Work = Callable[[Job, JobContext], "str | None"]
