"""Class mode: the server's switch, the teacher's limits, and the challenge, as plain data.

The server is in class mode when it starts with ``MNISTLAB_TEACHER_KEY`` set; ``MNISTLAB_CLASS_CODE``, if set,
is asked of pupils when they join. The teacher's choices live in ``<artifacts>/people/class.json``.

    settings = ClassBook(artifacts_dir() / "people").settings()
    settings.check_job(pupil, config)      # raises NotAllowed past the class's limits
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mnistlab.files import atomic_write_json
from mnistlab.people.person import NotAllowed, Person

TEACHER_KEY_ENV = "MNISTLAB_TEACHER_KEY"
CLASS_CODE_ENV = "MNISTLAB_CLASS_CODE"
PAGES = ("train", "compare", "inspect", "draw", "map", "sweep", "learn", "leaderboard")


def teacher_key() -> str:
    """The teacher key the server was started with ("" outside class mode)."""
    return os.environ.get(TEACHER_KEY_ENV, "").strip()


def class_mode() -> bool:
    return bool(teacher_key())


def class_code() -> str:
    """The code pupils type to join ("" when the teacher set none)."""
    return os.environ.get(CLASS_CODE_ENV, "").strip()


def check_class_code(given: str) -> None:
    expected = class_code()
    if expected and not secrets.compare_digest(
        (given or "").strip().upper().encode(), expected.upper().encode()
    ):
        raise NotAllowed("That class code is not right; it is on the teacher's screen.")


def _check_dataset(name) -> None:
    from mnistlab.data import DataError
    from mnistlab.datasets.registry import BUILTIN_NAMES, get_dataset

    if not isinstance(name, str) or not name:
        raise ValueError("A challenge needs a dataset, like mnist or fashion-mnist.")
    if name not in BUILTIN_NAMES:
        try:
            get_dataset(name)
        except DataError as exc:
            raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class Challenge:
    """The class's challenge: best hidden-set accuracy under a parameter and epoch budget, on one dataset
    (only runs trained on it are ranked, scored on its test set)."""

    title: str = "Best accuracy with at most 50,000 parameters and 3 epochs"
    max_params: int = 50_000
    max_epochs: int = 3
    revealed: bool = False  # the hidden scores are shown once the teacher reveals them
    dataset: str = "mnist"

    def __post_init__(self):
        if not self.title.strip():
            raise ValueError("A challenge needs a title.")
        _check_dataset(self.dataset)
        if not 1_000 <= int(self.max_params) <= 8_000_000:
            raise ValueError("The parameter budget must be between 1,000 and 8,000,000.")
        if not 1 <= int(self.max_epochs) <= 100:
            raise ValueError("The epoch budget must be between 1 and 100.")

    def qualifies(self, params: int | None, epochs: int | None, dataset: str = "mnist") -> bool:
        return (
            dataset == self.dataset
            and params is not None
            and epochs is not None
            and params <= self.max_params
            and epochs <= self.max_epochs
        )


@dataclass(frozen=True)
class ClassSettings:
    """The teacher's limits for pupils (a teacher and a one-user machine have none)."""

    jobs_per_pupil: int = 2
    max_epochs: int = 10
    max_train_digits: int = 60_000
    pages_off: tuple[str, ...] = ()
    challenge: Challenge | None = None
    handwriting_set: str = "our-class"  # drawings pupils keep for the class go into this set
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not 1 <= int(self.jobs_per_pupil) <= 20:
            raise ValueError("Jobs per pupil must be between 1 and 20.")
        if not 1 <= int(self.max_epochs) <= 200:
            raise ValueError("The epoch limit must be between 1 and 200.")
        if not 100 <= int(self.max_train_digits) <= 60_000:
            raise ValueError("The training-image limit must be between 100 and 60,000.")
        unknown = set(self.pages_off) - set(PAGES)
        if unknown:
            raise ValueError(f"Unknown pages: {', '.join(sorted(unknown))}.")

    def page_on(self, page: str, person: Person) -> bool:
        return person.is_teacher or person.role == "local" or page not in self.pages_off

    def job_cap(self, person: Person, default: int) -> int:
        """How many jobs ``person`` may have queued or running at once."""
        return self.jobs_per_pupil if person.is_pupil else default

    def check_job(self, person: Person, epochs: int, train_digits: int | None) -> None:
        """Refuse a pupil's training past the class's limits (``train_digits=None``: all 60,000)."""
        if not person.is_pupil:
            return
        if epochs > self.max_epochs:
            raise NotAllowed(
                f"In this class a training may have at most {self.max_epochs} epochs (asked: {epochs})."
            )
        digits = 60_000 if train_digits is None else train_digits
        if digits > self.max_train_digits:
            raise NotAllowed(
                f"In this class a training may use at most {self.max_train_digits:,} training images "
                f"(asked: {digits:,})."
            )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["pages_off"] = list(self.pages_off)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> ClassSettings:
        data = dict(data or {})
        challenge = data.pop("challenge", None)
        known = {
            k: data[k]
            for k in ("jobs_per_pupil", "max_epochs", "max_train_digits", "handwriting_set")
            if k in data
        }
        return cls(
            **known,
            pages_off=tuple(data.get("pages_off") or ()),
            challenge=Challenge(**challenge) if isinstance(challenge, dict) else None,
        )


class ClassBook:
    """The teacher's settings on disk. Only the teacher may change them."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()

    @property
    def _file(self) -> Path:
        return self.root / "class.json"

    def settings(self) -> ClassSettings:
        try:
            return ClassSettings.from_dict(json.loads(self._file.read_text()))
        except FileNotFoundError:
            return ClassSettings()
        except (OSError, ValueError, TypeError):  # a damaged file: the defaults, never a locked-out class
            return ClassSettings()

    def change(self, actor: Person, **changes) -> ClassSettings:
        """Apply the teacher's changes (``challenge=Challenge(...)`` or None included); returns the settings.
        Raises ``NotAllowed`` for anyone but the teacher and ``ValueError`` for bad values (nothing written)."""
        if not actor.is_teacher:
            raise NotAllowed("Only the teacher can change the class's settings.")
        with self._lock:
            updated = replace(self.settings(), **changes)
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self._file, updated.to_dict())
            return updated
