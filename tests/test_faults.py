"""Crashes and broken disks: a killed training, a killed save, a full or read-only artifacts folder.

The kill tests run real subprocesses and SIGKILL them (no cleanup handler can run), then check with a fresh
store or job runner that what was on disk before the crash is intact and reported honestly.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mnistlab import cli
from mnistlab import files as files_mod
from mnistlab.files import StoreError
from mnistlab.runs import store as store_mod
from mnistlab.runs.job_records import INTERRUPTED_QUEUED, INTERRUPTED_RUNNING
from mnistlab.runs.jobs import JobRunner
from mnistlab.runs.store import RunStore
from mnistlab.specs import PRESETS

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = ("run.json", "spec.json", "config.json", "history.json")


def _env(artifacts: Path) -> dict:
    return {
        **os.environ,
        "MNISTLAB_ARTIFACTS": str(artifacts),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(ROOT),
    }


def _wait_for(check, timeout: float, proc: subprocess.Popen, what: str):
    """Poll ``check()`` until it returns something truthy; fail with the child's stderr if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"the child exited ({proc.returncode}) before {what}:\n{proc.stderr.read()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _epochs_on_disk(runs: Path) -> tuple[str, int] | None:
    """(run id, epochs in history.json) of the first run with at least one saved epoch."""
    for folder in sorted(runs.glob("*")) if runs.is_dir() else []:
        try:
            history = json.loads((folder / "history.json").read_text())
        except (OSError, ValueError):
            continue
        if len(history.get("loss", [])) >= 1:
            return folder.name, len(history["loss"])
    return None


def _all_json_intact(folder: Path) -> dict:
    return {name: json.loads((folder / name).read_text()) for name in RUN_FILES}


# ------------------------------------------------------------------------------------------ kill -9


@pytest.mark.slow
def test_kill_9_during_cli_training_leaves_an_interrupted_run_with_its_history(artifacts):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mnistlab",
            "train",
            "--preset",
            "baseline",
            "--epochs",
            "30",
            "--subset",
            "20000",
            "--batch-size",
            "256",
            "--name",
            "killed mid-run",
        ],
        cwd=ROOT,
        env=_env(artifacts),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id, _ = _wait_for(
            lambda: _epochs_on_disk(artifacts / "runs"), 180, proc, "the first epoch was saved"
        )
    finally:
        _kill(proc)
    folder = artifacts / "runs" / run_id
    files = _all_json_intact(folder)  # every file parses: no half-written JSON after the kill
    assert files["run.json"]["status"] == "running"  # nobody got the chance to say otherwise
    saved_epochs = len(files["history.json"]["loss"])
    assert 1 <= saved_epochs < 30
    assert files["config.json"]["epochs"] == 30 and files["spec.json"]["name"] == "baseline"
    assert not (folder / "model.keras").exists()
    print(f"\nkilled with {saved_epochs} of 30 epochs saved")  # shown with -s; docs/RELIABILITY.md quotes it

    store = RunStore(artifacts / "runs")
    assert store.mark_interrupted() == [run_id]
    run = store.load(run_id)
    assert run.status == "interrupted" and "history" in run.error
    assert run.name == "killed mid-run"
    assert len(run.history["loss"]) == saved_epochs
    assert [r.id for r in store.list_runs()] == [run_id] and store.problems() == []
    _all_json_intact(folder)
    assert store.mark_interrupted() == []  # idempotent


@pytest.mark.parametrize("argv", [["runs", "--json"], ["show", "{id}", "--json"]])
def test_the_cli_shows_a_run_whose_process_died_as_interrupted(store, capsys, argv):
    run_id = store.create(PRESETS["baseline"], {"epochs": 30}, name="killed earlier")
    meta = json.loads((store.path(run_id) / "run.json").read_text())
    meta["pid"] = 2**22 + 12345  # a process that no longer exists (as after kill -9)
    (store.path(run_id) / "run.json").write_text(json.dumps(meta))
    assert cli.main([a.replace("{id}", run_id) for a in argv]) == cli.EXIT_OK
    shown = json.loads(capsys.readouterr().out)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["status"] == "interrupted"


