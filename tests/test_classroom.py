"""The class without a browser: who a browser is (token, cookie, school account), the acting adapters, the
pickers' "mine / the class", and the leaderboard's scores."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from mnistlab.app.identity import COOKIE, TOKEN, cookie_script, person_for, person_from_user
from mnistlab.people import NotAllowed, Person, acting
from mnistlab.people.roster import JoinError, Roster

ADA = Person("p-ada", "Ada", "pupil")
BOB = Person("p-bob", "Bob", "pupil")
TEACHER = Person("teacher", "Teacher", "teacher")


# --------------------------------------------------------------------------------------------- identity


def test_a_browser_keeps_its_identity_through_the_cookie_and_a_restart(tmp_path):
    roster = Roster(tmp_path)
    first_tab: dict = {}
    visitor = person_for({}, first_tab, roster, class_on=False)
    assert visitor.role == "local" and first_tab[TOKEN]
    assert person_for({}, first_tab, roster, class_on=False) == visitor  # a rerun: the session's token
    reloaded: dict = {}  # a reload or a new tab: a new session, the cookie written by the first
    assert person_for({COOKIE: first_tab[TOKEN]}, reloaded, Roster(tmp_path), class_on=False) == visitor
    other_browser: dict = {}
    assert person_for({}, other_browser, roster, class_on=False).id != visitor.id
    assert person_for({COOKIE: "forged"}, {}, roster, class_on=False).id not in (visitor.id, None)


def test_in_class_mode_an_unknown_browser_must_join_and_a_joined_one_is_recognised(tmp_path):
    roster = Roster(tmp_path)
    _visitor, old_token = roster.new_visitor()
    assert person_for({}, {}, roster, class_on=True) is None
    assert person_for({COOKIE: old_token}, {}, roster, class_on=True) is None  # a visitor joins by name too
    ada, token, _code = roster.join("Ada")
    session: dict = {}
    assert person_for({COOKIE: token}, session, roster, class_on=True) == ada
    assert session[TOKEN] == token
    # after the lesson (no teacher key) Ada's browser is a one-user machine's again, with the same id
    after = person_for({COOKIE: token}, {}, roster, class_on=False)
    assert after.id == ada.id and after.role == "local"


def test_a_reset_code_signs_the_old_token_out(tmp_path):
    roster = Roster(tmp_path)
    ada, token, code = roster.join("Ada")
    teacher, _ = roster.teacher("k", "k")
    assert roster.code_is(ada.id, code.lower()) and not roster.code_is(ada.id, "")
    new = roster.reset_code(teacher, ada.id)
    assert person_for({COOKIE: token}, {TOKEN: token}, roster, class_on=True, key="k") is None
    assert not roster.code_is(ada.id, code) and roster.code_is(ada.id, new)  # a kept old code is not shown


def test_a_teacher_browser_from_a_lesson_with_another_key_is_not_the_teacher(tmp_path):
    roster = Roster(tmp_path)
    teacher, token = roster.teacher("monday-key", "monday-key")
    assert person_for({COOKIE: token}, {}, roster, class_on=True, key="monday-key") == teacher
    assert person_for({COOKIE: token}, {}, roster, class_on=True, key="tuesday-key") is None
    _, new_token = roster.teacher("tuesday-key", "tuesday-key")
    assert person_for({COOKIE: new_token}, {}, roster, class_on=True, key="tuesday-key") == teacher
    assert roster.by_token(token) is None  # Monday's browser is signed out for good


def test_a_school_account_maps_to_a_stable_person(tmp_path):
    roster = Roster(tmp_path)
    assert person_from_user({"is_logged_in": False}, roster, class_on=True) is None
    user = {"is_logged_in": True, "email": "Ada@School.example", "name": "Ada Lovelace"}
    ada = person_from_user(user, roster, class_on=True)
    assert ada.name == "Ada Lovelace" and ada.is_pupil and ada.id.startswith("a-")
    again = person_from_user({**user, "email": "ada@school.example "}, Roster(tmp_path), class_on=True)
    assert again == ada  # the e-mail is the key, whatever its case
    assert "ada@school" not in (tmp_path / "people.json").read_text()  # only a digest in the id
    assert [m.person for m in roster.members()] == [ada]
    assert person_from_user(user, roster, class_on=False).role == "local"
    no_name = person_from_user({"is_logged_in": True, "email": "bob@school.example"}, roster, class_on=True)
    assert no_name.name == "bob"
    with pytest.raises(JoinError):
        roster.account("", "x", "pupil")


def test_visitors_unseen_for_months_are_forgotten_pupils_are_not(tmp_path, monkeypatch):
    import time

    from mnistlab.people import roster as roster_module

    roster = Roster(tmp_path)
    _old, old_token = roster.new_visitor()
    ada, ada_token, _ = roster.join("Ada")
    later = time.time() + 91 * 86400
    monkeypatch.setattr(roster_module.time, "time", lambda: later)
    roster.new_visitor()
    assert roster.by_token(old_token) is None and roster.by_token(ada_token) == ada
    assert len(roster._read()["people"]) == 2


def test_the_cookie_is_long_lived_lax_and_site_wide():
    script = cookie_script("tok-EN_1", "ABC234")
    assert "mnistlab_id=tok-EN_1" in script and "mnistlab_code=ABC234" in script
    assert script.count("SameSite=Lax") == 2 and "Path=/" in script and "Max-Age=34560000" in script
    assert "mnistlab_code" not in cookie_script("t")


def test_many_joins_at_once_keep_names_unique(tmp_path):
    roster = Roster(tmp_path)
    results, errors = [], []

    def join():
        try:
            results.append(roster.join("Sam"))
        except JoinError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=join) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and len(errors) == 7
    assert [m.person.name for m in roster.members()] == ["Sam"]


# -------------------------------------------------------------------------------------------- acting


def test_actions_pass_the_person_to_the_runner_and_the_store(store, make_runner, wait_until):
    """The acting functions are the pages' one call per action: the runner and the store do the refusing."""
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    release = threading.Event()

    def work(job, context):
        release.wait(20)
        return None

    runner = make_runner(work, workers=1)
    try:
        running = acting.submit_job(runner, PRESETS["baseline"], TrainConfig(epochs=1), ADA, name="ada 1")
        queued = acting.submit_job(runner, PRESETS["baseline"], TrainConfig(epochs=1), BOB, name="bob 1")
        assert running.owner == "p-ada" and queued.owner == "p-bob"
        wait_until(lambda: runner.get(running.id).status == "running")
        assert acting.queue_place(runner, queued.id)[0] == 1
        with pytest.raises(NotAllowed):
            acting.stop_job(runner, running.id, BOB)
        with pytest.raises(NotAllowed):
            acting.cancel_job(runner, queued.id, ADA)
        assert runner.get(queued.id).status == "queued" and not runner.get(running.id).stop_requested
        assert acting.cancel_job(runner, queued.id, TEACHER)
        assert acting.stop_job(runner, running.id, ADA)
    finally:
        release.set()

    run_id = store.create(PRESETS["baseline"], TrainConfig(epochs=1).to_dict(), name="Bob's", owner="p-bob")
    store.finish(run_id, "completed")
    run = store.load(run_id)
    with pytest.raises(NotAllowed, match="rename"):
        acting.rename_run(store, run, "mine now", ADA)
    with pytest.raises(NotAllowed, match="delete"):
        acting.delete_run(store, run, ADA)
    assert store.load(run_id).name == "Bob's"
    acting.rename_run(store, run, "ok", BOB)
    assert store.load(run_id).name == "ok"
    acting.delete_run(store, run, TEACHER)
    assert run_id not in [r.id for r in store.list_runs()]


