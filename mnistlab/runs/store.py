"""The run store: every training run as a folder under ``artifacts/runs/<run_id>/``.

    run.json      who and what: id, name, status, times, parameter count, test accuracy
    spec.json     the ArchitectureSpec (plain data)
    config.json   the TrainConfig
    history.json  per-epoch curves (and the last batch curve), written after every epoch
    metrics.json  test metrics: accuracy, loss, confusion matrix, per-class scores, mistakes
    model.keras   the trained model, loaded back with Keras ``safe_mode``

Every write is atomic (``mnistlab.files``), so a crash mid-write leaves the previous file intact. Run ids are
checked against a strict pattern (``mnistlab.runs.run``), so no id can name a path outside the store. A
damaged run is reported by ``problems()`` and skipped by ``list_runs()``; it never breaks a listing.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

from mnistlab.data import DataError
from mnistlab.datasets.registry import DEFAULT as DEFAULT_DATASET
from mnistlab.datasets.registry import get_dataset
from mnistlab.files import (
    StoreError,
    artifacts_dir,
    atomic_write_bytes,
    atomic_write_json,
    friendly_os_error,
    process_alive,
    read_json,
)
from mnistlab.people.person import MACHINE_ID, NotAllowed, Person, check_may_change
from mnistlab.runs import renames
from mnistlab.runs.run import RUN_ID, STATUSES, Run, check_run_id, check_run_name, new_run_id
from mnistlab.specs import ArchitectureSpec, SpecError, count_params, from_dict

log = logging.getLogger(__name__)

INTERRUPTED = "The process training this run stopped before it finished; its history up to then is kept."


# A run folder without run.json is being created (not damaged) while it carries this marker, for at most
# CREATING_MARKER_MAX_S (a process killed while creating leaves one behind), or while younger than
# BEING_CREATED_S (folders made by an older version, without the marker).
CREATING = ".creating"
CREATING_MARKER_MAX_S = 600.0
BEING_CREATED_S = 10.0


class RunNotFound(StoreError):
    pass


class RunStore:
    """Save, list, load, rename and delete runs under ``root`` (default ``artifacts/runs``)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else artifacts_dir() / "runs"
        self._lock = threading.Lock()

    # -- paths
    def path(self, run_id: str) -> Path:
        return self.root / check_run_id(run_id)

    def _existing(self, run_id: str) -> Path:
        folder = self.path(run_id)
        if not (folder / "run.json").is_file():
            raise RunNotFound(f"No run with id {run_id!r} in {self.root}.")
        return folder

    # -- writing
    def create(
        self,
        spec: ArchitectureSpec,
        config: dict,
        name: str | None = None,
        preset: str | None = None,
        run_id: str | None = None,
        origin: str = "trained",
        owner: str = MACHINE_ID,
        num_classes: int | None = None,
        dataset: str | None = None,
    ) -> str:
        """Start a run folder with status 'running'; returns its id. ``origin`` is "trained" or "imported";
        ``owner`` is the id of the person it belongs to. The run's dataset is ``dataset``, else ``config["dataset"]``
        (MNIST when absent); ``num_classes`` (default: that dataset's) sizes the output layer in the parameter count."""
        name = check_run_name(spec.name if name is None else name)
        run_id = check_run_id(run_id) if run_id else new_run_id(spec.name)
        folder = self.path(run_id)
        now = time.time()
        dataset = str(dataset or config.get("dataset") or DEFAULT_DATASET)
        meta = {
            "id": run_id,
            "name": name,
            "status": "running",
            "created": now,
            "updated": now,
            "params": count_params(spec, num_classes or _num_classes(dataset)),
            "preset": preset,
            "epochs_done": 0,
            "pid": os.getpid(),
            "origin": origin,
            "owner": owner or MACHINE_ID,
            "dataset": dataset,
        }
        try:
            folder.mkdir(parents=True, exist_ok=False)
            (folder / CREATING).touch()  # readers: this folder is being created, not damaged
            atomic_write_json(folder / "spec.json", spec.to_dict())
            atomic_write_json(folder / "config.json", config)
            atomic_write_json(folder / "history.json", {})
            atomic_write_json(folder / "run.json", meta)  # last: a folder without run.json is not a run
            (folder / CREATING).unlink(missing_ok=True)
        except FileExistsError:
            raise StoreError(f"A run with id {run_id!r} already exists.") from None
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise friendly_os_error(exc, "create the run folder") from None
        return run_id

    def update(self, run_id: str, **fields) -> None:
        """Merge ``fields`` into run.json (e.g. status, test_accuracy)."""
        folder = self._existing(run_id)
        with self._lock:
            meta = read_json(folder / "run.json")
            meta.update(fields, updated=time.time())
            try:
                atomic_write_json(folder / "run.json", meta)
            except OSError as exc:
                raise friendly_os_error(exc, "update the run") from None

    def save_history(self, run_id: str, history: dict) -> None:
        folder = self._existing(run_id)
        try:
            atomic_write_json(folder / "history.json", history)
        except OSError as exc:
            raise friendly_os_error(exc, "save the training history") from None

    def save_metrics(self, run_id: str, metrics: dict) -> None:
        try:
            atomic_write_json(self._existing(run_id) / "metrics.json", metrics)
        except OSError as exc:
            raise friendly_os_error(exc, "save the test metrics") from None

    def save_model(self, run_id: str, model) -> None:
        """Save a Keras model (or the bytes of a ``.keras`` file, as workers send them) as model.keras,
        atomically: written to a temporary file, then renamed."""
        folder = self._existing(run_id)
        if isinstance(model, bytes):
            try:
                atomic_write_bytes(folder / "model.keras", model)
            except OSError as exc:
                raise friendly_os_error(exc, "save the model") from None
            return
        tmp = folder / f".model.{secrets.token_hex(4)}.keras"
        try:
            model.save(tmp)
            os.replace(tmp, folder / "model.keras")
        except OSError as exc:
            raise friendly_os_error(exc, "save the model") from None
        finally:
            tmp.unlink(missing_ok=True)

    def finish(self, run_id: str, status: str, **fields) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.update(run_id, status=status, **fields)

    def rename(self, run_id: str, new_name: str, actor: Person | None = None) -> None:
        """Rename a run. ``actor`` (None: this process) must be allowed to change it (``NotAllowed`` if not,
        nothing written); a pupil must also wait until it has finished training. A job training the run takes
        the new name too."""
        name = check_run_name(new_name)
        run = self.load(run_id)
        check_may_change(actor, run.owner, f"rename the run '{run.name}'")
        if actor is not None and actor.is_pupil and run.status == "running":
            raise NotAllowed(f"The run '{run.name}' is still training; wait until it finishes to rename it.")
        self.update(run_id, name=name)
        renames.announce(self.root, run_id, name)

    def delete(self, run_id: str, actor: Person | None = None) -> None:
        """Delete a run; ``actor`` (None: this process) must be allowed to (``NotAllowed``, nothing deleted)."""
        folder = self._existing(run_id)
        if actor is not None:
            try:
                meta = read_json(folder / "run.json")
                owner, name = meta.get("owner"), meta.get("name", run_id)
            except (
                OSError,
                ValueError,
                AttributeError,
            ):  # a damaged run: the teacher or a local user clears it
                owner, name = MACHINE_ID, run_id
            check_may_change(actor, owner, f"delete the run '{name}'")
        # Rename first so a half-deleted folder never looks like a run.
        trash = folder.with_name(f".deleted-{run_id}-{secrets.token_hex(2)}")
        try:
            os.replace(folder, trash)
        except OSError as exc:
            raise friendly_os_error(exc, "delete the run") from None
        shutil.rmtree(trash, ignore_errors=True)

    # -- reading
    def load(self, run_id: str) -> Run:
        """A run's metadata, spec, config and history. Raises ``StoreError`` if it is damaged."""
        folder = self._existing(run_id)
        try:
            meta = read_json(folder / "run.json")
            if meta.get("status") == "running" and not _owner_alive(meta):
                # Its process died (kill -9, power cut) before it could say so: report what really happened.
                meta.update(status="interrupted", error=INTERRUPTED)
            spec = from_dict(read_json(folder / "spec.json"))
            config = read_json(folder / "config.json")
            history_path = folder / "history.json"
            history = read_json(history_path) if history_path.exists() else {}
            return Run.from_meta(run_id, meta, spec, config, history)
        except (OSError, ValueError, TypeError, SpecError, AttributeError) as exc:
            raise StoreError(f"Run {run_id} is damaged ({type(exc).__name__}: {exc}).") from None

    def metrics(self, run_id: str) -> dict | None:
        path = self._existing(run_id) / "metrics.json"
        if not path.exists():
            return None
        try:
            return read_json(path)
        except (OSError, ValueError) as exc:
            raise StoreError(f"The metrics of run {run_id} are damaged ({exc}).") from None

    def _ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and RUN_ID.match(p.name))

    def list_runs(self, status: str | tuple[str, ...] | None = None) -> list[Run]:
        """All readable runs, newest first; damaged ones are skipped (see ``problems``)."""
        runs = []
        for run_id in self._ids():
            try:
                run = self.load(run_id)
            except StoreError as exc:
                log.warning("skipping %s", exc)
                continue
            if status is None or run.status in ((status,) if isinstance(status, str) else status):
                runs.append(run)
        return sorted(runs, key=lambda r: r.created, reverse=True)

    def problems(self) -> list[tuple[str, str]]:
        """(folder name, what is wrong) for every folder in the store that is not a readable run."""
        found = []
        for run_id in self._ids():
            if self.being_created(run_id):
                continue
            try:
                self.load(run_id)
            except StoreError as exc:
                found.append((run_id, str(exc)))
        return found

    def being_created(self, run_id: str) -> bool:
        """Whether ``run_id``'s folder has no run.json yet because ``create`` is still writing it: it carries
        the creation marker (a fresh one), or it is younger than ``BEING_CREATED_S``. Such a folder is not
        reported as damaged."""
        folder = self.path(run_id)
        if (folder / "run.json").is_file():
            return False
        now = time.time()
        try:
            marker = (folder / CREATING).stat().st_mtime
        except OSError:
            marker = None
        if marker is not None and now - marker < CREATING_MARKER_MAX_S:
            return True
        try:
            return now - folder.stat().st_mtime < BEING_CREATED_S
        except OSError:  # removed meanwhile: nothing to report either
            return True

    def model_path(self, run_id: str) -> Path:
        path = self._existing(run_id) / "model.keras"
        if not path.is_file():
            raise StoreError(f"Run {run_id} has no saved model (it may have failed or still be training).")
        return path

    def load_model(self, run_id: str):
        """The run's Keras model, loaded with ``safe_mode=True`` (no code from the file ever runs)."""
        from mnistlab.modelfile import load_model_file

        return load_model_file(self.model_path(run_id))

    def mark_interrupted(self) -> list[str]:
        """After a crash: write 'interrupted' into runs still marked 'running' whose process is gone.

        ``load`` already reports such runs as interrupted; this makes it permanent on disk.
        """
        changed = []
        for run_id in self._ids():
            try:
                meta = read_json(self.path(run_id) / "run.json")
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and meta.get("status") == "running" and not _owner_alive(meta):
                self.update(run_id, status="interrupted", error=INTERRUPTED)
                changed.append(run_id)
        return changed


def _owner_alive(meta: dict) -> bool:
    """Whether the process that is training this run is still alive (True when unknown)."""
    pid = meta.get("pid")
    return not isinstance(pid, int) or process_alive(pid)


def _num_classes(dataset: str) -> int:
    """The dataset's number of classes; 10 for a set this machine no longer knows (the count is a display)."""
    try:
        return get_dataset(dataset).num_classes
    except DataError:
        return 10
