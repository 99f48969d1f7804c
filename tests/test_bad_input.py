"""Every kind of bad input, through every door (API, CLI, Train page): a clear message, nothing changed.

Range checks themselves are tested next to their code (test_specs, test_training, test_store, test_data,
test_experiment, test_jobs); here each bad value goes in through a user-facing path, and afterwards the whole
artifacts folder is compared byte for byte with what it held before.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from mnistlab import cli, drawing
from mnistlab.drawing import ImageError
from mnistlab.modelfile import ModelFileError, load_model_file
from mnistlab.runs import jobs, runners
from mnistlab.runs.jobs import JobError, JobRunner
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = [math.nan, math.inf, -math.inf, 10**12, -1, 0, True, "12", None, [3]]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): the strictest 'nothing changed' there is."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def kept(store, artifacts):
    """A store holding one finished run; yields (store, run id) and checks at the end that nothing changed."""
    run_id = store.create(
        PRESETS["dropout"], TrainConfig(epochs=2).to_dict(), name="keep me", preset="dropout"
    )
    store.save_history(run_id, {"loss": [0.5, 0.4], "accuracy": [0.8, 0.9]})
    store.finish(run_id, "completed", test_accuracy=0.95, epochs_done=2)
    before = snapshot(artifacts)
    yield store, run_id
    assert [r.id for r in store.list_runs()] == [run_id]
    assert snapshot(artifacts) == before


@pytest.fixture
def no_training(monkeypatch):
    """Fail loudly if anything reaches the training itself (the store checks in ``train_run`` still run)."""
    import mnistlab.runs.executors
    import mnistlab.runs.task

    def refuse(*args, **kwargs):
        raise AssertionError("bad input reached the training")

    class RefusingExecutor:
        workers = 1
        run = staticmethod(refuse)

        def shutdown(self):
            pass

    monkeypatch.setattr(mnistlab.runs.task, "train", refuse)  # in-process trainings
    monkeypatch.setattr(mnistlab.runs.executors, "make_executor", lambda workers=None: RefusingExecutor())


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert code == cli.EXIT_USAGE, err
    assert len(lines) == 1 and lines[0].startswith("mnistlab: error:"), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"


# --------------------------------------------------------------------------------------- job runner API

CONFIG_FIELDS = ["epochs", "batch_size", "learning_rate", "validation_split", "seed", "train_subset"]


def _valid(field, value) -> bool:
    """The sweep's few values that are legal for a field: None (all digits) for train_subset, 0 for two."""
    if field == "train_subset" and value is None:
        return True
    return field in ("seed", "validation_split") and value == 0 and value is not True


@pytest.mark.parametrize(
    "field, value", [(f, v) for f in CONFIG_FIELDS for v in NUMBERS if not _valid(f, v)], ids=repr
)
def test_every_config_field_out_of_range_or_wrong_type_is_refused_at_submit(kept, field, value):
    store, _ = kept
    if field in ("learning_rate", "validation_split") and value is True:
        value = "0.1"  # a bool is tried for the whole-number fields; a numeric string here
    started = []
    runner = JobRunner(store, workers=1, work=lambda job, ctx: started.append(job) or "completed")
    try:
        with pytest.raises(JobError, match=field):
            runner.submit(PRESETS["baseline"], {**TrainConfig().to_dict(), field: value}, owner="pupil")
        assert runner.jobs() == [] and started == []
    finally:
        runner.shutdown()


LAYER_FIELDS = [
    ("dense", "units"),
    ("dropout", "rate"),
    ("conv2d", "filters"),
    ("conv2d", "kernel_size"),
    ("max_pool", "size"),
]


