"""The command line: one-line errors with exit 2, a tiny real training, listing, prediction, rename/delete."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from mnistlab.cli import main
from mnistlab.cli.terminal import ProgressLine, stop_on_interrupt
from mnistlab.runs.store import RunStore
from mnistlab.training import Progress

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str) -> None:
    assert code == 2
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mnistlab: error: ")
    assert len(lines[0]) > len("mnistlab: error: ") + 10  # says something


# ------------------------------------------------------------------------------------------ bad arguments


@pytest.fixture
def spec_files(tmp_path):
    files = {
        "malformed": tmp_path / "malformed.json",
        "bad_layer": tmp_path / "bad_layer.json",
        "binary": tmp_path / "binary.json",
        "nested": tmp_path / "nested.json",
    }
    files["malformed"].write_text('{"name": "x", "layers": [')
    files["bad_layer"].write_text(json.dumps({"name": "x", "layers": [{"kind": "dense", "units": 99999}]}))
    files["binary"].write_bytes(b"\xff\xfe\x00garbage")
    files["nested"].write_bytes(b"[" * 100_000 + b"]" * 100_000)
    return files


BAD_ARGUMENTS = [
    [],
    ["frobnicate"],
    ["train"],
    ["train", "--preset", "nope"],
    ["train", "--preset", "baseline", "--spec", "x.json"],
    ["train", "--preset", "baseline", "--epochs", "0"],
    ["train", "--preset", "baseline", "--epochs", "ten"],
    ["train", "--preset", "baseline", "--epochs", "1.5"],
    ["train", "--preset", "baseline", "--batch-size", "-3"],
    ["train", "--preset", "baseline", "--learning-rate", "nan"],
    ["train", "--preset", "baseline", "--learning-rate", "inf"],
    ["train", "--preset", "baseline", "--learning-rate", "5"],
    ["train", "--preset", "baseline", "--validation-split", "0.9"],
    ["train", "--preset", "baseline", "--optimizer", "adagrad"],
    ["train", "--preset", "baseline", "--subset", "10"],
    ["train", "--preset", "baseline", "--seed", "-1"],
    ["train", "--preset", "baseline", "--name", "a/b"],
    ["train", "--preset", "baseline", "--name", "bad\nname"],
    ["train", "--preset", "baseline", "--name", "   "],
    ["train", "--spec", "/no/such/spec.json"],
    ["runs", "--bogus"],
    ["show", "no-such-run"],
    ["show", "../../etc"],
    ["predict", "no-such-run", "digit.png"],
    ["rename", "no-such-run", "new name"],
    ["delete", "no-such-run", "--yes"],
    ["reproduce", "--seeds", "0"],
    ["reproduce", "--seeds", "many"],
    ["reproduce", "--epochs", "-1"],
    ["reproduce", "--presets", "baseline,nope"],
    ["reproduce", "--presets", ","],
    ["reproduce", "--presets", "baseline,baseline"],
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS, ids=lambda a: " ".join(a) or "(none)")
def test_bad_arguments_give_one_line_and_exit_2(argv, capsys, artifacts):
    assert_one_line_error(*run_cli(capsys, *argv))
    assert not (artifacts / "runs").exists() or not any((artifacts / "runs").iterdir())  # nothing was created


@pytest.mark.parametrize("which", ["malformed", "bad_layer", "binary", "nested"])
def test_bad_spec_files_are_refused(which, spec_files, capsys, artifacts):
    code, out, err = run_cli(capsys, "train", "--spec", str(spec_files[which]))
    assert_one_line_error(code, out, err)
    assert str(spec_files[which]) in err or "spec" in err


def test_help_exits_0(capsys):
    code, out, _ = run_cli(capsys, "train", "--help")
    assert code == 0
    assert "--preset" in out and "--learning-rate" in out


def test_entry_point_and_fast_commands_do_not_import_tensorflow(tmp_path):
    env = {**os.environ, "MNISTLAB_ARTIFACTS": str(tmp_path / "artifacts")}
    done = subprocess.run(
        [sys.executable, "-m", "mnistlab", "presets"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout and "101,770" in done.stdout and "tuned" in done.stdout
    probe = (
        "import sys\nfrom mnistlab.cli.main import main\n"
        "codes = [main(['runs']), main(['presets', '--json']), main(['train', '--preset', 'baseline', '--epochs', '0'])]\n"
        "print('CODES', codes, 'tensorflow' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert "CODES [0, 0, 2] False" in done.stdout, done.stdout + done.stderr


# ------------------------------------------------------------------------------------------ train and runs


@pytest.mark.slow
def test_tiny_train_saves_a_completed_run_that_runs_and_show_list(capsys, artifacts):
    code, out, err = run_cli(
        capsys,
        "train",
        "--preset",
        "baseline",
        "--epochs",
        "1",
        "--subset",
        "600",
        "--json",
        "--name",
        "tiny cli run",
    )
    assert code == 0, err
    summary = json.loads(out)  # --json: stdout is JSON and nothing else
    run = RunStore().load(summary["id"])
    assert run.status == summary["status"] == "completed"
    assert run.name == summary["name"] == "tiny cli run"
    assert run.preset == "baseline" and summary["params"] == 101_770
    assert 0.0 < summary["test_accuracy"] <= 1.0 and summary["test_loss"] > 0
    assert summary["config"]["train_subset"] == 600 and summary["spec"]["layers"][0]["units"] == 128

    code, out, err = run_cli(capsys, "runs")
    assert code == 0 and err == ""
    assert summary["id"] in out and "tiny cli run" in out and "completed" in out and "101,770" in out
    code, out, _ = run_cli(capsys, "runs", "--json")
    assert [r["id"] for r in json.loads(out)] == [summary["id"]]
    code, out, _ = run_cli(capsys, "show", summary["id"])
    assert code == 0 and "Dense(128)" in out and "val_acc" in out


@pytest.mark.slow
def test_ctrl_c_stops_training_and_keeps_the_run(capsys, artifacts, monkeypatch):
    original = ProgressLine.__call__

    def interrupt_once(self, progress):
        if not getattr(self, "_interrupted", False):
            self._interrupted = True
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends; the CLI turns it into a stop request
        original(self, progress)

    monkeypatch.setattr(ProgressLine, "__call__", interrupt_once)
    code, out, err = run_cli(
        capsys, "train", "--preset", "baseline", "--epochs", "5", "--subset", "2000", "--batch-size", "64"
    )
    assert code == 130
    assert "Traceback" not in out + err and "Stopping" in err
    (run,) = RunStore().list_runs()
    assert run.status == "stopped"
    assert run.epochs_done < 5
    assert run.id in out


def test_stop_on_interrupt_turns_the_first_ctrl_c_into_a_request():
    err = io.StringIO()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_interrupt(err) as should_stop:
        assert not should_stop()
        os.kill(os.getpid(), signal.SIGINT)
        assert should_stop()
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C aborts at once
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert "Stopping" in err.getvalue()


def test_runs_warns_about_damaged_runs_and_lists_the_rest(capsys, artifacts, finished_runs):
    broken = artifacts / "runs" / "broken-run"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    code, out, err = run_cli(capsys, "runs")
    assert code == 0
    assert err.startswith("mnistlab: warning:") and "broken-run" in err and "Traceback" not in err
    assert "baseline small" in out and "dropout small" in out


def test_runs_with_an_empty_store_says_how_to_start(capsys, artifacts):
    code, out, _ = run_cli(capsys, "runs")
    assert code == 0 and "No runs yet" in out


# ------------------------------------------------------------------------------------------------ predict


def draw_digit_one(path, background="white", ink="black") -> str:
    picture = Image.new("RGB", (200, 200), background)
    ImageDraw.Draw(picture).line([(100, 30), (100, 170)], fill=ink, width=18)
    picture.save(path)
    return str(path)


@pytest.mark.slow
def test_predict_a_drawn_digit(capsys, trained_artifacts, trained_store, tmp_path):
    _, (baseline_id, _) = trained_store
    image = draw_digit_one(tmp_path / "one.png")
    code, out, err = run_cli(capsys, "predict", baseline_id, image, "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["digit"] in range(10)
    assert abs(sum(answer["probabilities"]) - 1.0) < 1e-3
    assert answer["top3"][0] == [answer["digit"], answer["confidence"]]
    assert answer["confidence"] >= answer["top3"][1][1] >= answer["top3"][2][1]
    code, out, _ = run_cli(capsys, "predict", baseline_id, image)
    assert code == 0 and "top 3:" in out and out.split()[0] == str(answer["digit"])


def test_predict_refuses_unusable_images(capsys, trained_artifacts, trained_store, tmp_path):
    _, (baseline_id, _) = trained_store
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), "white").save(blank)
    not_image = tmp_path / "notes.png"
    not_image.write_text("this is not a picture")
    for path in (blank, not_image, tmp_path / "missing.png", tmp_path):
        assert_one_line_error(*run_cli(capsys, "predict", baseline_id, str(path)))


# ---------------------------------------------------------------------------------------- rename / delete


def test_rename_and_delete(capsys, finished_runs):
    _, (baseline_id, dropout_id) = finished_runs
    store = RunStore()
    code, out, _ = run_cli(capsys, "rename", baseline_id, "my best model")
    assert code == 0 and "my best model" in out
    assert store.load(baseline_id).name == "my best model"
    assert_one_line_error(*run_cli(capsys, "rename", baseline_id, "a/b"))
    assert store.load(baseline_id).name == "my best model"

    assert_one_line_error(*run_cli(capsys, "delete", dropout_id))  # no terminal to confirm on: needs --yes
    assert store.load(dropout_id).status == "completed"
    code, out, _ = run_cli(capsys, "delete", dropout_id, "--yes")
    assert code == 0 and dropout_id in out
    assert [r.id for r in store.list_runs()] == [baseline_id]
    assert_one_line_error(*run_cli(capsys, "show", dropout_id))


# ----------------------------------------------------------------------------------- presets, bench, output


def test_presets_lists_layers_and_parameters(capsys):
    code, out, _ = run_cli(capsys, "presets", "--json")
    presets = {p["name"]: p for p in json.loads(out)}
    assert code == 0 and set(presets) >= {"baseline", "deeper", "dropout", "tuned", "cnn"}
    assert presets["baseline"]["params"] == 101_770 and presets["deeper"]["notebook_accuracy"] == 96.86
    code, out, _ = run_cli(capsys, "presets")
    assert "Dense(256) → Dropout(0.3) → Dense(128) → Dropout(0.2)" in out and "567,434" in out


def test_bench_passes_its_arguments_on(capsys, monkeypatch):
    seen = []
    fake = types.ModuleType("mnistlab.bench.run")
    fake.main = lambda argv: seen.append(argv) or 3
    monkeypatch.setitem(sys.modules, "mnistlab.bench.run", fake)
    assert main(["bench", "--quick", "--help"]) == 3
    assert seen == [["--quick", "--help"]]


def progress(kind: str, epoch: int, step: int, val: float | None = None) -> Progress:
    return Progress(
        kind,
        epoch,
        2,
        step,
        20,
        0.5,
        0.9,
        elapsed_s=3.0,
        samples_per_s=1234.0,
        eta_s=4.0,
        val_loss=val,
        val_accuracy=val,
    )


def test_progress_line_prints_one_line_per_epoch_without_a_terminal():
    stream = io.StringIO()
    line = ProgressLine(stream, live=False)
    for event in (
        progress("batch", 1, 4),
        progress("epoch", 1, 10, 0.95),
        progress("batch", 2, 14),
        progress("epoch", 2, 20, 0.96),
    ):
        line(event)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[0].startswith("epoch 1/2 [####################] 100%")
    assert "val_acc 95.00%" in lines[0] and "1,234 samples/s" in lines[0] and "ETA" in lines[0]
    assert "done in" in lines[1]


def test_progress_line_redraws_in_place_on_a_terminal():
    stream = io.StringIO()
    line = ProgressLine(stream, live=True)
    line(progress("batch", 1, 5))
    assert stream.getvalue().startswith("\repoch 1/2 [#####") and "\n" not in stream.getvalue()
    assert " 50%" in stream.getvalue()
    line(progress("epoch", 1, 10, 0.9))
    assert stream.getvalue().count("\n") == 1
