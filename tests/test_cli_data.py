"""``mnistlab data`` and ``--dataset``: known sets, adding folders (bad ones refused with nothing written), a
run's dataset in ``runs``, and the study on another set against plain fit."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from idx_sets import STEMS, fashion_folder, idx_bytes, write_idx_set

from mnistlab.cli import main
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, (out, err)
    assert err.startswith("mnistlab: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


def test_list_shows_each_set_and_where_its_files_are(capsys, artifacts):
    code, out, _ = run_cli(capsys, "data", "list")
    assert code == 0
    assert "mnist" in out and "fashion-mnist" in out and "T-shirt/top" in out
    rows = json.loads(run_cli(capsys, "data", "list", "--json")[1])
    assert [r["name"] for r in rows] == ["mnist", "fashion-mnist"]
    assert rows[0]["missing"] is None and rows[0]["folder"]


def test_list_says_how_to_get_a_missing_set(capsys, artifacts, monkeypatch, tmp_path):
    from mnistlab.datasets import registry

    monkeypatch.setattr(registry, "SYSTEM_DIRS", (tmp_path / "none",))
    monkeypatch.delenv("MNISTLAB_DATASETS", raising=False)
    code, out, _ = run_cli(capsys, "data", "list")
    assert code == 0 and "apt-get install dataset-fashion-mnist" in out
    code, out, err = run_cli(capsys, "data", "check", "fashion-mnist")
    assert_refused(code, out, err, "apt-get install dataset-fashion-mnist", "mnistlab data add")
    code, out, err = run_cli(capsys, "train", "--preset", "baseline", "--dataset", "fashion-mnist")
    assert_refused(code, out, err, "apt-get install dataset-fashion-mnist")
    assert not (artifacts / "runs").exists() or not any((artifacts / "runs").iterdir())


def test_add_check_and_remove_a_set(capsys, artifacts, tmp_path):
    folder = write_idx_set(tmp_path / "three", classes=3)
    code, out, err = run_cli(
        capsys, "data", "add", "three", str(folder), "--classes", "a, b ,c", "--title", "Bars"
    )
    assert code == 0, err
    assert "3 classes" in out and "--dataset three" in out
    saved = json.loads((artifacts / "datasets.json").read_text())
    assert saved["three"]["class_names"] == ["a", "b", "c"] and saved["three"]["title"] == "Bars"
    code, out, _ = run_cli(capsys, "data", "check", "three")
    assert code == 0 and "300 training and 90 test images" in out and "3 classes" in out
    assert "three" in run_cli(capsys, "data", "list")[1]
    assert TrainConfig(dataset="three").dataset == "three"
    code, out, _ = run_cli(capsys, "data", "remove", "three")
    assert code == 0 and "not touched" in out
    assert folder.exists() and "three" not in json.loads((artifacts / "datasets.json").read_text())
    assert_refused(*run_cli(capsys, "data", "remove", "three"), "No added dataset")
    assert_refused(*run_cli(capsys, "data", "remove", "mnist"), "built in")


def test_number_of_classes_comes_from_the_labels(capsys, artifacts, tmp_path):
    folder = write_idx_set(tmp_path / "five", classes=5, gz=False)
    assert run_cli(capsys, "data", "add", "five", str(folder))[0] == 0
    rows = {r["name"]: r for r in json.loads(run_cli(capsys, "data", "list", "--json")[1])}
    assert rows["five"]["classes"] == ["0", "1", "2", "3", "4"]


def _corrupt_labels(folder, stem, labels):
    (folder / f"{stem}.gz").write_bytes(gzip.compress(idx_bytes(labels)))


@pytest.mark.parametrize(
    "damage, words",
    [
        ("missing", ("t10k-labels-idx1-ubyte", "missing")),
        ("shape", ("28x28",)),
        ("count", ("one label per image",)),
        ("truncated", ("truncated",)),
        ("not gzip", ("gzip",)),
        ("class names", ("3 classes", "2 class names")),
    ],
)
def test_bad_folders_are_refused_with_nothing_written(capsys, artifacts, tmp_path, damage, words):
    import numpy as np

    folder = write_idx_set(tmp_path / "bad", classes=3)
    argv = ["data", "add", "bad", str(folder)]
    if damage == "missing":
        (folder / f"{STEMS[3]}.gz").unlink()
    elif damage == "shape":
        (folder / f"{STEMS[2]}.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((90, 32, 32)))))
    elif damage == "count":
        _corrupt_labels(folder, STEMS[3], np.zeros(89))
    elif damage == "truncated":
        data = gzip.decompress((folder / f"{STEMS[0]}.gz").read_bytes())
        (folder / f"{STEMS[0]}.gz").write_bytes(gzip.compress(data[:-100]))
    elif damage == "not gzip":
        (folder / f"{STEMS[1]}.gz").write_bytes(b"not a gzip file at all")
    else:
        argv += ["--classes", "a,b"]
    assert_refused(*run_cli(capsys, *argv), *words)
    assert not (artifacts / "datasets.json").exists()


def test_a_changed_file_is_noticed_after_adding(capsys, artifacts, tmp_path):
    import numpy as np

    folder = write_idx_set(tmp_path / "later", classes=3)
    assert run_cli(capsys, "data", "add", "later", str(folder))[0] == 0
    _corrupt_labels(folder, STEMS[3], np.arange(90) % 2)
    from mnistlab.data import _cache

    for key in [key for key in _cache if key[1] == str(folder.resolve())]:
        del _cache[key]  # as in a fresh process: this set is not cached (the others stay, as MNIST's must)
    assert_refused(*run_cli(capsys, "data", "check", "later"), "damaged")


def test_a_built_in_name_needs_the_built_in_files(capsys, artifacts, tmp_path):
    folder = write_idx_set(tmp_path / "fake", classes=10)
    assert_refused(
        *run_cli(capsys, "data", "add", "fashion-mnist", str(folder)), "not the original Fashion-MNIST"
    )
    assert not (artifacts / "datasets.json").exists()


def test_fashion_from_another_folder(capsys, artifacts, tmp_path):
    copy = tmp_path / "fashion"
    shutil.copytree(fashion_folder(), copy)
    assert run_cli(capsys, "data", "add", "fashion-mnist", str(copy))[0] == 0
    rows = {r["name"]: r for r in json.loads(run_cli(capsys, "data", "list", "--json")[1])}
    assert rows["fashion-mnist"]["folder"] == str(copy.resolve())


@pytest.mark.parametrize(
    "argv, words",
    [
        (("data", "add", "Bad Name", "."), ("not a dataset name",)),
        (("data", "add", "x", "/no/such/folder"), ("not a folder",)),
        (("data", "add", "x", ".", "--framing", "stretched"), ("framing",)),
        (("data", "check", "nope"), ("No dataset called 'nope'",)),
        (("train", "--preset", "baseline", "--dataset", "nope"), ("No dataset called 'nope'",)),
        (("reproduce", "--dataset", "nope"), ("No dataset called 'nope'",)),
        (("data",), ("required",)),
    ],
)
def test_bad_arguments_are_one_line(capsys, artifacts, argv, words):
    assert_refused(*run_cli(capsys, *argv), *words)


def test_runs_list_shows_each_runs_dataset(capsys, store):
    store.create(PRESETS["baseline"], TrainConfig(epochs=1).to_dict(), name="digits run")
    store.create(PRESETS["baseline"], TrainConfig(epochs=1, dataset="fashion-mnist").to_dict(), name="shoes")
    code, out, _ = run_cli(capsys, "runs", "list")
    assert code == 0 and "dataset" in out.splitlines()[0]
    line = next(row for row in out.splitlines() if "shoes" in row)
    assert "fashion-mnist" in line
    code, out, _ = run_cli(capsys, "runs", "--dataset", "fashion-mnist", "--json")
    assert [r["name"] for r in json.loads(out)] == ["shoes"]


@pytest.mark.slow
def test_study_on_a_small_set_against_plain_fit(capsys, artifacts, tmp_path):
    write_idx_set(tmp_path / "tiny", classes=3)
    assert run_cli(capsys, "data", "add", "tiny", str(tmp_path / "tiny"))[0] == 0
    code, out, err = run_cli(
        capsys,
        "reproduce",
        "--dataset",
        "tiny",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--presets",
        "baseline",
        "--out",
        str(tmp_path / "study"),
    )
    assert code == 0, err
    assert "against plain Keras fit" in out
    results = json.loads((tmp_path / "study" / "results.json").read_text())
    assert results["dataset"]["name"] == "tiny"
    (experiment,) = results["experiments"]
    assert experiment["notebook_accuracy"] is None  # MNIST's figures are no bar for another set
    assert experiment["params"] == (784 + 1) * 128 + 129 * 3
    compared = experiment["plain_fit"]
    assert compared["seeds"] == 2 and compared["fit_accuracy"] > 0.5
    assert all(len(r["fit_curve"]) == 1 and len(r["curve"]) == 1 for r in experiment["runs"])
    assert "Against plain Keras fit" in (tmp_path / "study" / "results.md").read_text()