@pytest.mark.parametrize("kind, param", LAYER_FIELDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, 10**9, -1, "8", True, [1]], ids=repr)
def test_every_layer_field_out_of_range_or_wrong_type_is_refused_at_submit(kept, kind, param, value):
    store, _ = kept
    layer = {
        "kind": kind,
        "units": 32,
        "activation": "relu",
        "rate": 0.2,
        "filters": 8,
        "kernel_size": 3,
        "size": 2,
    }
    layers = [layer] if kind == "dense" or kind == "dropout" else [layer, {"kind": "dense", "units": 16}]
    if kind == "max_pool":
        layers = [{"kind": "conv2d", "filters": 4, "kernel_size": 3}, layer]
    spec = {"name": "bad", "layers": [{k: v for k, v in entry.items()} for entry in layers]}
    target = next(entry for entry in spec["layers"] if entry["kind"] == kind)
    target[param] = value
    runner = JobRunner(store, workers=1, work=lambda job, ctx: "completed")
    try:
        with pytest.raises(JobError) as caught:
            runner.submit(spec, TrainConfig(), owner="pupil")
        assert param in str(caught.value) or "number" in str(caught.value)
        assert runner.jobs() == []
    finally:
        runner.shutdown()


@pytest.mark.parametrize("name", ["../evil", "a/b", "x\ny", "\x1b[31mred", "", " ", "n" * 81, 7])
def test_bad_run_names_and_owners_are_refused_at_submit(kept, name):
    store, _ = kept
    runner = JobRunner(store, workers=1, work=lambda job, ctx: "completed")
    try:
        with pytest.raises(JobError):
            runner.submit(PRESETS["baseline"], TrainConfig(), name=name, owner="pupil")
        with pytest.raises(JobError, match="owner"):
            runner.submit(PRESETS["baseline"], TrainConfig(), owner="" if name != "" else "o" * 101)
        assert runner.jobs() == []
    finally:
        runner.shutdown()


def test_a_good_submission_is_accepted_by_the_same_runner(store):
    """The control for the tests above: the same call with good values does queue a job."""
    runner = JobRunner(store, workers=1, work=lambda job, ctx: "completed")
    try:
        job = runner.submit(PRESETS["baseline"], TrainConfig(epochs=1), name="fine", owner="pupil")
        assert runner.wait(job.id, timeout=10).status == "completed"
    finally:
        runner.shutdown()


# ------------------------------------------------------------------------------------------ CLI train


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--epochs", "0"], "epochs"),
        (["--epochs", "1000000000"], "epochs"),
        (["--epochs", "2.5"], "whole number"),
        (["--epochs", "ten"], "whole number"),
        (["--batch-size", "-1"], "batch_size"),
        (["--batch-size", "100000"], "batch_size"),
        (["--learning-rate", "nan"], "finite"),
        (["--learning-rate", "inf"], "finite"),
        (["--learning-rate", "0"], "learning_rate"),
        (["--learning-rate", "1e300"], "learning_rate"),
        (["--seed", "-5"], "seed"),
        (["--seed", "99999999999999999999"], "seed"),
        (["--subset", "5"], "train_subset"),
        (["--subset", "70000"], "train_subset"),
        (["--validation-split", "0.9"], "validation_split"),
        (["--validation-split", "NaN"], "finite"),
        (["--optimizer", "adamw"], "optimizer"),
        (["--name", "../../etc/passwd"], "'/'"),
        (["--name", "tab\there"], "control"),
        (["--name", "x" * 500], "at most 80"),
        (["--unknown-flag", "1"], "unrecognized"),
    ],
)
def test_cli_train_refuses_bad_flags_in_one_line(kept, no_training, capsys, flags, needle):
    code, _, err = run_cli(["train", "--preset", "baseline", *flags], capsys)
    assert_one_line_error(code, err, needle)


def test_cli_train_refuses_an_unknown_preset(kept, no_training, capsys):
    code, _, err = run_cli(["train", "--preset", "../baseline"], capsys)
    assert_one_line_error(code, err, "preset")


