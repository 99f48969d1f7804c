"""A person, and the one rule for who may change what.

Three roles:

- ``local``: one user on their own machine (no class mode), and the command line. May change everything.
- ``pupil``: someone who joined a class by name. May change only what they own.
- ``teacher``: whoever holds the teacher key. May change everything, and sees the Class page.

Every record a person can change (run, job, sweep, handwriting set) carries an ``owner``: the id of the person
who made it. Records made before owners existed, by the command line or by the study, have no owner or a
machine-wide one (``"local"``, ``"cli"``, ``"study"``); they belong to ``MACHINE``: everyone can use them, only
local users and the teacher can change them.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("local", "pupil", "teacher")
MACHINE_ID = "machine"
# Owners written by earlier versions (a browser session id "s-…" included): all of them mean "this machine".
LEGACY_OWNERS = ("", "local", "cli", "study", MACHINE_ID)


class NotAllowed(Exception):
    """An action on something the acting person does not own; the message says whose it is and who may."""


@dataclass(frozen=True)
class Person:
    """Someone acting on the server. ``id`` is what records store as their ``owner``."""

    id: str
    name: str
    role: str = "local"

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Unknown role {self.role!r}; one of {', '.join(ROLES)}.")
        if not self.id:
            raise ValueError("A person needs an id.")

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"

    @property
    def is_pupil(self) -> bool:
        return self.role == "pupil"

    def may_change(self, owner: str | None) -> bool:
        """Whether this person may rename, delete, stop or cancel something owned by ``owner``."""
        if self.role in ("local", "teacher"):
            return True
        return owner_of(owner) == self.id

    def owns(self, owner: str | None) -> bool:
        """Whether ``owner`` is this very person (their jobs: Stop, curves, the cap)."""
        return owner_of(owner) == self.id

    def counts_as_mine(self, owner: str | None) -> bool:
        """What a picker's "mine" shows: on a one-user machine everything is the user's; in a class, only what
        this person made."""
        return self.role == "local" or self.owns(owner)


MACHINE = Person(MACHINE_ID, "this machine", "local")


def owner_of(owner: str | None) -> str:
    """The person id an owner field stands for: legacy owners (none, "local", "cli", "study", an old browser
    session "s-…") all mean this machine."""
    owner = (owner or "").strip()
    if owner in LEGACY_OWNERS or owner.startswith("s-"):
        return MACHINE_ID
    return owner


def check_may_change(
    actor: Person | None, owner: str | None, what: str, owner_name: str | None = None
) -> None:
    """Raise ``NotAllowed`` unless ``actor`` may change ``what`` (e.g. "rename the run 'dropout'"), which
    belongs to ``owner``. ``actor=None`` is the process itself (the command line, the runner's own work)."""
    if actor is None or actor.may_change(owner):
        return
    whose = owner_name or ("this machine" if owner_of(owner) == MACHINE_ID else "another pupil")
    raise NotAllowed(f"You cannot {what}: it belongs to {whose}. Only its owner or the teacher can do that.")
