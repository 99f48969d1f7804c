"""The Keras code of an architecture: a standalone script that lints, carries the settings, and trains."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnistlab.cli import main
from mnistlab.data import BUNDLED_DIR
from mnistlab.export.code import script_filename, training_script
from mnistlab.specs import PRESETS, ArchitectureSpec, count_params, dense
from mnistlab.training import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def _top_level(script: str) -> list[str]:
    return [type(node).__name__ + ":" + getattr(node, "name", "") for node in ast.parse(script).body]


def test_the_script_carries_the_settings_and_imports_no_mnistlab():
    config = TrainConfig(epochs=5, batch_size=256, optimizer="rmsprop", learning_rate=0.002, seed=7)
    script = training_script(PRESETS["cnn"], config)
    assert "mnistlab" not in "\n".join(line for line in script.splitlines() if "import" in line)
    assert "EPOCHS = 5\n" in script and "BATCH_SIZE = 256\n" in script and "SEED = 7\n" in script
    assert "LEARNING_RATE = 0.002\n" in script and "keras.optimizers.RMSprop(learning_rate)" in script
    assert "CosineDecay" in script and "warmup_steps" in script
    assert script.count("layers.Conv2D(") == 2 and "layers.Reshape((28, 28, 1))" in script
    constant = training_script(PRESETS["baseline"], TrainConfig(schedule="constant", optimizer="sgd"))
    assert "CosineDecay" not in constant and "SGD(learning_rate, momentum=0.9, nesterov=True)" in constant
    compile(script, "train_cnn.py", "exec")


def test_a_hostile_spec_name_stays_in_comments_and_strings():
    plain = training_script(ArchitectureSpec("plain", (dense(32),)))
    hostile = ArchitectureSpec('x"""\'; import os; os.system("echo hi") #\\', (dense(32),))
    script = training_script(hostile)
    assert _top_level(script) == _top_level(plain)  # same statements: nothing was injected
    assert "os.system" not in "".join(ast.unparse(n) for n in ast.parse(script).body[1:])
    assert script_filename(hostile.name) == "train_x_import_os_os_system_echo_hi.py"
    assert script_filename("../../etc") == "train_etc.py"


def test_generated_scripts_lint_clean(tmp_path):
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    for name, spec in PRESETS.items():
        (tmp_path / script_filename(name)).write_text(training_script(spec))
    done = subprocess.run(
        [str(ruff), "check", "--isolated", "--select", "E,F,W,B", "--line-length", "120", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_cli_code_from_a_preset_a_spec_file_and_a_run(capsys, trained_artifacts, trained_store, tmp_path):
    assert main(["code", "--preset", "dropout", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "EPOCHS = 3\n" in out and "layers.Dropout(0.3)" in out
    spec_file = tmp_path / "mine.json"
    spec_file.write_text('{"name": "mine", "layers": [{"kind": "dense", "units": 64}]}')
    target = tmp_path / "train_mine.py"
    assert main(["code", "--spec", str(spec_file), "--out", str(target)]) == 0
    assert "layers.Dense(64" in target.read_text()
    _, ids = trained_store
    assert main(["code", ids[1]]) == 0
    run_code = capsys.readouterr().out
    assert "BATCH_SIZE = 128\n" in run_code and "TRAIN_SUBSET = 6000" in run_code and "SEED = 2\n" in run_code
    assert main(["code", "--preset", "nope"]) == 2
    assert main(["code", "no-such-run"]) == 2
    assert main(["code", "--preset", "cnn", "--out", str(tmp_path)]) == 2  # a folder, not a file


# Runs every preset's script in turn as ``__main__`` in one plain Python (TensorFlow is imported once, not once
# per preset), and prints each one's output between markers so that each preset is judged on its own.
_RUN_EACH_SCRIPT = """
import runpy, sys, traceback
for path in sys.argv[1:]:
    for stream in (sys.stdout, sys.stderr):
        print("@@@ start " + path, file=stream, flush=True)
    sys.argv = [path, "--data", {data!r}, "--epochs", "1", "--limit", "3000"]
    code = 0
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except BaseException:
        traceback.print_exc()
        code = 1
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()  # the next script starts from a clean Keras
    for stream in (sys.stdout, sys.stderr):
        print("@@@ exit " + str(code), file=stream, flush=True)
"""


def _per_script(output: str) -> dict[str, tuple[int | None, str]]:
    """``{script path: (exit code, its output)}`` from the markers the runner prints."""
    found = {}
    for part in output.split("@@@ start ")[1:]:
        path, _, rest = part.partition("\n")
        body, marker, tail = rest.rpartition("@@@ exit ")
        found[path] = (int(tail.split()[0]), body) if marker else (None, rest)  # None: the runner died in it
    return found


@pytest.fixture(scope="module")
def script_runs(request, tmp_path_factory):
    """Each selected preset's script, written to a folder outside the repository and run by plain Python (no
    mnistlab on its path): ``{preset: (exit code, stdout, stderr)}``."""
    names = [
        item.callspec.params["name"]
        for item in request.session.items
        if item.originalname == "test_the_script_runs_on_its_own_and_trains"
    ]
    folder = tmp_path_factory.mktemp("scripts")
    paths = {}
    for name in names:
        paths[name] = folder / script_filename(name)
        paths[name].write_text(training_script(PRESETS[name]))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_EACH_SCRIPT.format(data=str(BUNDLED_DIR)), *map(str, paths.values())],
        capture_output=True,
        text=True,
        cwd=folder,  # not the repository: the scripts must not need mnistlab
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=900 * max(1, len(paths)),
        check=False,
    )
    outs, errs = _per_script(done.stdout), _per_script(done.stderr)
    runs = {}
    for name, path in paths.items():
        if str(path) in outs:
            code, out = outs[str(path)]
            runs[name] = (code, out, errs.get(str(path), (code, done.stderr))[1])
        else:  # the runner ended before this script started: its own exit and output say why
            runs[name] = (done.returncode or 1, done.stdout[-1500:], done.stderr)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PRESETS))
