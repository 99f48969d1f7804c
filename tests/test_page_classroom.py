"""The class in the app (AppTest): the join form before any page, the teacher's Class page, switched-off pages,
the Leaderboard, and a browser recognised again by its cookie."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from mnistlab.app import identity
from mnistlab.people.classroom import Challenge, ClassBook
from mnistlab.people.roster import Roster

ROOT = Path(__file__).resolve().parents[1]
CLASS = str(ROOT / "pages" / "class_room.py")
BOARD = str(ROOT / "pages" / "leaderboard.py")
KEY = "teach-me-1"


def a_page(page: str = "train") -> None:
    """What app.py does before any page: the gate, then the page."""
    import streamlit as st

    from mnistlab.app.identity import page_gate

    person = page_gate(page)
    st.markdown(f"The {page} page for {person.name}")


@pytest.fixture
def lesson(artifacts, monkeypatch):
    """Class mode: a teacher key, no class code, an empty artifacts folder."""
    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", KEY)
    monkeypatch.delenv("MNISTLAB_CLASS_CODE", raising=False)
    return artifacts


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def _join(at, name: str) -> AppTest:
    at.text_input(key="join_name").input(name)
    next(b for b in at.button if b.label == "Join").click()
    return at.run()


def test_a_pupil_joins_by_name_before_seeing_any_page(lesson):
    at = AppTest.from_function(a_page, default_timeout=30).run()
    assert not at.exception
    assert "Your name" in [t.label for t in at.text_input]
    assert "Join" in [b.label for b in at.button]
    assert "The train page" not in _texts(at)  # the form instead of the page
    _join(at, "Ada")
    assert not at.exception
    assert "The train page for Ada" in _texts(at)
    welcome = next(s.value for s in at.success if "personal code" in s.value)
    code = welcome.split("**")[3]
    roster = Roster(lesson / "people")
    assert roster.rejoin("ada", code)[0].name == "Ada"  # the code shown is the one that works
    assert any("You: Ada" in p.proto.popover.label for p in at.get("popover"))

    other = AppTest.from_function(a_page, default_timeout=30).run()
    _join(other, "ada")
    assert "already called 'ada'" in _texts(other)
    assert "The train page" not in _texts(other)


def test_the_class_code_is_asked_when_set(lesson, monkeypatch):
    monkeypatch.setenv("MNISTLAB_CLASS_CODE", "4B")
    at = AppTest.from_function(a_page, default_timeout=30).run()
    at.text_input(key="join_class_code").input("5C")
    _join(at, "Ada")
    assert "class code is not right" in _texts(at)
    at.text_input(key="join_class_code").input("4b")
    _join(at, "Ada")
    assert "The train page for Ada" in _texts(at)


def test_a_second_device_gets_back_in_with_name_and_code(lesson):
    _, _, code = Roster(lesson / "people").join("Ada")
    at = AppTest.from_function(a_page, default_timeout=30).run()
    at.text_input(key="rejoin_name").input("Ada")
    at.text_input(key="rejoin_code").input("WRONG2")
    next(b for b in at.button if b.label == "Get back in").click()
    at.run()
    assert "do not match" in _texts(at)
    at.text_input(key="rejoin_code").input(code.lower())
    next(b for b in at.button if b.label == "Get back in").click()
    at.run()
    assert "The train page for Ada" in _texts(at)


def test_the_same_cookie_is_the_same_person_in_a_new_session(lesson, monkeypatch):
    first = AppTest.from_function(a_page, default_timeout=30).run()
    _join(first, "Ada")
    token = first.session_state[identity.TOKEN]
    monkeypatch.setattr(identity, "_raw_cookies", lambda: {identity.COOKIE: token})
    reloaded = AppTest.from_function(a_page, default_timeout=30).run()  # a reload: a new session, the cookie
    assert "The train page for Ada" in _texts(reloaded)
    assert not [t for t in reloaded.text_input if t.label == "Your name"]


def test_outside_class_mode_nobody_is_asked_and_each_browser_is_local(artifacts, monkeypatch):
    monkeypatch.delenv("MNISTLAB_TEACHER_KEY", raising=False)
    at = AppTest.from_function(a_page, default_timeout=30).run()
    assert "The train page for you" in _texts(at)
    assert not at.text_input and not at.get("popover")
    members = Roster(artifacts / "people")._read()["people"]
    assert [r["role"] for r in members.values()] == ["local"]


def test_pupils_get_a_refusal_on_the_class_page(lesson):
    at = AppTest.from_file(CLASS, default_timeout=30).run()
    _join(at, "Ada")
    assert "Only the teacher can open the Class page" in _texts(at)
    assert not [b for b in at.button if b.label == "Save limits"]


def test_the_teacher_sees_the_pupils_and_changes_the_limits(lesson):
    roster = Roster(lesson / "people")
    roster.join("Ada")
    roster.join("Bob")
    wrong = AppTest.from_file(CLASS, default_timeout=60)
    wrong.query_params["teacher"] = "guess"
    wrong.run()
    assert "Your name" in [t.label for t in wrong.text_input]  # a wrong key is no way in

    at = AppTest.from_file(CLASS, default_timeout=60)
    at.query_params["teacher"] = KEY
    at.run()
    assert not at.exception, at.exception
    pupils = at.dataframe[0].value
    assert list(pupils["Pupil"]) == ["Ada", "Bob"]
    at.number_input(key="class_epochs").set_value(4)
    at.multiselect(key="class_pages_on").unselect("sweep")
    next(b for b in at.button if b.label == "Save limits").click()
    at.run()
    assert not at.exception, at.exception
    settings = ClassBook(lesson / "people").settings()
    assert settings.max_epochs == 4 and settings.pages_off == ("sweep",)
    assert "Class limits saved" in _texts(at)

    at.selectbox(key="class_code_pupil").set_value(roster.members()[0].person.id)
    next(b for b in at.button if b.label == "Give a new code").click()
    at.run()
    code = next(s.value for s in at.success if "New personal code" in s.value).split("**")[1]
    assert roster.rejoin("Ada", code)[0].name == "Ada"

    at.toggle(key="challenge_reveal").set_value(True)
    next(b for b in at.button if b.label == "Save challenge").click()
    at.run()
    assert ClassBook(lesson / "people").settings().challenge.revealed

    at.checkbox(key="class_clear_confirm").check()
    at.run()
    next(b for b in at.button if b.label == "Clear the board").click()
    at.run()
    assert roster.members() == [] and "Cleared 2 pupil(s)" in _texts(at)


def test_a_switched_off_page_tells_pupils_so(lesson):
    teacher, _ = Roster(lesson / "people").teacher(KEY, KEY)
    ClassBook(lesson / "people").change(teacher, pages_off=("draw",))
    at = AppTest.from_function(a_page, args=("draw",), default_timeout=30).run()
    _join(at, "Ada")
    assert "Your teacher has switched this page off" in _texts(at)
    assert "The draw page" not in _texts(at)
    train = AppTest.from_function(a_page, args=("train",), default_timeout=30)
    train.session_state[identity.TOKEN] = at.session_state[identity.TOKEN]
    assert "The train page for Ada" in _texts(train.run())


def _owned(runs, owner):
    """Store runs owned by ``owner`` (``Run.owner``)."""
    return [
        SimpleNamespace(**{**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)}, "owner": owner})
        for r in runs
    ]


def test_the_leaderboard_ranks_pupils_and_hides_the_hidden_half(trained_artifacts, monkeypatch):
    from mnistlab.app import leaderboard_view
    from mnistlab.runs.store import RunStore

    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", KEY)
    people = Roster(trained_artifacts / "people")
    ada, token, _ = people.join("Ada <b>")
    teacher, _ = people.teacher(KEY, KEY)
    book = ClassBook(trained_artifacts / "people")
    book.change(teacher, challenge=Challenge(title="Up to 300k", max_params=300_000, max_epochs=3))
    runs = RunStore(trained_artifacts / "runs").list_runs()
    monkeypatch.setattr(leaderboard_view, "list_runs_safely", lambda store: _owned(runs, ada.id))

    at = AppTest.from_file(BOARD, default_timeout=120)
    at.session_state[identity.TOKEN] = token
    at.run()
    assert not at.exception, at.exception
    board = "\n".join(h.proto.body for h in at.get("html"))
    assert "Up to 300k" in _texts(at)
    assert "Ada &lt;b&gt;" in board and "<td>1</td>" in board  # one row: Ada's best run, name escaped
    assert "<td>hidden</td>" in board
    assert sum(run.name in board for run in runs) == 1
    assert "handwriting" not in board  # no class drawings yet: no such column

    from mnistlab.data import load_mnist, to_float
    from mnistlab.handwriting import HandwritingStore

    mnist = load_mnist()
    sets = HandwritingStore(trained_artifacts / "handwriting")
    sets.create("our-class")
    for i in range(5):
        sets.add("our-class", mnist.x_test[i], int(mnist.y_test[i]), to_float(mnist.x_test[i]))
    revealed = Challenge(title="Up to 300k", max_params=300_000, max_epochs=3, revealed=True)
    book.change(teacher, challenge=revealed)
    at.run()
    board = "\n".join(h.proto.body for h in at.get("html"))
    assert "<td>hidden</td>" not in board and board.count("%</td>") >= 3  # public, hidden, handwriting
    assert "Reads our class&#x27;s handwriting" in board


def test_train_applies_the_class_limits_to_a_pupil(lesson, monkeypatch):
    """Before the runner enforces them itself, the Train page hands the class's limits to the runner."""
    import time

    import mnistlab.app.state
    from mnistlab.runs import jobs
    from mnistlab.runs.store import RunStore

    def work(job, context):
        while not context.should_stop():
            time.sleep(0.02)
        return "stopped"

    people = Roster(lesson / "people")
    teacher, _ = people.teacher(KEY, KEY)
    ClassBook(lesson / "people").change(teacher, jobs_per_pupil=1, max_epochs=3)
    ada, token, _ = people.join("Ada")
    runner = jobs.JobRunner(RunStore(lesson / "runs"), workers=1, work=work)
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=60)
        at.session_state[identity.TOKEN] = token
        at.run()
        at.number_input(key="train_epochs").set_value(5)
        at.button(key="train_start").click().run()
        assert any("at most 3 epochs" in e.value for e in at.error)
        assert runner.jobs() == []
        at.number_input(key="train_epochs").set_value(2)
        at.button(key="train_start").click().run()
        [job] = runner.jobs()
        assert job.owner == ada.id and job.config.epochs == 2
        at.text_input(key="train_name").input("second").run()
        at.button(key="train_start").click().run()
        assert any("already have 1" in e.value for e in at.error)  # the teacher's cap, not the default 3
        assert len(runner.jobs()) == 1
    finally:
        runner.shutdown(wait=True, timeout=10)