SPECS = {
    "not json": (b"{layers: [", "not valid JSON"),
    "empty file": (b"", "not valid JSON"),
    "a list": (b"[1, 2]", "JSON object"),
    "no layers": (b'{"name": "x"}', "layers"),
    "NaN units": (b'{"name": "x", "layers": [{"kind": "dense", "units": NaN}]}', "units"),
    "huge units": (b'{"name": "x", "layers": [{"kind": "dense", "units": 1e12}]}', "units"),
    "string units": (b'{"name": "x", "layers": [{"kind": "dense", "units": "64"}]}', "units"),
    "too many params": (
        b'{"name": "x", "layers": [{"kind": "dense", "units": 4096}, {"kind": "dense", "units": 4096}]}',
        "parameters",
    ),
    "too many layers": (
        json.dumps({"name": "x", "layers": [{"kind": "dense", "units": 8}] * 25}).encode(),
        "at most",
    ),
    "code as a kind": (b'{"name": "x", "layers": [{"kind": "lambda", "function": "os.system"}]}', "kind"),
    "bad activation": (
        b'{"name": "x", "layers": [{"kind": "dense", "units": 8, "activation": "eval"}]}',
        "activation",
    ),
    "rate of 1": (b'{"name": "x", "layers": [{"kind": "dropout", "rate": 1.0}]}', "rate"),
    "path as name": (b'{"name": "../../x", "layers": []}', "'/'"),
    "control chars in name": (b'{"name": "a\\u0000b", "layers": []}', "control"),
    "not utf-8": (b'{"name": "\xff\xfe", "layers": []}', "UTF-8"),
    "deeply nested": (b"[" * 100000 + b"]" * 100000, "spec"),
}


@pytest.mark.parametrize("case", list(SPECS))
def test_cli_train_refuses_bad_spec_files_in_one_line(kept, no_training, capsys, tmp_path, case):
    content, needle = SPECS[case]
    path = tmp_path / "spec.json"
    path.write_bytes(content)
    code, _, err = run_cli(["train", "--spec", str(path)], capsys)
    assert_one_line_error(code, err, needle)


def test_cli_train_refuses_missing_folder_and_oversized_spec_files(kept, no_training, capsys, tmp_path):
    code, _, err = run_cli(["train", "--spec", str(tmp_path / "nope.json")], capsys)
    assert_one_line_error(code, err, "cannot read")
    code, _, err = run_cli(["train", "--spec", str(tmp_path)], capsys)
    assert_one_line_error(code, err, "folder")
    big = tmp_path / "big.json"
    with open(big, "wb") as f:  # sparse: no real disk used
        f.truncate(cli.MAX_INPUT_BYTES + 1)
    code, _, err = run_cli(["train", "--spec", str(big)], capsys)
    assert_one_line_error(code, err, "limit")


# ------------------------------------------------------------------------- CLI run ids and names

BAD_IDS = ["../keep", "../../etc/passwd", "a/b", "..", ".", "/etc", "x\ny", "x\x00y", "RUN", "a" * 200, " "]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("command", [["show"], ["delete", "--yes"], ["rename"], ["predict"]])
def test_cli_refuses_run_ids_that_could_leave_the_store(kept, capsys, command, bad):
    argv = [command[0], bad, *command[1:]]
    if command[0] == "rename":
        argv.append("new name")
    if command[0] == "predict":
        argv.append("digit.png")
    code, _, err = run_cli(argv, capsys)
    assert_one_line_error(code, err, "run id")


def test_cli_reports_an_unknown_run_id(kept, capsys):
    code, _, err = run_cli(["show", "20990101-000000-nothing-0000"], capsys)
    assert_one_line_error(code, err, "no run")


@pytest.mark.parametrize(
    "bad, needle",
    [
        ("../x", "'/'"),
        ("a/b", "'/'"),
        ("a\\b", "'/'"),
        ("", "empty"),
        ("   ", "empty"),
        ("bell\x07", "control"),
        ("..", "'.'"),
        ("y" * 81, "at most 80"),
    ],
)
def test_cli_rename_refuses_bad_names(kept, capsys, bad, needle):
    _, run_id = kept
    code, _, err = run_cli(["rename", run_id, bad], capsys)
    assert_one_line_error(code, err, needle)


# Characters that are not ASCII controls but still control a terminal or the text direction: U+009B is the
# 8-bit CSI (a name "\x9b2J" clears some terminals in `mnistlab runs`), U+202E shows the rest of a name
# reversed on every page, U+2028/U+0085 break lines.
SNEAKY = ["a\x9b2Jb", "a\x85b", "a\u2028b", "evil\u202egnp.exe", "a\u2066b"]


@pytest.mark.parametrize("bad", SNEAKY, ids=repr)
def test_cli_rename_refuses_unicode_control_characters(store, artifacts, capsys, bad):
    run_id = store.create(PRESETS["baseline"], {}, name="keep me")
    before = snapshot(artifacts)
    code, _, err = run_cli(["rename", run_id, bad], capsys)
    assert_one_line_error(code, err, "control")
    assert snapshot(artifacts) == before


