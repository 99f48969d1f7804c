"""The roster under a class joining at once: every Streamlit session is a thread of one server process, and
each asks ``identity.roster()`` for a ``Roster`` of its own over the same folder. Found by
``benchmarks/classroom.py --pupils 5``: with a lock per ``Roster`` object, pupils joining together overwrote
each other's records in people.json, and the lost pupils found the join form again on their next click."""

from __future__ import annotations

import threading

from mnistlab.people.roster import Roster


def test_pupils_joining_at_once_through_separate_rosters_are_all_kept(tmp_path):
    pupils = 24
    start = threading.Barrier(pupils)
    tokens: dict[str, str] = {}
    errors: list[BaseException] = []

    def join(i: int) -> None:
        roster = Roster(tmp_path / "people")  # what each session's identity.roster() makes
        start.wait(timeout=30)
        try:
            person, token, _code = roster.join(f"Pupil {i:02d}")
            tokens[person.name] = token
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=join, args=(i,)) for i in range(pupils)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    roster = Roster(tmp_path / "people")
    assert sorted(m.person.name for m in roster.members()) == sorted(tokens) and len(tokens) == pupils
    for name, token in tokens.items():  # each browser's cookie still says who it is
        person = roster.by_token(token)
        assert person is not None and person.name == name
