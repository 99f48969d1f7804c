"""A run as the store knows it (without its model), and the rules for its id and name.

Run ids are checked against a strict pattern, so no id can name a path outside the store.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field

from mnistlab.files import StoreError
from mnistlab.people.person import MACHINE_ID
from mnistlab.specs import ArchitectureSpec, count_params, has_control_characters

RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,95}$")
NAME_MAX = 80
STATUSES = ("running", "completed", "stopped", "failed", "interrupted")
FINISHED = ("completed", "stopped", "failed", "interrupted")


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise StoreError(f"{run_id!r} is not a run id (lowercase letters, digits, '-' and '_' only).")
    return run_id


def check_run_name(name: str) -> str:
    """A display name: 1-80 characters, no control characters, no slashes."""
    if not isinstance(name, str):
        raise StoreError("A run name must be text.")
    name = name.strip()
    if not name:
        raise StoreError("A run name cannot be empty.")
    if len(name) > NAME_MAX:
        raise StoreError(f"A run name may be at most {NAME_MAX} characters (this one has {len(name)}).")
    if has_control_characters(name):
        raise StoreError("A run name may not contain control characters (tabs, newlines...).")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise StoreError("A run name may not contain '/' or '\\' or be '.' or '..'.")
    return name


def new_run_id(spec_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", spec_name.lower()).strip("-")[:32] or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-{secrets.token_hex(2)}"


@dataclass
class Run:
    """What the store knows about one run, without its model."""

    id: str
    name: str
    status: str
    spec: ArchitectureSpec
    config: dict
    created: float
    updated: float
    params: int
    test_accuracy: float | None = None
    test_loss: float | None = None
    duration_s: float | None = None
    epochs_done: int = 0
    error: str | None = None
    preset: str | None = None
    history: dict = field(default_factory=dict, repr=False)
    origin: str = "trained"  # or "imported": a model file brought in, with no training of ours behind it
    owner: str = MACHINE_ID  # the id of the person who made it (runs from before owners: this machine)
    dataset: str = "mnist"  # the name of the image set it was trained and scored on (mnistlab.datasets)

    @classmethod
    def from_meta(cls, run_id: str, meta: dict, spec: ArchitectureSpec, config, history) -> Run:
        """A run from its run.json (``meta``), spec, config and history as read from disk."""
        return cls(
            id=run_id,
            name=str(meta.get("name", run_id)),
            status=str(meta.get("status", "failed")),
            spec=spec,
            config=config if isinstance(config, dict) else {},
            created=float(meta.get("created", 0)),
            updated=float(meta.get("updated", 0)),
            params=int(meta.get("params", count_params(spec))),
            test_accuracy=meta.get("test_accuracy"),
            test_loss=meta.get("test_loss"),
            duration_s=meta.get("duration_s"),
            epochs_done=int(meta.get("epochs_done", 0)),
            error=meta.get("error"),
            preset=meta.get("preset"),
            history=history if isinstance(history, dict) else {},
            origin=str(meta.get("origin", "trained")),
            owner=str(meta.get("owner") or MACHINE_ID),
            dataset=str(meta.get("dataset") or "mnist"),
        )

    @property
    def imported(self) -> bool:
        return self.origin == "imported"

    @property
    def has_model(self) -> bool:
        return self.status in ("completed", "stopped") and self.test_accuracy is not None

    @property
    def label(self) -> str:
        acc = f" · {self.test_accuracy:.2%}" if self.test_accuracy is not None else ""
        return f"{self.name} ({self.status}{acc})"

    def to_dict(self, history: bool = False) -> dict:
        """The run as JSON-ready plain data (the CLI's ``--json`` and the JSON export); ``history`` adds
        the per-epoch curves."""
        data = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "origin": self.origin,
            "owner": self.owner,
            "dataset": self.dataset,
            "preset": self.preset,
            "params": self.params,
            "epochs_done": self.epochs_done,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "duration_s": self.duration_s,
            "created": self.created,
            "error": self.error,
            "spec": self.spec.to_dict(),
            "config": self.config,
        }
        if history:
            data["history"] = self.history
        return data
