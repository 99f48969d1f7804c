"""People, the roster, class settings and the leaderboard: plain Python, no Streamlit, no TensorFlow."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from mnistlab.people import MACHINE, NotAllowed, Person, check_may_change, owner_of
from mnistlab.people.classroom import Challenge, ClassBook, ClassSettings, check_class_code, class_mode
from mnistlab.people.leaderboard import hidden_mask, leaderboard, split_scores
from mnistlab.people.roster import JoinError, Roster

ADA = Person("p-ada", "Ada", "pupil")
BOB = Person("p-bob", "Bob", "pupil")
TEACHER = Person("teacher", "Teacher", "teacher")


def test_pupils_change_only_their_own_things():
    assert ADA.may_change("p-ada")
    assert not ADA.may_change("p-bob")
    assert not ADA.may_change(None)  # this machine's runs: usable, not changeable, by a pupil
    assert TEACHER.may_change("p-ada") and TEACHER.may_change(None)
    assert MACHINE.may_change("p-ada")  # the command line on the server
    with pytest.raises(NotAllowed, match="belongs to Bob"):
        check_may_change(ADA, "p-bob", "delete the run 'x'", owner_name="Bob")
    check_may_change(None, "p-bob", "anything")  # the process itself


def test_legacy_owners_mean_this_machine():
    for legacy in (None, "", "local", "cli", "study", "s-1a2b3c4d", "machine"):
        assert owner_of(legacy) == "machine"
    assert owner_of("p-ada") == "p-ada"
    assert MACHINE.owns("study") and not ADA.owns("study")
    local = Person("v-1", "you", "local")
    assert local.counts_as_mine("p-ada") and not ADA.counts_as_mine("p-bob")


def test_join_is_unique_by_name_and_survives_a_new_roster(tmp_path):
    roster = Roster(tmp_path)
    ada, token, code = roster.join("  Ada  Lovelace ")
    assert ada.name == "Ada Lovelace" and ada.is_pupil
    with pytest.raises(JoinError, match="already called"):
        roster.join("ada lovelace")
    again = Roster(tmp_path)  # a server restart
    assert again.by_token(token) == ada
    assert token not in (tmp_path / "people.json").read_text()  # only digests are kept
    ada2, token2 = again.rejoin("ADA LOVELACE", code.lower())
    assert ada2 == ada and token2 != token
    assert again.by_token(token) == ada  # the first device stays signed in
    with pytest.raises(JoinError, match="do not match"):
        again.rejoin("Ada Lovelace", "WRONG1")


@pytest.mark.parametrize("bad", ["", "   ", "x" * 41, "a\nb", 7])
def test_bad_names_get_a_clear_message_and_write_nothing(tmp_path, bad):
    roster = Roster(tmp_path)
    with pytest.raises(JoinError):
        roster.join(bad)
    assert not (tmp_path / "people.json").exists()


def test_teacher_key_reset_code_and_clear(tmp_path):
    roster = Roster(tmp_path)
    with pytest.raises(JoinError):
        roster.teacher("guess", "s3cret")
    with pytest.raises(JoinError):
        roster.teacher("", "")  # no class mode, no teacher
    teacher, _ = roster.teacher("s3cret", "s3cret")
    ada, token, _ = roster.join("Ada")
    bob, _, _ = roster.join("Bob")
    with pytest.raises(NotAllowed):
        roster.reset_code(bob, ada.id)
    code = roster.reset_code(teacher, ada.id)
    assert roster.by_token(token) is None  # signed out everywhere
    assert roster.rejoin("Ada", code)[0] == ada
    assert [m.person.name for m in roster.members()] == ["Ada", "Bob"]
    assert roster.name_of(ada.id) == "Ada" and roster.name_of(None) == "this machine"
    with pytest.raises(NotAllowed):
        roster.clear_pupils(ada)
    assert roster.clear_pupils(teacher) == 2
    assert roster.members() == [] and roster.name_of(ada.id) == "a former pupil"


def test_a_damaged_roster_does_not_lock_people_out(tmp_path):
    (tmp_path / "people.json").write_text("{not json")
    roster = Roster(tmp_path)
    person, token = roster.new_visitor()
    assert person.role == "local" and roster.by_token(token) == person


def test_class_mode_and_code(monkeypatch):
    monkeypatch.delenv("MNISTLAB_TEACHER_KEY", raising=False)
    monkeypatch.delenv("MNISTLAB_CLASS_CODE", raising=False)
    assert not class_mode()
    check_class_code("anything")  # no code set: nothing asked
    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", "k")
    monkeypatch.setenv("MNISTLAB_CLASS_CODE", "4B")
    assert class_mode()
    check_class_code(" 4b ")
    with pytest.raises(NotAllowed, match="class code"):
        check_class_code("5C")


def test_class_limits_apply_to_pupils_only(tmp_path):
    book = ClassBook(tmp_path)
    with pytest.raises(NotAllowed):
        book.change(ADA, max_epochs=1)
    with pytest.raises(ValueError):
        book.change(TEACHER, max_epochs=0)
    assert not (tmp_path / "class.json").exists()
    settings = book.change(TEACHER, max_epochs=3, max_train_digits=6000, pages_off=("sweep",))
    assert ClassBook(tmp_path).settings() == settings
    with pytest.raises(NotAllowed, match="at most 3 epochs"):
        settings.check_job(ADA, epochs=5, train_digits=1000)
    with pytest.raises(NotAllowed, match="6,000"):
        settings.check_job(ADA, epochs=2, train_digits=None)
    settings.check_job(TEACHER, epochs=50, train_digits=None)
    assert not settings.page_on("sweep", ADA) and settings.page_on("sweep", TEACHER)
    assert settings.job_cap(ADA, 3) == 2 and settings.job_cap(TEACHER, 3) == 3


def test_damaged_class_file_gives_defaults(tmp_path):
    (tmp_path / "class.json").write_text(json.dumps({"max_epochs": "many"}))
    assert ClassBook(tmp_path).settings() == ClassSettings()


def test_hidden_half_is_fixed_and_scores_split():
    mask = hidden_mask(10_000)
    assert mask.sum() == 5_000 and np.array_equal(mask, hidden_mask(10_000))
    labels = np.arange(10_000) % 10
    predicted = labels.copy()
    predicted[mask] = (predicted[mask] + 1) % 10  # every hidden digit wrong
    public, hidden = split_scores(predicted, labels)
    assert public == 1.0 and hidden == 0.0


def _run(rid, owner, params, epochs, created, status="completed"):
    return SimpleNamespace(
        id=rid,
        name=rid,
        owner=owner,
        params=params,
        config={"epochs": epochs},
        created=created,
        status=status,
    )


def test_leaderboard_takes_each_pupils_best_qualifying_run():
    challenge = Challenge(max_params=50_000, max_epochs=3)
    runs = [
        _run("a1", "p-ada", 40_000, 3, 1),
        _run("a2", "p-ada", 45_000, 3, 2),
        _run("a3", "p-ada", 90_000, 3, 3),  # too big: never counts, however good
        _run("b1", "p-bob", 30_000, 2, 4),
        _run("b2", "p-bob", 30_000, 5, 5),  # too many epochs
        _run("m1", None, 10_000, 1, 6),  # this machine's: not in the class
    ]
    scores = {
        "a1": (0.95, 0.94),
        "a2": (0.96, 0.93),
        "a3": (0.99, 0.99),
        "b1": (0.97, 0.96),
        "b2": (0.99, 0.99),
    }
    names = {"p-ada": "Ada", "p-bob": "Bob"}
    rows = leaderboard(runs, challenge, scores.get, names.get, people={"p-ada", "p-bob"})
    assert [(r.rank, r.name, r.run_id, r.hidden) for r in rows] == [
        (1, "Bob", "b1", None),
        (2, "Ada", "a2", None),
    ]
    revealed = leaderboard(runs, Challenge(revealed=True), scores.get, names.get, people={"p-ada", "p-bob"})
    assert [r.hidden for r in revealed] == [0.96, 0.93]


def test_pupils_never_see_the_hidden_digits_as_pictures():
    from mnistlab.people.leaderboard import shown_to

    mistakes = [SimpleNamespace(index=i) for i in range(10_000)]
    shown = shown_to(ADA, mistakes, class_on=True)
    assert len(shown) == 5_000 and not any(hidden_mask(10_000)[m.index] for m in shown)
    assert len(shown_to(TEACHER, mistakes, class_on=True)) == 10_000
    assert len(shown_to(ADA, mistakes, class_on=False)) == 10_000
