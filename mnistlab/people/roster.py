"""Who has visited this server, kept under ``<artifacts>/people/people.json`` so identity outlives a reload,
a new tab and a server restart.

A browser gets a random token (kept in a cookie by the page); the roster keeps only its SHA-256. Outside class
mode every browser is a ``local`` visitor. In class mode a pupil joins with a name that is unique in the class
and gets a short personal code to get back in on a second device; the teacher signs in with the teacher key.

    roster = Roster(artifacts_dir() / "people")
    person, token, code = roster.join("Ada")           # class mode: a pupil
    roster.by_token(token)                             # the same Person, after a reload or a restart
    person, token = roster.rejoin("ada", code)         # a second device
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mnistlab.files import atomic_write_json
from mnistlab.people.person import NotAllowed, Person
from mnistlab.specs import has_control_characters

NAME_MAX = 40
TEACHER_ID = "teacher"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud across a classroom
CODE_LENGTH = 6
VISITOR_DAYS = 90  # a one-user machine's visitor unseen this long is forgotten (the roster stays small)


class JoinError(Exception):
    """A join or sign-in that cannot be done; the message says what to do."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_name(name: str) -> str:
    """A pupil's display name: 1-40 characters, no control characters; surrounding spaces dropped."""
    if not isinstance(name, str):
        raise JoinError("Your name must be text.")
    if has_control_characters(name):
        raise JoinError("A name may not contain control characters (tabs, newlines...).")
    name = " ".join(name.split())
    if not name:
        raise JoinError("Type your name to join the class.")
    if len(name) > NAME_MAX:
        raise JoinError(f"A name may be at most {NAME_MAX} characters (this one has {len(name)}).")
    return name


@dataclass(frozen=True)
class Member:
    """A person as the teacher's Class page lists them."""

    person: Person
    joined: float
    last_seen: float


_locks: dict[Path, threading.RLock] = {}
_locks_guard = threading.Lock()


def _lock_for(root: Path) -> threading.RLock:
    """One lock per roster folder for the whole process: each session makes its own ``Roster``, and a lock per
    object let pupils joining together overwrite each other's records."""
    key = root.resolve()
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