def test_the_script_runs_on_its_own_and_trains(name, script_runs):
    """Each preset's script, run by plain Python outside mnistlab, trains on 3,000 digits for one epoch."""
    code, out, err = script_runs[name]
    assert code == 0, err[-2000:]
    # The network the script builds has exactly the parameters of mnistlab's model for this spec.
    assert f"Total params: {count_params(PRESETS[name]):,}" in out
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.3, out[-1500:]  # chance is 0.1: it learned something in one short epoch


def test_a_run_trained_with_augmentation_exports_a_script_that_augments():
    """The script does what the run did: augment=True brings a readable augmentation block used by fit."""
    plain = training_script(PRESETS["dropout"], TrainConfig(epochs=2))
    varied = training_script(PRESETS["dropout"], TrainConfig(epochs=2, augment=True))
    compile(varied, "train_dropout.py", "exec")
    assert "def augmentation():" in varied and "RandomRotation" in varied and "RandomShear" in varied
    assert "trainer = keras.Model(inputs, model(augmentation()(inputs)))" in varied
    assert "trainer.fit(" in varied and "model.fit(" not in varied
    assert "model.save(args.save)" in varied  # the saved model carries no augmentation layers
    assert "augmentation" not in plain and "Random" not in plain and "model.fit(" in plain
    compile(plain, "train_dropout.py", "exec")


def test_a_clothing_run_exports_the_clothing_augmentation():
    """Fashion-MNIST's augment mirrors and shifts; its script says so and never tilts or slants."""
    script = training_script(PRESETS["cnn"], TrainConfig(epochs=2, augment=True, dataset="fashion-mnist"))
    compile(script, "train_cnn.py", "exec")
    assert 'RandomFlip("horizontal")' in script and "RandomTranslation(2 / 28" in script
    assert "RandomRotation" not in script and "RandomShear" not in script
    assert "trainer.fit(" in script


def test_the_augmenting_script_lints_clean(tmp_path):
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    (tmp_path / "train_aug.py").write_text(training_script(PRESETS["cnn"], TrainConfig(augment=True)))
    done = subprocess.run(
        [str(ruff), "check", "--isolated", "--select", "E,F,W,B", "--line-length", "120", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