CHILD_RUNNER = textwrap.dedent("""
    import sys, threading, time
    from pathlib import Path
    from mnistlab.runs.jobs import JobRunner
    from mnistlab.specs import PRESETS
    from mnistlab.runs.store import RunStore
    from mnistlab.training import TrainConfig

    store = RunStore(Path(sys.argv[1]) / "runs")

    def work(job, context):  # a training that saves an epoch, then runs "forever"
        run_id = store.create(job.spec, job.config.to_dict(), name=job.name)
        context.set_run(run_id)
        store.save_history(run_id, {"loss": [0.5], "accuracy": [0.9]})
        store.update(run_id, epochs_done=1)
        (Path(sys.argv[1]) / "ready").write_text(run_id)
        time.sleep(600)

    runner = JobRunner(store, workers=1, work=work)
    for i in range(3):
        runner.submit(PRESETS["baseline"], TrainConfig(epochs=1, train_subset=1000), name=f"job {i}",
                      owner="pupil")
    threading.Event().wait()
""")


def test_kill_9_of_a_server_marks_its_running_and_queued_jobs_interrupted(artifacts):
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_RUNNER, str(artifacts)],
        cwd=ROOT,
        env=_env(artifacts),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = artifacts / "ready"
        run_id = _wait_for(lambda: ready.is_file() and ready.read_text(), 60, proc, "the first job started")
        _wait_for(lambda: len(list((artifacts / "jobs").glob("j-*.json"))) == 3, 30, proc, "3 job records")
        # wait until the record of the running job names its run (written right after set_run)
        _wait_for(
            lambda: any(
                json.loads(p.read_text()).get("run_id") == run_id
                for p in (artifacts / "jobs").glob("j-*.json")
            ),
            30,
            proc,
            "the run id recorded",
        )
    finally:
        _kill(proc)

    store = RunStore(artifacts / "runs")
    runner = JobRunner(store, workers=1, work=lambda job, ctx: "completed")
    try:
        jobs = runner.jobs(owner="pupil")
        assert len(jobs) == 3 and all(j.status == "interrupted" for j in jobs)
        running = [j for j in jobs if j.run_id == run_id]
        queued = [j for j in jobs if j.run_id is None]
        assert len(running) == 1 and len(queued) == 2
        assert running[0].error == INTERRUPTED_RUNNING
        assert all(j.error == INTERRUPTED_QUEUED for j in queued)
        assert runner.queue_length() == 0 and runner.running() == []  # nothing restarts by itself
        run = store.load(run_id)
        assert run.status == "interrupted" and run.history["loss"] == [0.5]
        for path in (artifacts / "jobs").glob("j-*.json"):  # records were rewritten, still whole JSON
            assert json.loads(path.read_text())["status"] == "interrupted"
        again = runner.resubmit(queued[0].id)
        assert runner.wait(again.id, timeout=10).status == "completed"
    finally:
        runner.shutdown()


# ------------------------------------------------------------------------------------ kill during a save

CHILD_SAVE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from mnistlab.runs import store as store_mod
    from mnistlab.runs.store import RunStore

    store = RunStore(Path(sys.argv[1]) / "runs")
    run_id = sys.argv[2]
    real_replace = os.replace

    def die_before_rename(src, dst):
        # the new content is complete in the temp file; the process dies before it takes the old one's place
        assert Path(src).read_bytes()
        os.kill(os.getpid(), signal.SIGKILL)

    store_mod.os.replace = die_before_rename
    if sys.argv[3] == "history":
        store.save_history(run_id, {"loss": [0.5, 0.4, 0.3], "accuracy": [0.8, 0.85, 0.9]})
    elif sys.argv[3] == "rename":
        store.rename(run_id, "new name")
    else:
        store.finish(run_id, "completed", test_accuracy=0.97)
    print("not reached")