@pytest.mark.parametrize("bad", [*SNEAKY, "a\x7fb"], ids=repr)
def test_spec_names_with_control_characters_are_refused(artifacts, no_training, capsys, tmp_path, bad):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"name": bad, "layers": []}))
    before = snapshot(artifacts)
    code, _, err = run_cli(["train", "--spec", str(path), "--name", "fine"], capsys)
    assert_one_line_error(code, err, "control")
    assert snapshot(artifacts) == before


def test_cli_delete_without_yes_and_without_a_terminal_deletes_nothing(kept, capsys, monkeypatch):
    store, run_id = kept
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a tty: a pipe must not confirm a delete
    code, _, err = run_cli(["delete", run_id], capsys)
    assert_one_line_error(code, err, "--yes")
    assert store.path(run_id).is_dir()  # the run is still there, as it was
    assert store.load(run_id).name == "keep me" and [r.id for r in store.list_runs()] == [run_id]


# ------------------------------------------------------------------------------------------ images


def _png(width: int, height: int, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb_png(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG whose header declares width x height pixels (the IHDR is patched, its CRC fixed)."""
    import struct
    import zlib

    data = bytearray(_png(8, 8))
    ihdr = 8 + 8  # signature, then length + b'IHDR'
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def _encoded(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, format=image_format)
    return buffer.getvalue()


def _digit_png() -> bytes:
    picture = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(picture).line([(100, 30), (100, 170)], fill=0, width=18)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


BAD_IMAGES = {
    "empty": (b"", "empty"),
    "text": (b"hello, I am not a picture\n" * 10, "not an image"),
    "html": (b"<html><script>alert(1)</script></html>", "not an image"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>', "not an image"),
    "truncated png": (_digit_png()[:60], "could not be decoded"),
    "bomb png": (_bomb_png(), "too many pixels"),
    "bomb under pillow's limit": (_bomb_png(5000, 5000), "limit"),
    "wide png": (_bomb_png(100000, 1), "could not be decoded"),
    "too many bytes": (b"\x89PNG\r\n\x1a\n" + b"\0" * (drawing.MAX_IMAGE_BYTES + 1), "limit"),
    "tiff": (lambda: _encoded("TIFF"), "not an image"),
    "pdf": (lambda: _encoded("PDF"), "not an image"),
}


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_read_image_refuses_non_images_empty_files_and_bombs(case):
    content, needle = BAD_IMAGES[case]
    content = content() if callable(content) else content
    with pytest.raises(ImageError) as caught:
        drawing.read_image(content)
    assert needle.lower() in str(caught.value).lower()
    assert "\n" not in str(caught.value)


def test_read_image_accepts_a_real_digit():
    """The control: a plain PNG of a '1' decodes and becomes a 28x28 MNIST-style image."""
    image = drawing.canvas_to_mnist(drawing.read_image(_digit_png()))
    assert image is not None and image.shape == (28, 28) and image.max() > 0.5


@pytest.mark.parametrize("case", ["empty", "text", "bomb png", "bomb under pillow's limit", "truncated png"])
def test_cli_predict_refuses_bad_images_in_one_line(kept, capsys, tmp_path, case):
    _, run_id = kept  # marked completed with an accuracy: the image is checked before any model is loaded
    content, needle = BAD_IMAGES[case]
    path = tmp_path / "digit.png"
    path.write_bytes(content)
    code, _, err = run_cli(["predict", run_id, str(path)], capsys)
    assert_one_line_error(code, err, needle)


@pytest.mark.parametrize(
    "case", ["empty", "text", "svg", "bomb png", "bomb under pillow's limit", "truncated png"]
)
def test_draw_page_upload_of_a_bad_image_shows_an_error(kept, case):
    from streamlit.testing.v1 import AppTest

    _, run_id = kept  # a finished run (its model file is missing, which the page reports on its own)
    content, needle = BAD_IMAGES[case]
    at = AppTest.from_file(str(ROOT / "pages" / "draw.py"), default_timeout=60)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    at.file_uploader(key="draw_upload").set_value(("digit.png", content, "image/png")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith("digit.png: ") and needle.lower() in e.lower() for e in errors), errors


# ------------------------------------------------------------------------------------- model files


def _lambda_model_that_writes(marker: Path):
    from mnistlab.tf import keras

    # A Python lambda (not a named function) is saved as bytecode inside the file. The marker's path is baked
    # into that bytecode as a constant (Keras cannot reload default arguments), hence the source text here.
    touch = eval(f"lambda t: (open({str(marker)!r}, 'a').write('code from the model file ran'), t)[1]")

    inputs = keras.Input((28, 28))
    x = keras.layers.Lambda(touch, output_shape=(28, 28))(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


@pytest.mark.slow
def test_no_code_from_a_model_file_ever_runs(tmp_path, kept, capsys):
    """A Lambda layer that writes a marker file: refused by load_model_file and by `mnistlab predict`.

    The control at the end loads the same file unsafely and shows that its code would have run.
    """
    import numpy as np

    from mnistlab.tf import keras

    marker = tmp_path / "marker.txt"
    path = tmp_path / "evil.keras"
    _lambda_model_that_writes(marker).save(path)
    marker.unlink(missing_ok=True)  # building the model ran it once, here in the test

    with pytest.raises(ModelFileError, match="could not be loaded safely"):
        load_model_file(path)
    assert not marker.exists()

    store, run_id = kept  # the same file planted as a run's model, then used through the CLI
    model_file = store.path(run_id) / "model.keras"
    model_file.write_bytes(path.read_bytes())
    try:
        image = tmp_path / "digit.png"
        image.write_bytes(_digit_png())
        code, _, err = run_cli(["predict", run_id, str(image)], capsys)
        assert_one_line_error(code, err, "could not be loaded safely")
        assert not marker.exists()
    finally:
        model_file.unlink()  # so the 'nothing changed' check of the fixture holds

    unsafe = keras.models.load_model(path, compile=False, safe_mode=False)
    unsafe(np.zeros((1, 28, 28), np.float32))
    assert marker.exists()  # the test could have failed: this file's code does run when loaded unsafely


def test_corrupt_and_oversized_model_files_are_refused_before_keras_reads_them(tmp_path):
    big = tmp_path / "big.keras"
    with open(big, "wb") as f:
        f.truncate(201 * 2**20)  # sparse
    with pytest.raises(ModelFileError, match="limit"):
        load_model_file(big)
    for content in (b"", b"PK\x03\x04 truncated zip", os.urandom(2048)):
        bad = tmp_path / "bad.keras"
        bad.write_bytes(content)
        with pytest.raises(ModelFileError, match=r"not a Keras .keras file"):
            load_model_file(bad)


def test_a_zip_with_a_pickle_inside_is_refused(tmp_path):
    """A .keras archive whose weights are a pickle: nothing in it is unpickled."""
    import pickle

    marker = tmp_path / "pickled.txt"

    class Evil:
        def __reduce__(self):
            return (Path.write_text, (marker, "unpickled"))

    path = tmp_path / "pickle.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
        z.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
        z.writestr("model.weights.h5", pickle.dumps(Evil()))
    with pytest.raises(ModelFileError):
        load_model_file(path)
    assert not marker.exists()


# ---------------------------------------------------------------------------------------- dataset


def test_cli_train_with_a_corrupted_dataset_names_the_file_and_keeps_the_store_unchanged(
    store, artifacts, capsys, tmp_path, monkeypatch
):
    import shutil

    from mnistlab import data

    folder = tmp_path / "mnist"
    shutil.copytree(data.BUNDLED_DIR, folder)
    path = folder / "train-images-idx3-ubyte.gz"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01  # one flipped bit in the middle
    path.write_bytes(bytes(blob))
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    before = snapshot(artifacts)
    code, _, err = run_cli(["train", "--preset", "baseline", "--epochs", "1", "--subset", "1000"], capsys)
    assert_one_line_error(code, err, "train-images-idx3-ubyte.gz")
    assert store.list_runs(status="failed") == [], "a failed run was left behind for a broken dataset"
    assert snapshot(artifacts) == before


# ----------------------------------------------------------------------------------- Train page


@pytest.fixture
def train_page(artifacts, monkeypatch):
    """The Train page in AppTest with a job runner whose work only records what was submitted."""
    from streamlit.testing.v1 import AppTest

    submitted = []
    monkeypatch.setattr(jobs, "train_job", lambda job, ctx: submitted.append(job) or "completed")
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=60).run()
    assert not at.exception
    before = snapshot(artifacts)
    yield at, submitted
    try:
        runner = runners.default_runner()
        if not submitted:
            assert runner.jobs() == [] and snapshot(artifacts) == before
    finally:
        runners.shutdown()


PAGE_CASES = [  # the page names each setting as its form does ("Training images", not train_subset)
    ("train_epochs", 0, "Epochs"),
    ("train_epochs", 10**9, "Epochs"),
    ("train_epochs", -3, "Epochs"),
    ("train_lr", 0.0, "Learning rate"),
    ("train_lr", -0.5, "Learning rate"),
    ("train_lr", 1e6, "Learning rate"),
    ("train_seed", -1, "Seed"),
    ("train_seed", 2**40, "Seed"),
    ("train_subset", 5, "Training images"),
    ("train_subset", 10**7, "Training images"),
    ("layer_1_units", 0, "Units"),
    ("layer_1_units", 10**6, "Units"),
]


@pytest.mark.parametrize("key, value, needle", PAGE_CASES)
def test_train_page_shows_an_error_and_submits_nothing_for_bad_numbers(train_page, key, value, needle):
    at, submitted = train_page
    at.number_input(key=key).set_value(value)
    at.run()
    at.button(key="train_start").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert needle in errors, errors
    assert submitted == [] and runners.default_runner().jobs() == []


@pytest.mark.parametrize(
    "name, needle", [("../../evil", "'/'"), ("a/b", "'/'"), ("x\ty", "control"), ("z" * 81, "at most 80")]
)
def test_train_page_refuses_bad_run_names(train_page, name, needle):
    at, submitted = train_page
    at.text_input(key="train_name").input(name).run()
    at.button(key="train_start").click().run()
    assert not at.exception
    assert needle in " ".join(e.value for e in at.error)
    assert submitted == [] and runners.default_runner().jobs() == []


def test_train_page_submits_good_settings(train_page):
    """The control: the same page with good values queues exactly one job."""
    at, submitted = train_page
    at.number_input(key="train_epochs").set_value(1)
    at.number_input(key="train_subset").set_value(1000)
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    runner = runners.default_runner()
    [job] = runner.jobs()
    assert runner.wait(job.id, timeout=20).status == "completed"
    assert job.config.epochs == 1 and job.config.train_subset == 1000 and len(submitted) == 1


# ------------------------------------------------------------------------------------- security defaults


def test_the_server_listens_on_localhost_with_a_bounded_upload_size():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["address"] in ("localhost", "127.0.0.1")
    assert 1 <= server["maxUploadSize"] <= 10  # MB; a model file or a photo of a digit needs no more
    assert config["browser"]["gatherUsageStats"] is False  # offline laptops: nothing is sent anywhere
    assert server.get("enableXsrfProtection", True) and server.get("enableCORS", True)  # Streamlit's defaults


UNSAFE = [
    "import pickle",
    "from pickle",
    "pickle.load",
    "cloudpickle",
    "joblib.load",
    "allow_pickle=True",
    "eval(",
    "exec(",
    "safe_mode=False",
    "enable_unsafe_deserialization",
    "marshal.loads",
    "yaml.load(",
    "shell=True",
    "os.system(",
    "__import__(",
]


def test_nothing_in_the_app_unpickles_or_evaluates_code():
    sources = (
        sorted((ROOT / "mnistlab").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    )
    assert len(sources) > 10
    found = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in sources
        for needle in UNSAFE
        if needle in path.read_text()
    ]
    assert found == []


def test_an_npz_dataset_with_pickled_objects_is_refused(tmp_path):
    """np.load keeps allow_pickle off, so an .npz holding object arrays is refused, never unpickled."""
    import numpy as np

    from mnistlab.data import DataError, load_mnist

    npz = tmp_path / "mnist.npz"
    np.savez(
        npz,
        x_train=np.array([Path("x")], dtype=object),
        y_train=np.zeros(1),
        x_test=np.zeros(1),
        y_test=np.zeros(1),
    )
    with pytest.raises(DataError) as caught:
        load_mnist(npz)
    assert "mnist.npz" in str(caught.value)
