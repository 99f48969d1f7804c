"""The pages' dataset side without Streamlit: pickers, runs kept apart by dataset, class names, framing."""

from types import SimpleNamespace

import numpy as np

from mnistlab import dataset_choice as choice
from mnistlab.drawing import canvas_to_filled, canvas_to_mnist, prepare_drawing
from mnistlab.legible import OK, UNSURE, judge_drawing, read_drawing


def run(run_id, dataset="mnist", accuracy=0.9, model=True):
    return SimpleNamespace(id=run_id, dataset=dataset, test_accuracy=accuracy, has_model=model)


def test_options_list_both_sets_and_say_how_to_get_a_missing_one(monkeypatch):
    options = {o.name: o for o in choice.dataset_options()}
    assert list(options)[:2] == ["mnist", "fashion-mnist"]
    assert options["mnist"].available and options["mnist"].label == "MNIST"
    monkeypatch.setenv("MNISTLAB_DATASETS", "/nonexistent")
    monkeypatch.setattr("mnistlab.datasets.registry.SYSTEM_DIRS", ())
    missing = {o.name: o for o in choice.dataset_options()}["fashion-mnist"]
    assert not missing.available and "apt-get install dataset-fashion-mnist" in missing.missing
    assert missing.label == "Fashion-MNIST (not installed)"


def test_class_names_and_predictions_read_in_the_runs_dataset():
    assert choice.class_label("mnist", 7) == "7"
    assert choice.class_label("fashion-mnist", 1) == "Trouser"
    assert choice.class_choice("fashion-mnist", 9) == "9 · Ankle boot"
    assert choice.class_choice("mnist", 3) == "3"
    probabilities = np.full(10, 0.07 / 9)
    probabilities[1] = 0.93
    assert choice.prediction_text("fashion-mnist", probabilities) == "Trouser, 93 %"
    assert choice.prediction_text("mnist", probabilities) == "1, 93 %"
    assert choice.item_word("fashion-mnist") == "item" and choice.item_word("mnist") == "digit"
    assert choice.title("no-such-set") == "no-such-set"  # an old run of a removed set still shows


def test_runs_are_kept_apart_and_the_page_opens_on_the_newest_runs_dataset():
    runs = [run("f2", "fashion-mnist", 0.85), run("m1", "mnist", 0.98), run("f1", "fashion-mnist", 0.88)]
    assert choice.datasets_in(runs) == ["mnist", "fashion-mnist"]
    assert [r.id for r in choice.runs_on(runs, "fashion-mnist")] == ["f2", "f1"]
    assert choice.default_dataset(runs) == "fashion-mnist"  # newest first: what was just trained
    assert choice.default_dataset(runs, wanted_run="m1") == "mnist"
    assert (
        choice.default_dataset([run("x", "fashion-mnist", None, model=False), run("m", "mnist")]) == "mnist"
    )
    assert choice.default_dataset([]) == "mnist"
    assert choice.dataset_note("fashion-mnist", 1) == "1 run on Fashion-MNIST"


def test_the_augment_option_speaks_of_the_chosen_sets_images():
    label, help = choice.augment_words("mnist")
    assert (
        label == "Augment: tilt, slant, resize and thicken digits during training"
    )  # MNIST's own variations
    assert "drawn digits" in help and "Why does it misread my 7?" in help
    label, help = choice.augment_words("fashion-mnist")
    assert label == "Augment: vary the items at random during training"
    assert "digit" not in (label + help).lower() and "7" not in help  # no digit lesson for clothes
    assert "Fashion-MNIST" in help and "predictions work exactly as without" in help


def test_the_link_to_draw_names_what_to_draw():
    assert choice.draw_link("mnist") == "Draw a digit for it"
    assert choice.draw_link("fashion-mnist") == "Draw an item for it"


def test_a_job_names_its_dataset_in_a_picker_unless_its_name_already_does():
    from mnistlab.training import TrainConfig

    def job(name, dataset=None, config=True):
        return SimpleNamespace(
            name=name,
            label=f"{name} (queued)",
            config=(TrainConfig(dataset=dataset) if dataset else TrainConfig()) if config else None,
        )

    assert choice.job_dataset(job("a", "fashion-mnist")) == "fashion-mnist"
    assert choice.job_dataset(job("a")) == "mnist"
    assert choice.job_dataset(job("a", config=False)) == "mnist"  # a record without a config
    assert choice.job_dataset(SimpleNamespace(config={"dataset": "fashion-mnist"})) == "fashion-mnist"
    assert choice.job_label(job("first")) == "first (queued)"
    assert choice.job_label(job("first", "fashion-mnist")) == "first (queued) · Fashion-MNIST"
    study = job("baseline seed 0 · Fashion-MNIST", "fashion-mnist")
    assert choice.job_label(study) == "baseline seed 0 · Fashion-MNIST (queued)"  # said once, not twice
    name = "baseline seed 0 · Fashion-MNIST"
    run = SimpleNamespace(name=name, label=f"{name} (completed)", dataset="fashion-mnist")
    assert choice.run_label(run) == f"{name} (completed)"
    assert choice.run_label(SimpleNamespace(name="b", label="b (completed)", dataset="fashion-mnist")) == (
        "b (completed) · Fashion-MNIST"
    )