def test_the_teacher_stops_and_cancels_a_pupils_jobs(lesson, monkeypatch):
    import time

    import mnistlab.app.state
    from mnistlab.runs import jobs
    from mnistlab.runs.store import RunStore
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    def work(job, context):
        while not context.should_stop():
            time.sleep(0.02)
        return "stopped"

    people = Roster(lesson / "people")
    ada, _, _ = people.join("Ada")
    runner = jobs.JobRunner(RunStore(lesson / "runs"), workers=1, work=work)
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        running = runner.submit(PRESETS["baseline"], TrainConfig(epochs=1), name="first", owner=ada.id)
        waiting = runner.submit(PRESETS["baseline"], TrainConfig(epochs=1), name="second", owner=ada.id)
        deadline = time.monotonic() + 10
        while runner.get(running.id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        at = AppTest.from_file(CLASS, default_timeout=60)
        at.query_params["teacher"] = KEY
        at.run()
        assert "**first** · Ada · running" in _texts(at) and "**second** · Ada · queued" in _texts(at)
        at.button(key=f"class_cancel_{waiting.id}").click().run()
        assert runner.get(waiting.id).status == "stopped"  # it never trained
        at.button(key=f"class_stop_{running.id}").click().run()
        assert runner.wait(running.id, timeout=10).status == "stopped"
        assert not at.error
    finally:
        runner.shutdown(wait=True, timeout=10)


def test_not_you_signs_this_browser_out_even_with_the_old_cookie(lesson, monkeypatch):
    at = AppTest.from_function(a_page, default_timeout=30).run()
    _join(at, "Ada")
    token = at.session_state[identity.TOKEN]
    monkeypatch.setattr(identity, "_raw_cookies", lambda: {identity.COOKIE: token})
    at.button(key="mnistlab_sign_out").click().run()
    assert "Your name" in [t.label for t in at.text_input]  # the next pupil joins
    assert any("Max-Age=0" in h.proto.body for h in at.get("html"))  # and the cookie is forgotten
    _join(at, "Bob")
    assert "The train page for Bob" in _texts(at)


def test_with_school_accounts_the_account_is_the_person(lesson, monkeypatch):
    monkeypatch.setattr(identity, "auth_configured", lambda: True)
    at = AppTest.from_function(a_page, default_timeout=30)
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Log in with your school account"]
    assert not at.text_input  # no name to type: the account says who
    at = AppTest.from_function(a_page, default_timeout=30)
    at.user = {"is_logged_in": True, "email": "grace@school.example", "name": "Grace Hopper"}
    at.run()
    assert "The train page for Grace Hopper" in _texts(at)
    assert [m.person.name for m in Roster(lesson / "people").members()] == ["Grace Hopper"]
