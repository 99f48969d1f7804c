"""Handwriting sets: keeping drawings, zip export/import (every bad zip refused, store unchanged), scoring,
and ``mnistlab evaluate`` on a folder."""

from __future__ import annotations

import io
import json
import stat
import zipfile

import numpy as np
import pytest
from PIL import Image

from mnistlab.bench.drawn_digits import redraw_as_canvas
from mnistlab.cli.main import main
from mnistlab.drawing import canvas_to_mnist
from mnistlab.handwriting import (
    HandwritingError,
    HandwritingStore,
    export_set,
    import_name,
    import_set,
    read_folder,
    score_drawings,
    suggest_set_name,
)


@pytest.fixture
def sets(artifacts):
    return HandwritingStore()


def drawn(mnist, index: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """A canvas drawing (280x280 RGBA) of test digit ``index`` and its label."""
    canvas = redraw_as_canvas(mnist.x_test[index], np.random.default_rng(seed), scheme="white_on_black")
    return canvas, int(mnist.y_test[index])


def keep(sets, name, mnist, indices) -> list[str]:
    files = []
    for i in indices:
        canvas, label = drawn(mnist, i, seed=i)
        files.append(sets.add(name, canvas, label, canvas_to_mnist(canvas)))
    return files


def snapshot(root) -> dict:
    """Every file under ``root`` (relative path -> bytes): to show that a refused change changed nothing."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def zip_of(members: dict, symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- keeping


def test_keeping_a_drawing_writes_the_original_what_the_model_saw_and_a_label_row(sets, mnist):
    sets.create("class-4b")
    canvas, label = drawn(mnist, 0)
    image28 = canvas_to_mnist(canvas)
    file = sets.add("class-4b", canvas, label, image28)

    folder = sets.path("class-4b")
    assert file == f"0001-{label}.png"
    assert np.array_equal(np.asarray(Image.open(folder / file)), canvas)  # the drawing as it was made
    seen = np.asarray(Image.open(folder / "seen" / f"{file}.png"), dtype=np.float32) / 255
    assert seen.shape == (28, 28) and np.abs(seen - image28).max() <= 0.5 / 255 + 1e-6
    rows = sets.rows("class-4b")
    assert [(r["file"], r["label"]) for r in rows] == [(file, label)]
    assert rows[0]["time"].endswith("Z") and rows[0]["time"][:2] == "20"
    listed = sets.list_sets()
    assert [(s.name, s.count, s.per_digit[label]) for s in listed] == [("class-4b", 1, 1)]
    # The next drawing gets the next number; a set reads back as what the model saw.
    second = keep(sets, "class-4b", mnist, [1])[0]
    assert second.startswith("0002-")
    drawings = sets.drawings("class-4b")
    assert drawings.files == [file, second] and drawings.labels.tolist() == [label, int(mnist.y_test[1])]
    assert np.abs(drawings.images[0] - image28).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize("label", [10, -1, "7a", "", None, True, 3.0, "x"])
def test_a_bad_label_is_refused_and_nothing_is_kept(sets, mnist, label):
    sets.create("s")
    before = snapshot(sets.root)
    canvas, _ = drawn(mnist, 0)
    with pytest.raises(HandwritingError, match="0 to 9"):
        sets.add("s", canvas, label, canvas_to_mnist(canvas))
    assert snapshot(sets.root) == before


@pytest.mark.parametrize("name", ["../x", "A", "", "a/b", ".hidden", "x" * 49, "a b", None])
def test_unsafe_set_names_are_refused(sets, name):
    with pytest.raises(HandwritingError, match="not a set name"):
        sets.create(name)
    assert not sets.root.exists() or not any(p for p in sets.root.iterdir() if p.name != ".lock")


def test_list_rename_delete_and_name_suggestions(sets, mnist):
    assert sets.list_sets() == []
    sets.create("monday")
    keep(sets, "monday", mnist, [0, 1, 2])
    sets.create("tuesday")
    with pytest.raises(HandwritingError, match="already exists"):
        sets.create("monday")
    with pytest.raises(HandwritingError, match="already exists"):
        sets.rename("monday", "tuesday")
    sets.rename("monday", "class-4b")
    assert sorted(s.name for s in sets.list_sets()) == ["class-4b", "tuesday"]
    assert len(sets.rows("class-4b")) == 3
    sets.delete("tuesday")
    assert [s.name for s in sets.list_sets()] == ["class-4b"]
    with pytest.raises(HandwritingError, match="no handwriting set"):
        sets.delete("tuesday")
    assert suggest_set_name("Class 4B, Monday!") == "class-4b-monday"
    assert import_name(sets, "/tmp/Class 4B.zip") == "class-4b-2"  # class-4b exists


# ------------------------------------------------------------------------------------------- zip round trip


def test_export_then_import_gives_the_same_drawings(sets, mnist):
    sets.create("ours")
    keep(sets, "ours", mnist, range(6))
    data = export_set(sets, "ours")
    assert import_set(sets, data, "theirs") == "theirs"
    ours, theirs = sets.drawings("ours"), sets.drawings("theirs")
    assert ours.files == theirs.files and ours.labels.tolist() == theirs.labels.tolist()
    assert np.array_equal(ours.images, theirs.images)
    assert sets.rows("ours") == sets.rows("theirs")  # times travel too
    # A zip of the set's folder (everything inside one top folder, as zipping a folder gives) imports too.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        nested = zip_of(
            {f"ours/{i.filename}": archive.read(i) for i in archive.infolist()} | {"__MACOSX/x": b""}
        )
    import_set(sets, nested, "nested")
    assert sets.drawings("nested").files == ours.files


def _bad_zips(mnist) -> dict[str, bytes]:
    canvas, _ = drawn(mnist, 0)
    good = png(canvas)
    labels = b"file,label\na.png,7\n"
    huge = Image.new("L", (5000, 5000))
    out = io.BytesIO()
    huge.save(out, format="PNG")
    return {
        "not a zip": b"PK\x03\x04 nonsense",
        "no labels.csv": zip_of({"a.png": good}),
        "label 10": zip_of({"labels.csv": b"file,label\na.png,10\n", "a.png": good}),
        "label word": zip_of({"labels.csv": b"file,label\na.png,seven\n", "a.png": good}),
        "no header": zip_of({"labels.csv": b"a.png,7\n", "a.png": good}),
        "missing image": zip_of({"labels.csv": b"file,label\na.png,7\nb.png,3\n", "a.png": good}),
        "listed twice": zip_of({"labels.csv": b"file,label\na.png,7\na.png,3\n", "a.png": good}),
        "not an image": zip_of({"labels.csv": labels, "a.png": b"hello, I am text"}),
        "gif": zip_of({"labels.csv": b"file,label\na.gif,7\n", "a.gif": good}),
        "blank image": zip_of({"labels.csv": labels, "a.png": png(np.zeros((50, 50), np.uint8))}),
        "too many pixels": zip_of({"labels.csv": labels, "a.png": out.getvalue()}),
        "zip slip": zip_of({"labels.csv": labels, "a.png": good, "../evil.png": good}),
        "slip in labels": zip_of({"labels.csv": b"file,label\n../a.png,7\n", "a.png": good}),
        "absolute path": zip_of({"labels.csv": labels, "a.png": good, "/tmp/evil.png": good}),
        "windows path": zip_of({"labels.csv": labels, "a.png": good, "..\\evil.png": good}),
        "symlink": zip_of({"labels.csv": labels, "a.png": good}, symlink="b.png"),
        "unlisted file": zip_of({"labels.csv": labels, "a.png": good, "run.sh": b"rm -rf /"}),
        "hidden file": zip_of({"labels.csv": b"file,label\n.a.png,7\n", ".a.png": good}),
    }


def test_every_bad_import_is_refused_and_the_store_is_unchanged(sets, mnist):
    sets.create("ours")
    keep(sets, "ours", mnist, range(2))
    before = snapshot(sets.root)
    for what, data in _bad_zips(mnist).items():
        with pytest.raises(HandwritingError) as refused:
            import_set(sets, data, "imported")
        assert str(refused.value), what
        assert snapshot(sets.root) == before, what
        assert not sets.exists("imported"), what
    # A good zip under a taken name is refused too.
    with pytest.raises(HandwritingError, match="already exists"):
        import_set(sets, export_set(sets, "ours"), "ours")
    assert snapshot(sets.root) == before


# ------------------------------------------------------------------------------------- folders and scoring


def write_folder(folder, mnist, indices, fmt="PNG") -> list[int]:
    folder.mkdir()
    rows, labels = ["file,label"], []
    for n, i in enumerate(indices):
        canvas, label = drawn(mnist, i, seed=i)
        name = f"d{n}.{'png' if fmt == 'PNG' else 'jpg'}"
        Image.fromarray(canvas[..., :3]).save(folder / name, format=fmt)
        rows.append(f"{name},{label}")
        labels.append(label)
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return labels


def test_read_folder_prepares_png_and_jpeg_like_the_draw_page(tmp_path, mnist):
    labels = write_folder(tmp_path / "png", mnist, range(4))
    write_folder(tmp_path / "jpg", mnist, range(4), fmt="JPEG")
    pngs, jpgs = read_folder(tmp_path / "png"), read_folder(tmp_path / "jpg")
    assert pngs.labels.tolist() == labels and pngs.images.shape == (4, 28, 28)
    canvas, _ = drawn(mnist, 0, seed=0)
    assert np.allclose(pngs.images[0], canvas_to_mnist(canvas[..., :3]), atol=1e-6)
    assert np.abs(jpgs.images - pngs.images).mean() < 0.05  # JPEG artefacts, same digits
    (tmp_path / "png" / "d1.png").unlink()
    with pytest.raises(HandwritingError, match=r"d1\.png is listed"):
        read_folder(tmp_path / "png")
    (tmp_path / "png" / "d1.png").symlink_to("/etc/hostname")
    with pytest.raises(HandwritingError, match="link"):
        read_folder(tmp_path / "png")


class _Oracle:
    """A stand-in model that answers from a table: right for every digit but the listed ones."""

    def __init__(self, labels, wrong: dict[int, int]):
        self.answers = [wrong.get(i, label) for i, label in enumerate(labels)]

    def __call__(self, images, training=False):
        start = self.start
        self.start += len(images)
        return np.eye(10, dtype=np.float32)[self.answers[start : start + len(images)]] * 0.9 + 0.01

    start = 0


def test_scoring_gives_accuracy_confusion_and_named_mistakes(tmp_path, mnist):
    labels = write_folder(tmp_path / "d", mnist, range(5))
    drawings = read_folder(tmp_path / "d")
    wrong_answer = (labels[3] + 1) % 10
    metrics = score_drawings(_Oracle(labels, {3: wrong_answer}), drawings)
    assert metrics["n"] == 5 and metrics["accuracy"] == pytest.approx(0.8)
    assert metrics["confusion"][labels[3]][wrong_answer] == 1
    assert [m[:3] for m in metrics["mistakes"]] == [[3, labels[3], wrong_answer]]
    assert metrics["files"][metrics["mistakes"][0][0]] == "d3.png"


@pytest.mark.slow
def test_evaluate_scores_a_run_on_a_folder_and_a_set(
    capsys, trained_artifacts, trained_store, tmp_path, mnist
):
    _, (baseline_id, _) = trained_store
    labels = write_folder(tmp_path / "drawings", mnist, range(12))
    assert main(["evaluate", baseline_id, "--drawings", str(tmp_path / "drawings"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 12 and np.asarray(result["confusion"]).sum() == 12
    assert np.asarray(result["confusion"]).sum(axis=1).tolist() == np.bincount(labels, minlength=10).tolist()
    assert result["accuracy"] == pytest.approx(np.trace(result["confusion"]) / 12)
    assert result["accuracy"] >= 0.5  # a 95 % model reads most redrawn test digits
    assert 0 < result["mnist_test_accuracy"] <= 1

    assert main(["evaluate", baseline_id, "--drawings", str(tmp_path / "drawings")]) == 0
    assert "of 12 drawings read correctly" in capsys.readouterr().out

    # The same drawings imported as a set, scored by name, give the same figures.
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in (tmp_path / "drawings").iterdir():
            archive.write(path, path.name)
    (tmp_path / "drawings.zip").write_bytes(zipped.getvalue())
    assert main(["sets", "import", str(tmp_path / "drawings.zip"), "--name", "class"]) == 0
    capsys.readouterr()
    assert main(["evaluate", baseline_id, "--set", "class", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["confusion"] == result["confusion"]

    assert main(["evaluate", baseline_id, "--drawings", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["evaluate", "no-such-run", "--drawings", str(tmp_path / "drawings")]) == 2


def test_sets_commands_list_export_import_rename_delete(capsys, artifacts, mnist, tmp_path):
    sets = HandwritingStore()
    sets.create("ours")
    keep(sets, "ours", mnist, range(3))
    assert main(["sets"]) == 0 and "ours" in capsys.readouterr().out
    assert main(["sets", "export", "ours", str(tmp_path / "ours.zip")]) == 0
    assert main(["sets", "import", str(tmp_path / "ours.zip")]) == 0
    assert "3 drawings as the set ours-2" in capsys.readouterr().out
    assert main(["sets", "rename", "ours-2", "copy"]) == 0
    assert main(["sets", "delete", "copy", "--yes"]) == 0
    assert main(["sets", "list", "--json"]) == 0
    capsys.readouterr()
    assert main(["sets", "list", "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["ours"]
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert main(["sets", "import", str(tmp_path / "bad.zip")]) == 2
    assert "not a zip" in capsys.readouterr().err


def test_lesson_rows_come_from_the_figures(tmp_path):
    from mnistlab.handwriting import lesson

    figures = {
        "preset": "dropout",
        "config": {"epochs": 8, "batch_size": 512},
        "seeds": 2,
        "n_redraws": 10000,
        "plain": {"mnist_test": 0.98, "tilted_redraws": 0.91, "train_s": 10.0},
        "augment": {"mnist_test": 0.981, "tilted_redraws": 0.95, "train_s": 13.0},
        "cpu": {"model": "Some CPU", "cores": 2},
    }
    path = tmp_path / "figures.json"
    path.write_text(json.dumps(figures))
    loaded = lesson.load_figures(path)
    rows = lesson.comparison_rows(loaded)
    assert [r["Measured on"] for r in rows] == ["MNIST test set", "Redrawn, tilted and slanted"]
    assert rows[1]["Change (pt)"] == pytest.approx(4.0)
    assert lesson.training_time(loaded) == (10.0, 13.0, pytest.approx(1.3))
    assert "Some CPU (2 cores)" in lesson.setup_line(loaded) and "10,000" in lesson.setup_line(loaded)
    path.write_text("{not json")
    assert lesson.load_figures(path) is None
    assert lesson.load_figures(tmp_path / "missing.json") is None
