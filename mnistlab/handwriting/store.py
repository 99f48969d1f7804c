"""Handwriting sets: drawings people kept, with the digit they meant, under ``artifacts/handwriting/<set>/``.

    labels.csv          file,label,time (UTC, ISO 8601): one row per drawing
    0001.png            the drawing as it was made (the canvas, or the uploaded picture)
    seen/0001.png       the 28x28 image the model saw (``canvas_to_mnist``), greyscale
    owner.json          {"owner": person id}: who may rename or delete the set (none: this machine)

Every file is written atomically (temporary file + rename) and ``labels.csv`` last, so a crash leaves a set
that lists only complete drawings. Set names are checked against a strict pattern, so no name can lead outside
the store. Changes to one store are serialised by a lock file, across processes too.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnistlab.files import artifacts_dir, atomic_write_bytes, atomic_write_json
from mnistlab.handwriting.folder import (
    LABELS,
    SEEN,
    Drawings,
    HandwritingError,
    check_label,
    format_labels,
    parse_labels,
    read_folder,
    seen_png,
)
from mnistlab.people.person import MACHINE_ID, Person, check_may_change

try:
    import fcntl
except ImportError:  # Windows: the in-process lock still serialises a single server
    fcntl = None

OWNER_FILE = "owner.json"
SET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_LOCK = threading.Lock()


def check_set_name(name: str) -> str:
    if not isinstance(name, str) or not SET_NAME.match(name):
        raise HandwritingError(
            f"{name!r} is not a set name: 1-48 lowercase letters, digits, '-' or '_', starting with a letter "
            "or digit (e.g. 'class-4b')."
        )
    return name


def suggest_set_name(text: str) -> str:
    """A valid set name made from free text ("Class 4B, Monday" -> "class-4b-monday"); "" if nothing is left."""
    slug = re.sub(r"[^a-z0-9_]+", "-", str(text).lower()).strip("-_")
    return slug[:48].rstrip("-_")


@dataclass
class HandwritingSet:
    """A set as listed: its name, how many drawings, how many of each digit, when it last changed."""

    name: str
    count: int
    per_digit: list[int]
    updated: float
    problem: str | None = None  # why the set cannot be read, if it cannot
    owner: str = MACHINE_ID  # who made it (sets from before owners: this machine)


class HandwritingStore:
    """The handwriting sets under ``root`` (default ``$MNISTLAB_ARTIFACTS/handwriting``)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else artifacts_dir() / "handwriting"

    def path(self, name: str) -> Path:
        return self.root / check_set_name(name)

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not (path / LABELS).is_file():
            raise HandwritingError(f"There is no handwriting set named {name!r}.")
        return path

    def exists(self, name: str) -> bool:
        return SET_NAME.match(str(name)) is not None and (self.root / name / LABELS).is_file()

    @contextlib.contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with _LOCK, open(self.root / ".lock", "a") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    # --------------------------------------------------------------------------------------------- sets

    def create(self, name: str, owner: str = MACHINE_ID) -> str:
        """A new, empty set belonging to ``owner`` (a person id)."""
        path = self.path(name)
        with self._locked():
            if path.exists():
                raise HandwritingError(f"A handwriting set named {name!r} already exists.")
            staging = self._staging()
            atomic_write_json(staging / OWNER_FILE, {"owner": owner or MACHINE_ID})
            atomic_write_bytes(staging / LABELS, format_labels([]))
            os.rename(staging, path)
        return name

    def _staging(self) -> Path:
        """A fresh hidden folder in the store, to build a set in before it is renamed into place."""
        staging = self.root / f".new-{secrets.token_hex(4)}"
        (staging / SEEN).mkdir(parents=True)
        return staging

    def list_sets(self) -> list[HandwritingSet]:
        """Every set, newest change first; a damaged set is listed with its ``problem``, never raised."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if not SET_NAME.match(path.name) or not (path / LABELS).is_file():
                continue
            updated = (path / LABELS).stat().st_mtime
            try:
                rows = parse_labels((path / LABELS).read_bytes())
            except (HandwritingError, OSError) as exc:
                found.append(HandwritingSet(path.name, 0, [0] * 10, updated, problem=str(exc)))
                continue
            per_digit = np.bincount([row["label"] for row in rows], minlength=10).tolist()
            found.append(HandwritingSet(path.name, len(rows), per_digit, updated, owner=_owner(path)))
        return sorted(found, key=lambda s: (-s.updated, s.name))

    def version(self, name: str) -> int:
        """Changes whenever the set does (its labels.csv is rewritten on every change): a cache key."""
        return (self._existing(name) / LABELS).stat().st_mtime_ns

    def rows(self, name: str) -> list[dict]:
        return parse_labels((self._existing(name) / LABELS).read_bytes())

    def owner(self, name: str) -> str:
        """The id of the person the set belongs to (this machine for sets made before owners)."""
        return _owner(self._existing(name))

    def rename(self, name: str, new_name: str, actor: Person | None = None) -> None:
        """Rename a set; ``actor`` (None: this process) must be allowed to (``NotAllowed``, nothing changed)."""
        old, new = self._existing(name), self.path(new_name)
        check_may_change(actor, _owner(old), f"rename the handwriting set '{name}'")
        with self._locked():
            if new.exists():
                raise HandwritingError(f"A handwriting set named {new_name!r} already exists.")
            os.rename(old, new)

    def delete(self, name: str, actor: Person | None = None) -> None:
        """Delete a set; ``actor`` (None: this process) must be allowed to (``NotAllowed``, nothing deleted)."""
        path = self._existing(name)
        check_may_change(actor, _owner(path), f"delete the handwriting set '{name}'")
        with self._locked():
            trash = self.root / f".deleted-{secrets.token_hex(4)}"
            os.rename(path, trash)  # gone from listings at once, even if removing the files is slow
        shutil.rmtree(trash, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ drawings

    def add(self, name: str, image: np.ndarray, label, image28: np.ndarray) -> str:
        """Keep one drawing: ``image`` (HxW or HxWx3/4 uint8, as drawn), the digit meant, and ``image28``
        (28x28 in [0, 1], what the model saw). Returns the new file name. Refuses a bad label or image."""
        label = check_label(label)
        image28 = np.asarray(image28, dtype=np.float32)
        if image28.shape != (28, 28):
            raise HandwritingError(f"The model's image must be 28x28, got {image28.shape}.")
        original = _png(image)
        path = self._existing(name)
        with self._locked():
            rows = parse_labels((path / LABELS).read_bytes())
            number = 1 + max((_number(row["file"]) for row in rows), default=0)
            file = f"{number:04d}-{label}.png"
            atomic_write_bytes(path / file, original)
            (path / SEEN).mkdir(exist_ok=True)
            atomic_write_bytes(path / SEEN / f"{file}.png", seen_png(image28))
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            rows.append({"file": file, "label": label, "time": stamp})
            atomic_write_bytes(path / LABELS, format_labels(rows))  # last: the drawing now counts
        return file

    def drawings(self, name: str) -> Drawings:
        """The set's drawings as the model saw them, with their labels (see ``read_folder``)."""
        return read_folder(self._existing(name))

    def unused_name(self, base: str) -> str:
        """``base`` (made valid), or ``base-2``, ``base-3``... whichever no set has yet."""
        base = suggest_set_name(base)[:44] or "drawings"
        name, n = base, 1
        while (self.root / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name


def _owner(path: Path) -> str:
    try:
        owner = json.loads((path / OWNER_FILE).read_text()).get("owner")
    except (OSError, ValueError, AttributeError):  # no file (an older set) or a damaged one
        return MACHINE_ID
    return str(owner) if owner else MACHINE_ID


def _number(file: str) -> int:
    match = re.match(r"^(\d+)", file)
    return int(match.group(1)) if match else 0


def _png(image: np.ndarray) -> bytes:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(
            np.round(image.astype(np.float64) * (255 if image.max(initial=0) <= 1 else 1)), 0, 255
        )
        image = image.astype(np.uint8)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)) or 0 in image.shape:
        raise HandwritingError(f"Expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}.")
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG", optimize=False)
    return out.getvalue()
