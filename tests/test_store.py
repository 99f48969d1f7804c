import json
import os
import time

import pytest

from mnistlab import files as files_mod
from mnistlab.files import StoreError, atomic_write_json
from mnistlab.runs import store as store_mod
from mnistlab.runs.run import check_run_id
from mnistlab.runs.store import RunNotFound
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig


def make_run(store, name="baseline", **fields):
    run_id = store.create(PRESETS["baseline"], TrainConfig().to_dict(), name=name, preset="baseline")
    if fields:
        store.finish(run_id, "completed", **fields)
    return run_id


def test_create_list_load_rename_delete(store):
    first = make_run(store, "first", test_accuracy=0.97)
    second = make_run(store, "second", test_accuracy=0.98)
    runs = store.list_runs()
    assert [r.id for r in runs] == [second, first]  # newest first
    run = store.load(first)
    assert run.spec == PRESETS["baseline"] and run.status == "completed" and run.test_accuracy == 0.97
    assert run.params == 101_770 and TrainConfig.from_dict(run.config) == TrainConfig()
    store.rename(first, "renamed")
    assert store.load(first).name == "renamed"
    store.delete(second)
    assert [r.id for r in store.list_runs()] == [first]
    with pytest.raises(RunNotFound):
        store.load(second)


def test_files_are_json_on_disk(store):
    run_id = make_run(store)
    folder = store.path(run_id)
    assert json.loads((folder / "spec.json").read_text())["layers"][0]["units"] == 128
    assert {p.name for p in folder.iterdir()} == {"run.json", "spec.json", "config.json", "history.json"}


@pytest.mark.parametrize("bad", ["../etc", "a/b", "..", "", "UPPER", "x" * 200, "a\x00b", "/abs", "run id"])
def test_run_ids_that_could_leave_the_store_are_refused(store, bad):
    with pytest.raises(StoreError):
        check_run_id(bad)
    with pytest.raises(StoreError):
        store.load(bad)
    with pytest.raises(StoreError):
        store.delete(bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "empty"),
        ("a/b", "'/'"),
        ("..", "'.'"),
        ("x\ty", "control"),
        ("n" * 81, "at most 80"),
        (5, "text"),
    ],
)
def test_bad_run_names_are_refused_and_change_nothing(store, bad, message):
    run_id = make_run(store, "keep me")
    with pytest.raises(StoreError, match=message):
        store.rename(run_id, bad)
    assert store.load(run_id).name == "keep me"
    with pytest.raises(StoreError, match=message):
        store.create(PRESETS["baseline"], {}, name=bad)
    assert len(store.list_runs()) == 1


def test_corrupt_runs_are_reported_and_skipped(store):
    good = make_run(store, "good")
    broken = make_run(store, "broken")
    (store.path(broken) / "spec.json").write_text("{not json")
    half = store.root / "20990101-000000-half-0000"
    half.mkdir()  # a folder without run.json (creation interrupted) is not a run
    os.utime(half, (time.time() - 60, time.time() - 60))  # older than a creation takes
    bad_spec = make_run(store, "bad spec")
    (store.path(bad_spec) / "spec.json").write_text(json.dumps({"name": "x", "layers": [{"kind": "warp"}]}))
    assert [r.id for r in store.list_runs()] == [good]
    problems = dict(store.problems())
    assert set(problems) == {broken, bad_spec, half.name}
    assert "damaged" in problems[broken]


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    atomic_write_json(path, {"v": 1})

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod.os, "replace", explode)
    with pytest.raises(OSError):
        atomic_write_json(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temp file left behind


def test_atomic_writes_keep_ordinary_permissions(tmp_path):
    atomic_write_json(tmp_path / "a.json", {})
    assert (tmp_path / "a.json").stat().st_mode & 0o044 == 0o044 & ~files_mod._UMASK


def test_full_disk_gives_a_clear_message(store, monkeypatch):
    run_id = make_run(store)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod, "atomic_write_json", full)
    with pytest.raises(StoreError, match="disk is full"):
        store.rename(run_id, "new name")
    assert store.load(run_id).name == "baseline"


def test_mark_interrupted_only_touches_dead_owners(store):
    alive = make_run(store, "mine")  # created by this (live) process
    dead = make_run(store, "dead")
    meta = json.loads((store.path(dead) / "run.json").read_text())
    meta["pid"] = 2**22 + 12345  # no such process
    (store.path(dead) / "run.json").write_text(json.dumps(meta))
    assert store.mark_interrupted() == [dead]
    assert store.load(dead).status == "interrupted" and "history" in store.load(dead).error
    assert store.load(alive).status == "running"


def test_model_of_run_without_model_is_a_clear_error(store):
    run_id = make_run(store)
    with pytest.raises(StoreError, match="no saved model"):
        store.model_path(run_id)


def test_a_run_whose_process_died_reads_as_interrupted_before_anyone_marks_it(store):
    run_id = make_run(store, "killed")
    meta = json.loads((store.path(run_id) / "run.json").read_text())
    meta["pid"] = 2**22 + 12345
    (store.path(run_id) / "run.json").write_text(json.dumps(meta))
    assert store.load(run_id).status == "interrupted"
    assert [r.id for r in store.list_runs(status="interrupted")] == [run_id]
    assert (
        json.loads((store.path(run_id) / "run.json").read_text())["status"] == "running"
    )  # reading wrote nothing