def test_pickers_show_mine_with_a_switch_for_the_class():
    runs = [
        SimpleNamespace(id="a", owner="p-ada"),
        SimpleNamespace(id="b", owner="p-bob"),
        SimpleNamespace(id="m"),  # no owner field yet: this machine's
    ]
    ids = lambda found: [r.id for r in found[0]]  # noqa: E731
    assert ids(acting.runs_in_scope(runs, ADA, whole_class=False)) == ["a"]
    assert ids(acting.runs_in_scope(runs, ADA, whole_class=True)) == ["a", "b", "m"]
    assert ids(acting.runs_in_scope(runs, ADA, whole_class=False, keep="b")) == ["a", "b"]  # a shared link
    assert acting.runs_in_scope(runs, Person("p-new", "New", "pupil"), False) == (runs, True)
    local = Person("v-1", "you", "local")
    assert ids(acting.runs_in_scope(runs, local, whole_class=False)) == ["a", "b", "m"]


# ------------------------------------------------------------------------------------------- scoring


def test_scores_from_saved_metrics_match_the_numpy_model_and_are_cached(trained_store, tmp_path, mnist):
    from mnistlab.people.leaderboard import split_scores
    from mnistlab.people.scoring import Scorer, predictions_from_metrics, predictions_from_model

    store, ids = trained_store
    run_id = ids[0]
    labels = np.asarray(mnist.y_test, dtype=int)
    saved = predictions_from_metrics(store.metrics(run_id), labels)
    numpy = predictions_from_model(store.model_path(run_id), mnist.x_test)
    assert saved is not None and (saved == numpy).mean() > 0.998  # the same model, NumPy vs Keras
    public, hidden = split_scores(numpy, labels)
    assert 0.85 < public < 1 and 0.85 < hidden < 1

    scorer = Scorer(store, tmp_path / "scores")
    got = scorer.scores(run_id)
    assert got == split_scores(saved, labels)
    cached = json.loads((tmp_path / "scores" / f"{run_id}.json").read_text())
    assert (cached["public"], cached["hidden"]) == got
    assert Scorer(store, tmp_path / "scores").scores(run_id) == got  # read back, not recomputed
    assert scorer.scores("no-such-run") is None and scorer.scores("../etc") is None


def test_shortened_or_foreign_metrics_are_not_trusted():
    from mnistlab.people.scoring import predictions_from_metrics

    labels = np.array([1, 2, 3, 4])
    good = {"n": 4, "accuracy": 0.75, "mistakes": [[2, 3, 5, 0.9]]}
    assert predictions_from_metrics(good, labels).tolist() == [1, 2, 5, 4]
    assert predictions_from_metrics({**good, "accuracy": 0.5}, labels) is None  # a mistake left out
    assert predictions_from_metrics({**good, "mistakes": [[2, 7, 5, 0.9]]}, labels) is None  # other labels
    assert predictions_from_metrics({**good, "n": 3}, labels) is None


def test_the_class_handwriting_is_scored_when_the_set_has_drawings(trained_store, tmp_path, mnist):
    from mnistlab.data import to_float
    from mnistlab.handwriting import HandwritingStore
    from mnistlab.people.scoring import Scorer

    store, ids = trained_store
    scorer = Scorer(store, tmp_path / "scores")
    sets = HandwritingStore(tmp_path / "hw")
    assert scorer.handwriting(ids[0], sets, "our-class") is None  # no such set
    sets.create("our-class")
    assert scorer.handwriting(ids[0], sets, "our-class") is None  # no drawings yet
    for i in range(10):
        sets.add("our-class", mnist.x_test[i], int(mnist.y_test[i]), to_float(mnist.x_test[i]))
    accuracy = scorer.handwriting(ids[0], sets, "our-class")
    assert accuracy is not None and accuracy >= 0.8