def test_sample_rows_take_one_image_per_class_per_row():
    images = np.arange(6 * 4).reshape(6, 2, 2)
    labels = np.array([0, 1, 2, 0, 1, 1])
    rows = choice.sample_rows(images, labels, num_classes=3, rows=2)
    assert [[int(im[0, 0]) for im in row] for row in rows] == [[0, 4, 8], [12, 16, 8]]  # class 2: once only


def outline(size=280):
    """A closed rectangle outline (a bag, roughly), wider than tall, in the upper left."""
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[40:140, 20:220, :3] = 255
    rgba[52:128, 32:208, :3] = 0
    return rgba


def test_a_fashion_drawing_fills_the_frame_and_its_outline_is_filled():
    filled = canvas_to_filled(outline())
    assert filled.shape == (28, 28)
    cols = np.flatnonzero(filled.max(axis=0) > 0.1)
    assert cols[0] == 0 and cols[-1] == 27  # the longer side spans the whole frame
    rows = np.flatnonzero(filled.max(axis=1) > 0.1)
    assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1  # centred
    assert 0.4 < filled[14, 14] < 0.8  # the inside of the outline is grey, not empty
    mnist_like = canvas_to_mnist(outline())
    assert np.flatnonzero(mnist_like.max(axis=0) > 0.1).size <= 21  # MNIST's 20-pixel box
    assert np.array_equal(prepare_drawing(outline(), "filled"), filled)
    assert np.array_equal(prepare_drawing(outline(), "centred"), mnist_like)
    assert canvas_to_filled(np.zeros((280, 280), np.uint8)) is None


def test_a_solid_shape_is_an_item_on_a_fashion_set_but_a_blob_on_mnist():
    blob = np.zeros((280, 280), np.uint8)
    blob[60:220, 60:220] = 255
    assert judge_drawing(blob).verdict == UNSURE and "digit" in judge_drawing(blob).message
    assert judge_drawing(blob, framing="filled", item="item").verdict == OK
    probabilities = np.array([0.45, 0.4] + [0.15 / 8] * 8)
    unsure = judge_drawing(
        outline(), probabilities, item="item", class_names=choice.class_names("fashion-mnist")
    )
    assert "45% for a T-shirt/top, 40% for a Trouser" in unsure.message


def test_read_drawing_prepares_for_the_sets_framing():
    def model(batch, training=False):
        seen.append(batch[0])
        return np.eye(10, dtype=np.float32)[[1]]

    seen = []
    reading = read_drawing(outline(), model, framing="filled", item="item")
    assert reading.judgement.verdict == OK and np.array_equal(seen[0], canvas_to_filled(outline()))


def test_charts_name_the_classes_of_a_fashion_run():
    from mnistlab.app import charts

    names = choice.class_names("fashion-mnist")
    cm = np.diag([5] * 10)
    fig = charts.confusion_heatmap(cm, class_names=names)
    assert list(fig.layout.xaxis.ticktext)[9] == "Ankle boot" and fig.layout.yaxis.title.text == "true"
    assert fig.data[1].hovertemplate[1].startswith("true T-shirt/top → predicted Trouser")
    assert fig.data[1].x[1] == "1"  # cells stay addressed by class number: clicks pick the same selectboxes
    bars = charts.probability_bars(np.eye(10)[1], class_names=names)
    assert list(bars.data[0].x)[:2] == ["T-shirt/top", "Trouser"] and bars.layout.xaxis.title.text == "class"


def test_the_claims_are_checked_per_dataset():
    from mnistlab.study import claims
    from tests.two_datasets import counted_run as counted

    runs = [counted("baseline", s, 0.975, "mnist") for s in range(3)]
    runs += [counted("baseline", s, 0.86, "fashion-mnist") for s in range(3)]
    assert claims.group_runs(runs)["baseline"].n == 3  # MNIST unless named
    assert claims.check_claims(runs)[0].verdict == claims.HOLDS
    assert claims.check_claims(runs, dataset="fashion-mnist")[0].verdict == claims.FAILS  # ~97 % is MNIST's
    assert ("baseline", 0) not in claims.missing_runs(runs, dataset="fashion-mnist")
    assert claims.missing_runs([], dataset="fashion-mnist")[0] == ("baseline", 0)
    rows = claims.verdicts_by_dataset(runs, ["mnist", "fashion-mnist"])
    assert rows[0] == {"Claim": rows[0]["Claim"], "MNIST": claims.HOLDS, "Fashion-MNIST": claims.FAILS}