class Roster:
    """The people of one server. Thread-safe within a process (every ``Roster`` over a folder shares its
    lock); the server is the only writer."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = _lock_for(self.root)

    # -- storage
    @property
    def _file(self) -> Path:
        return self.root / "people.json"

    def _read(self) -> dict:
        try:
            data = json.loads(self._file.read_text())
        except FileNotFoundError:
            return {"people": {}}
        except (OSError, ValueError):  # a damaged roster must not lock everyone out: start a new one
            return {"people": {}}
        return data if isinstance(data.get("people"), dict) else {"people": {}}

    def _write(self, data: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self._file, data)

    @staticmethod
    def _person(pid: str, record: dict) -> Person:
        return Person(pid, record.get("name") or pid, record.get("role") or "local")

    def _add_token(self, data: dict, pid: str) -> str:
        token = secrets.token_urlsafe(24)
        record = data["people"][pid]
        record["tokens"] = [*record.get("tokens", [])[-9:], _digest(token)]  # ten devices at most
        record["last_seen"] = time.time()
        return token

    # -- who is this browser
    def by_token(self, token: str | None) -> Person | None:
        """The person whose browser holds ``token``, or None for an unknown (or removed) token."""
        if not token:
            return None
        digest = _digest(token)
        with self._lock:
            for pid, record in self._read()["people"].items():
                if digest in record.get("tokens", ()):
                    return self._person(pid, record)
        return None

    def new_visitor(self) -> tuple[Person, str]:
        """A one-user machine's visitor (role ``local``): a new id and token, remembered."""
        with self._lock:
            data = self._read()
            old = time.time() - VISITOR_DAYS * 86400
            for gone in [
                pid
                for pid, r in data["people"].items()
                if r.get("role") == "local" and r.get("last_seen", r.get("joined", 0)) < old
            ]:
                del data["people"][gone]
            pid = f"v-{secrets.token_hex(4)}"
            data["people"][pid] = {"name": "you", "role": "local", "joined": time.time()}
            token = self._add_token(data, pid)
            self._write(data)
            return self._person(pid, data["people"][pid]), token

    def join(self, name: str) -> tuple[Person, str, str]:
        """A pupil joins the class: returns (person, token for this browser, personal code for other devices).
        Raises ``JoinError`` if the name is taken (then: rejoin with the code) or not a name."""
        name = check_name(name)
        with self._lock:
            data = self._read()
            if self._find_name(data, name) is not None:
                raise JoinError(
                    f"Someone in this class is already called {name!r}. If that is you, type your personal "
                    "code too; otherwise add your last name's first letter."
                )
            pid = f"p-{secrets.token_hex(4)}"
            code = new_code()
            data["people"][pid] = {
                "name": name,
                "role": "pupil",
                "code": _digest(code),
                "joined": time.time(),
            }
            token = self._add_token(data, pid)
            self._write(data)
            return self._person(pid, data["people"][pid]), token, code

    def rejoin(self, name: str, code: str) -> tuple[Person, str]:
        """A pupil back on another device (or after clearing cookies): name + personal code."""
        name = check_name(name)
        with self._lock:
            data = self._read()
            pid = self._find_name(data, name)
            record = data["people"].get(pid) if pid else None
            given = (code or "").strip().upper().replace(" ", "").replace("-", "")
            if record is None or not secrets.compare_digest(record.get("code", ""), _digest(given)):
                raise JoinError("That name and personal code do not match; ask your teacher for a new code.")
            token = self._add_token(data, pid)
            self._write(data)
            return self._person(pid, record), token

    def teacher(self, key: str, expected: str) -> tuple[Person, str]:
        """The teacher signs in with the key the server was started with."""
        if not expected or not secrets.compare_digest((key or "").encode(), expected.encode()):
            raise JoinError("That is not the teacher key.")
        with self._lock:
            data = self._read()
            record = data["people"].setdefault(
                TEACHER_ID, {"name": "Teacher", "role": "teacher", "joined": time.time()}
            )
            if record.get("key") != _digest(expected):  # a new lesson's key: the old one's browsers are out
                record.update(key=_digest(expected), tokens=[])
            token = self._add_token(data, TEACHER_ID)
            self._write(data)
            return self._person(TEACHER_ID, data["people"][TEACHER_ID]), token

    def account(self, email: str, name: str, role: str) -> Person:
        """A person signed in with a school account (``st.login``): the e-mail is the stable key (kept only as
        a digest, in the id); the name and role follow the account and the server's mode on every sign-in."""
        email = (email or "").strip().casefold()
        if not email:
            raise JoinError("The school account gave no e-mail address to know you by.")
        pid = f"a-{_digest(email)[:12]}"
        name = check_name(name or email.split("@")[0])
        with self._lock:
            data = self._read()
            record = data["people"].setdefault(pid, {"joined": time.time()})
            if record.get("name") != name or record.get("role") != role:
                record.update(name=name, role=role, last_seen=time.time())
                self._write(data)
            return self._person(pid, record)

    def teacher_key_is(self, expected: str) -> bool:
        """Whether the teacher's browsers signed in with ``expected``, the key the server runs with now (a
        teacher's browser from a lesson with another key is no longer the teacher)."""
        with self._lock:
            record = self._read()["people"].get(TEACHER_ID) or {}
        return bool(expected) and record.get("key") == _digest(expected)

    def code_is(self, pupil_id: str, code: str | None) -> bool:
        """Whether ``code`` is the pupil's personal code now (a code kept in a browser may have been reset)."""
        with self._lock:
            record = self._read()["people"].get(pupil_id) or {}
        given = (code or "").strip().upper()
        return bool(given) and secrets.compare_digest(record.get("code", ""), _digest(given))

    def seen(self, person: Person) -> None:
        """Note that ``person`` is active now (at most once a minute, to spare the disk)."""
        with self._lock:
            data = self._read()
            record = data["people"].get(person.id)
            if record is not None and time.time() - record.get("last_seen", 0) > 60:
                record["last_seen"] = time.time()
                self._write(data)

    @staticmethod
    def _find_name(data: dict, name: str) -> str | None:
        folded = name.casefold()
        for pid, record in data["people"].items():
            if record.get("role") == "pupil" and (record.get("name") or "").casefold() == folded:
                return pid
        return None

    # -- the teacher's view
    def members(self) -> list[Member]:
        """Every pupil, by name."""
        with self._lock:
            people = self._read()["people"]
        found = [
            Member(self._person(pid, r), r.get("joined", 0.0), r.get("last_seen", r.get("joined", 0.0)))
            for pid, r in people.items()
            if r.get("role") == "pupil"
        ]
        return sorted(found, key=lambda m: m.person.name.casefold())

    def name_of(self, owner: str | None) -> str:
        """A display name for an owner id: the pupil's name, "Teacher", or "this machine"."""
        from mnistlab.people.person import owner_of

        pid = owner_of(owner)
        with self._lock:
            record = self._read()["people"].get(pid)
        if record is None:
            return "this machine" if pid == "machine" else "a former pupil"
        return record.get("name") or pid if record.get("role") != "local" else "this machine"

    def reset_code(self, actor: Person, pupil_id: str) -> str:
        """A new personal code for a pupil (teacher only); the pupil's other devices are signed out."""
        if not actor.is_teacher:
            raise NotAllowed("Only the teacher can give a pupil a new code.")
        with self._lock:
            data = self._read()
            record = data["people"].get(pupil_id)
            if record is None or record.get("role") != "pupil":
                raise JoinError(f"No pupil with id {pupil_id!r}.")
            code = new_code()
            record["code"] = _digest(code)
            record["tokens"] = []
            self._write(data)
            return code

    def clear_pupils(self, actor: Person) -> int:
        """Remove every pupil (the next class starts with an empty board); their runs stay. Teacher only."""
        if not actor.is_teacher:
            raise NotAllowed("Only the teacher can clear the class.")
        with self._lock:
            data = self._read()
            pupils = [pid for pid, r in data["people"].items() if r.get("role") == "pupil"]
            for pid in pupils:
                del data["people"][pid]
            self._write(data)
            return len(pupils)