""")


@pytest.mark.parametrize("what", ["history", "rename", "finish"])
def test_a_process_killed_inside_a_save_leaves_the_previous_files_intact(store, artifacts, what):
    run_id = store.create(PRESETS["baseline"], {"epochs": 3}, name="before the crash")
    store.save_history(run_id, {"loss": [0.5], "accuracy": [0.8]})
    folder = store.path(run_id)
    before = {name: (folder / name).read_bytes() for name in RUN_FILES}

    done = subprocess.run(
        [sys.executable, "-c", CHILD_SAVE, str(artifacts), run_id, what],
        check=False,
        cwd=ROOT,
        env=_env(artifacts),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "not reached" not in done.stdout

    assert {name: (folder / name).read_bytes() for name in RUN_FILES} == before
    leftovers = [p.name for p in folder.iterdir() if p.name not in RUN_FILES]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # the orphaned temp file, harmless:
    run = store.load(run_id)
    assert run.name == "before the crash" and run.history["loss"] == [0.5]
    assert [r.id for r in store.list_runs()] == [run_id] and store.problems() == []


def test_a_failed_model_save_keeps_the_previous_model_and_leaves_no_temp_file(store, monkeypatch):
    class FakeModel:
        def save(self, path):
            Path(path).write_bytes(b"new model")

    run_id = store.create(PRESETS["baseline"], {})
    model_file = store.path(run_id) / "model.keras"
    model_file.write_bytes(b"old model")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.os, "replace", disk_full)
    with pytest.raises(StoreError, match="disk is full"):
        store.save_model(run_id, FakeModel())
    assert model_file.read_bytes() == b"old model"
    assert sorted(p.name for p in store.path(run_id).iterdir()) == sorted((*RUN_FILES, "model.keras"))


# ------------------------------------------------------------------------- full disk, read-only folder

DISK_ERRORS = [
    (errno.ENOSPC, "No space left on device", "disk is full"),
    (errno.EROFS, "Read-only file system", "read-only"),
]


def _broken_disk(monkeypatch, code: int, text: str) -> None:
    def fail(*args, **kwargs):
        raise OSError(code, text)

    monkeypatch.setattr(files_mod.tempfile, "mkstemp", fail)  # the first step of every atomic write
    monkeypatch.setattr(store_mod.os, "replace", fail)  # renames (delete) and the last step of writes


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("code, text, message", DISK_ERRORS)
def test_store_api_reports_a_broken_disk_as_a_store_error(store, monkeypatch, code, text, message):
    run_id = store.create(PRESETS["baseline"], {}, name="kept")
    before = _snapshot(store.root)
    _broken_disk(monkeypatch, code, text)
    calls = [
        lambda: store.create(PRESETS["baseline"], {}),
        lambda: store.update(run_id, name="x"),
        lambda: store.rename(run_id, "x"),
        lambda: store.save_history(run_id, {"loss": [1.0]}),
        lambda: store.save_metrics(run_id, {"accuracy": 0.5}),
        lambda: store.finish(run_id, "completed"),
        lambda: store.delete(run_id),
    ]
    for call in calls:
        with pytest.raises(StoreError, match=message) as caught:
            call()
        assert "\n" not in str(caught.value) and "MNISTLAB_ARTIFACTS" in str(caught.value)
    assert _snapshot(store.root) == before
    assert [r.name for r in store.list_runs()] == ["kept"]


@pytest.mark.parametrize("code, text, message", DISK_ERRORS)
@pytest.mark.parametrize(
    "argv",
    [
        ["rename", "{id}", "new name"],
        ["delete", "{id}", "--yes"],
        ["train", "--preset", "baseline", "--epochs", "1", "--subset", "1000"],
    ],
)
def test_cli_reports_a_broken_disk_in_one_line_with_exit_code_2(
    store, monkeypatch, capsys, argv, code, text, message
):
    run_id = store.create(PRESETS["baseline"], {}, name="kept")
    before = _snapshot(store.root)
    _broken_disk(monkeypatch, code, text)
    import mnistlab.runs.executors
    import mnistlab.runs.task

    def no_training(*args, **kwargs):  # train_run must fail at store.create, before any training
        raise AssertionError("training started on a broken disk")

    class NoWorkers:  # the CLI's executor: no worker process starts, and nothing may reach it
        workers = 1
        run = staticmethod(no_training)

        def shutdown(self):
            pass

    monkeypatch.setattr(mnistlab.runs.task, "train", no_training)
    monkeypatch.setattr(mnistlab.runs.executors, "make_executor", lambda workers=None: NoWorkers())
    assert cli.main([a.replace("{id}", run_id) for a in argv]) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnistlab: error:") and message in lines[0], captured.err
    assert "Traceback" not in captured.err + captured.out
    assert _snapshot(store.root) == before
