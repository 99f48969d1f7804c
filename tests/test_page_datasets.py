"""Every page with a Fashion-MNIST run beside an MNIST run: never mixed, class names where classes show.

Fast-lane tests write finished runs without models; ``slow`` ones use ``two_dataset_artifacts`` (one tiny
trained run per dataset). Tests that read Fashion-MNIST skip without Debian's package (fail in CI)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.two_datasets import FASHION, finished_run

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=90)


def test_compare_opens_on_the_newest_runs_dataset_and_never_mixes_them(store):
    m1 = finished_run(store, "baseline", "mnist", 0.975, seed=1)
    m2 = finished_run(store, "dropout", "mnist", 0.981, seed=1)
    f1 = finished_run(store, "baseline", "fashion-mnist", 0.872, seed=1)
    at = page("compare").run()
    assert not at.exception
    assert at.segmented_control(key="compare_dataset").value == "fashion-mnist"  # the newest run's
    assert at.multiselect(key="compare_runs").options == [f"{store.load(f1).label}"]
    table = at.dataframe[0].value
    assert list(table["Run id"]) == [f1] and set(table["Dataset"]) == {"Fashion-MNIST"}
    at.segmented_control(key="compare_dataset").set_value("mnist").run()
    assert not at.exception
    assert sorted(at.multiselect(key="compare_runs").value) == sorted([m1, m2])
    assert set(at.dataframe[0].value["Dataset"]) == {"MNIST"}
    assert at.selectbox(key="manage_run").options  # housekeeping still reaches every run
    assert len(at.selectbox(key="manage_run").options) == 3


def test_compare_with_one_dataset_shows_no_filter(store):
    finished_run(store, "baseline", "mnist", 0.975)
    at = page("compare").run()
    assert not at.exception
    assert not [w for w in at.get("button_group") if getattr(w, "key", None) == "compare_dataset"]
    assert set(at.dataframe[0].value["Dataset"]) == {"MNIST"}


def test_train_picks_fashion_mnist_and_the_job_trains_on_it(artifacts, monkeypatch):
    import threading

    import mnistlab.app.state
    from mnistlab.runs.jobs import JobRunner

    release = threading.Event()
    runner = JobRunner(store_of(artifacts), workers=1, work=lambda job, ctx: release.wait(10))
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = page("train").run()
        assert at.selectbox(key="train_dataset").value == "mnist"  # MNIST stays the default
        assert any("Training on **MNIST**" in c.value for c in at.caption)
        assert at.checkbox(key="train_augment").label.startswith(
            "Augment: tilt, slant, resize and thicken digits"
        )
        assert at.number_input(key="train_subset").label == "Training images"
        at.checkbox(key="train_augment").check().run()
        at.selectbox(key="train_dataset").set_value("fashion-mnist").run()
        assert not at.exception
        assert any("Training on **Fashion-MNIST**" in c.value and "Ankle boot" in c.value for c in at.caption)
        assert list(at.dataframe[0].value["Layer"])[-1] == "Dense(10, softmax)"
        augment = at.checkbox(key="train_augment")
        assert (
            augment.label == "Augment: vary the items at random during training"
            and "digit" not in augment.help
        )
        assert augment.value  # new words, same choice: the tick survives the change of dataset
        assert at.number_input(key="train_subset").label == "Training images"
        at.button(key="train_start").click().run()
        assert not at.exception
        [job] = runner.jobs()
        assert job.config.dataset == "fashion-mnist" and job.config.augment
    finally:
        release.set()
        runner.shutdown()


def test_train_settings_follow_the_presets_recipe_for_the_chosen_set(artifacts):
    """cnn on Fashion-MNIST trains by its own recipe (more epochs, augmented); settings a user typed stay."""
    from mnistlab.recipes import recommended_config

    fashion = recommended_config("cnn", dataset="fashion-mnist")
    digits = recommended_config("cnn")
    assert (fashion.epochs, fashion.augment) != (digits.epochs, digits.augment)  # else nothing to follow
    at = page("train").run()
    at.selectbox(key="train_start_from").set_value("cnn").run()
    assert at.number_input(key="train_epochs").value == digits.epochs
    at.selectbox(key="train_dataset").set_value("fashion-mnist").run()
    assert not at.exception
    assert at.number_input(key="train_epochs").value == fashion.epochs
    assert at.selectbox(key="train_batch").value == fashion.batch_size
    assert at.checkbox(key="train_augment").value == fashion.augment
    at.selectbox(key="train_dataset").set_value("mnist").run()
    assert at.number_input(key="train_epochs").value == digits.epochs
    assert at.checkbox(key="train_augment").value == digits.augment
    at.number_input(key="train_epochs").set_value(3).run()  # the user's own budget
    at.selectbox(key="train_dataset").set_value("fashion-mnist").run()
    assert at.number_input(key="train_epochs").value == 3
    assert at.checkbox(key="train_augment").value == digits.augment


def test_train_names_a_missing_dataset_and_starts_nothing(artifacts, monkeypatch):
    import mnistlab.app.state
    from mnistlab.runs.jobs import JobRunner

    monkeypatch.setenv("MNISTLAB_DATASETS", str(artifacts / "no-sets"))
    monkeypatch.setattr("mnistlab.datasets.registry.SYSTEM_DIRS", ())
    runner = JobRunner(store_of(artifacts), workers=1, work=lambda job, ctx: "completed")
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = page("train").run()
        at.selectbox(key="train_dataset").set_value("fashion-mnist").run()
        assert any("apt-get install dataset-fashion-mnist" in w.value for w in at.warning)
        at.button(key="train_start").click().run()
        assert not at.exception
        assert any(e.value.startswith("Dataset: Fashion-MNIST is not on this machine") for e in at.error)
        assert runner.jobs() == []
    finally:
        runner.shutdown()


def test_train_lists_each_jobs_dataset(artifacts, monkeypatch, wait_until):
    """Your trainings: a finished and a queued Fashion-MNIST job beside a running MNIST one, each with its set."""
    import threading

    import mnistlab.app.state
    from mnistlab.runs.jobs import JobRunner

    release = threading.Event()
    store = store_of(artifacts)

    def work(job, ctx):
        if job.name != "quick":
            return release.wait(10) and "completed"
        ctx.set_run(finished_run(store, "baseline", job.config.dataset, 0.84, name="quick"))
        return "completed"

    runner = JobRunner(store, workers=1, work=work)
    monkeypatch.setattr(mnistlab.app.state, "get_runner", lambda: runner)
    try:
        at = page("train").run()
        for name, dataset in (("quick", "fashion-mnist"), ("slow", "mnist"), ("later", "fashion-mnist")):
            at.selectbox(key="train_dataset").set_value(dataset).run()
            at.text_input(key="train_name").input(name).run()
            at.button(key="train_start").click().run()
            assert not at.exception
            if name == "quick":
                [quick] = runner.jobs()
                assert runner.wait(quick.id, timeout=10).status == "completed"
        slow = next(job for job in runner.jobs() if job.name == "slow")
        wait_until(lambda: runner.get(slow.id).status == "running", 10, "the MNIST job to start")
        at.run()
        table = at.dataframe[-1].value  # Your trainings, newest first
        assert list(table["Name"]) == ["later", "slow", "quick"]
        assert list(table["Dataset"]) == ["Fashion-MNIST", "MNIST", "Fashion-MNIST"]
        states = list(table["State"])
        assert states[0].startswith("queued") and states[1].startswith("running") and states[2] == "completed"
        assert at.selectbox(key="train_show_job").options == [
            "later (queued) · Fashion-MNIST",
            "slow (running)",
            "quick (completed) · Fashion-MNIST",
        ]
        assert any(c.value.startswith("Fashion-MNIST · Dense(128) · ") for c in at.caption)  # the shown job
        at.selectbox(key="train_show_job").set_value(quick.id).run()
        assert any("84.00%" in s.value for s in at.success)
        quick_run = runner.get(quick.id).run_id
        assert any(
            f"[Draw an item for it](/draw?run={quick_run})" in m.value for m in at.markdown
        )  # no digit
    finally:
        release.set()
        runner.shutdown()


def store_of(artifacts):
    from mnistlab.runs.store import RunStore

    return RunStore(artifacts / "runs")


def test_learn_checks_the_claims_per_dataset_and_queues_fashion_runs(store, monkeypatch):
    from mnistlab.app import state as ui
    from tests.test_claims import NOTEBOOK_LIKE, fill
    from tests.test_page_learn import QueueOnlyRunner, open_tab

    fill(store, NOTEBOOK_LIKE)  # the notebook's study on MNIST, 3 seeds each
    finished_run(store, "baseline", "fashion-mnist", 0.87)  # a small Fashion-MNIST run: not counted
    runner = QueueOnlyRunner()
    monkeypatch.setattr(ui, "get_runner", lambda: runner)
    at = open_tab("Claim check")
    assert not at.exception
    assert at.selectbox(key="claims_dataset").value == "mnist"
    side_by_side = at.dataframe[1].value.set_index("Claim")
    assert list(side_by_side.columns) == ["MNIST", "Fashion-MNIST"]
    assert set(side_by_side["Fashion-MNIST"]) == {"not enough runs"}
    assert "holds" in set(side_by_side["MNIST"])
    at.selectbox(key="claims_dataset").set_value("fashion-mnist").run()
    assert not at.exception
    assert "12 run(s) missing** (baseline seed 0" in "\n".join(m.value for m in at.markdown)
    at.button(key="claims_run").click().run()
    assert [(j.preset, j.config.seed, j.config.dataset) for j in runner.queued] == [
        ("baseline", 0, "fashion-mnist"),
        ("baseline", 1, "fashion-mnist"),
    ]


def counted_run(store, preset: str, seed: int, accuracy: float, dataset: str, duration_s: float) -> str:
    """A run the claim check counts (all images, the standard epochs), with a gap between its curves."""
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    config = TrainConfig(seed=seed, dataset=dataset).to_dict()
    run_id = store.create(PRESETS[preset], config, name=f"{preset} seed {seed} on {dataset}", preset=preset)
    store.save_history(run_id, {"accuracy": [0.9, 0.95], "val_accuracy": [0.88, 0.9]})
    store.finish(run_id, "completed", test_accuracy=accuracy, epochs_done=10, duration_s=duration_s)
    return run_id


def lesson_runs(store) -> None:
    """Deeper and dropout, 3 seeds each on MNIST (the faster runs: a mix-up would show), then on Fashion-MNIST."""
    for dataset, accuracies, seconds in (
        ("mnist", (0.969, 0.981), 3.0),
        ("fashion-mnist", (0.874, 0.884), 9.0),
    ):
        for preset, accuracy in zip(("deeper", "dropout"), accuracies, strict=True):
            for seed in range(3):
                counted_run(store, preset, seed, accuracy + seed / 1000, dataset, seconds)


def test_learn_widths_lesson_uses_the_chosen_sets_runs(store):
    from tests.test_page_learn import open_tab, texts

    lesson_runs(store)
    at = open_tab("How many neurons?")
    assert not at.exception
    assert at.selectbox(key="widths_dataset").value == "fashion-mnist"  # the newest runs' set
    assert at.subheader[0].value == "The funnel: 784 pixels down to 10 classes"
    assert "Fashion-MNIST's images are 28×28 like MNIST's" in texts(at)  # what stays MNIST's, said
    presets = at.dataframe[-1].value.set_index("preset")
    assert list(presets.columns) == ["widths", "parameters", "notebook (MNIST)", "your runs on Fashion-MNIST"]
    assert presets.loc["dropout", "your runs on Fashion-MNIST"] == "88.50 % (3 seeds)"
    assert presets.loc["baseline", "your runs on Fashion-MNIST"] == "no runs"
    assert "on fashion-mnist” (whole run time" in texts(at)  # the speed of a Fashion-MNIST run
    assert next(m for m in at.metric if m.label.startswith("Multiply-adds")).label == "Multiply-adds / item"
    at.selectbox(key="widths_dataset").set_value("mnist").run()
    assert not at.exception
    assert at.subheader[0].value == "The funnel: 784 pixels down to 10 digits"
    assert "28×28 like MNIST's" not in texts(at)
    presets = at.dataframe[-1].value.set_index("preset")
    assert presets.loc["dropout", "your runs on MNIST"] == "98.20 % (3 seeds)"
    assert "on mnist” (whole run time" in texts(at) and "on fashion-mnist”" not in texts(at)


def test_learn_dropout_lesson_measures_the_chosen_set_only(store):
    from tests.test_page_learn import open_tab, texts

    lesson_runs(store)
    at = open_tab("Why dropout?")
    assert not at.exception
    assert at.selectbox(key="dropout_dataset").value == "fashion-mnist"
    assert "train a run on Fashion-MNIST to see a real layer here" in texts(at)  # none has a model
    assert "The measured effect on Fashion-MNIST: deeper vs dropout" in [h.value for h in at.subheader]
    effect = {m.label: m.value for m in at.metric}
    assert effect["deeper"].startswith("87.5") and effect["dropout"].startswith("88.5")
    assert "3 seed(s) on Fashion-MNIST · notebook (one run, MNIST): 98.11 %" in texts(at)
    gap = at.get("plotly_chart")[-1].proto.spec
    assert "on fashion-mnist" in gap and "on mnist" not in gap  # one line per run of this set
    assert "better on items it trained on" in texts(at)
    at.selectbox(key="dropout_dataset").set_value("mnist").run()
    assert not at.exception
    effect = {m.label: m.value for m in at.metric}
    assert effect["deeper"].startswith("97.0") and effect["dropout"].startswith("98.2")
    gap = at.get("plotly_chart")[-1].proto.spec
    assert "on mnist" in gap and "on fashion-mnist" not in gap


def test_a_sweep_from_the_form_trains_on_the_chosen_dataset(artifacts, monkeypatch):
    from test_page_sweep import wait_for_sweeps
    from test_sweep_runner import FakeTraining

    from mnistlab.runs import jobs, runners
    from mnistlab.sweeps.store import SweepStore

    monkeypatch.setattr(jobs, "train_job", FakeTraining(pause_s=0, make_runs=True))
    try:
        at = page("sweep").run()
        assert at.selectbox(key="sweep_dataset").value == "mnist"
        at.selectbox(key="sweep_dataset").set_value("fashion-mnist").run()
        at.number_input(key="sweep_trials").set_value(2)
        at.button(key="sweep_start").click().run()
        assert not at.exception and not at.error
        wait_for_sweeps(artifacts)
        at.run()
        assert not at.exception
        [sweep_id] = SweepStore(artifacts / "sweeps").ids()
        assert "on **Fashion-MNIST**" in " ".join(c.value for c in at.caption)
        assert "Fashion-MNIST" in at.selectbox(key="sweep_selected").format_func(sweep_id)
    finally:
        runners.shutdown(wait=True, timeout=20)


def test_home_shows_sample_images_of_the_chosen_dataset(artifacts):
    from tests.two_datasets import needs_fashion

    needs_fashion()
    at = page("home").run()
    assert at.selectbox(key="home_dataset").value == "mnist" and len(at.image) == 2
    at.selectbox(key="home_dataset").set_value("fashion-mnist").run()
    assert not at.exception
    assert len(at.image) == 2  # two rows, one item of each class
    caption = " ".join(c.value for c in at.caption)
    assert "left to right: T-shirt/top, Trouser" in caption and "Ankle boot" in caption


# ------------------------------------------------------------------ with a tiny trained run on each dataset


def test_inspect_scores_a_fashion_run_on_its_own_test_set_with_class_names(
    two_dataset_artifacts, two_dataset_store
):
    store, ids = two_dataset_store
    at = page("inspect")
    at.query_params["run"] = ids["fashion-mnist"]
    at.run()
    assert not at.exception
    per_class = at.dataframe[0].value
    assert list(per_class["Class"]) == list(FASHION)
    metrics = store.metrics(ids["fashion-mnist"])
    assert list(per_class["Test items"]) == metrics["per_class"]["support"]
    assert "trained on Fashion-MNIST" in " ".join(c.value for c in at.caption)
    heatmap = at.get("plotly_chart")[0].proto.spec
    assert "Ankle boot" in heatmap
    assert at.selectbox(key="cell_true").format_func(1) == "1 · Trouser"
    worst = [c for img in at.image for c in img.captions if "→" in c]
    assert worst and all(c.split(" → ")[0] in FASHION for c in worst)  # spaced: breaks between words
    at.selectbox(key="inspect_run").set_value(ids["mnist"]).run()  # and back to digits
    assert not at.exception
    assert list(at.dataframe[0].value["Digit"]) == list(range(10))


def test_draw_reads_a_fashion_picture_with_class_names_and_says_how_it_prepares_it(
    two_dataset_artifacts, two_dataset_store, monkeypatch
):
    import sys
    from types import SimpleNamespace

    import numpy as np

    from mnistlab.datasets import load_dataset

    _, ids = two_dataset_store
    data = load_dataset("fashion-mnist")
    trouser = data.x_test[np.flatnonzero(data.y_test == 1)[0]]
    picture = np.zeros((280, 280, 4), np.uint8)
    picture[..., :3] = np.kron(trouser, np.ones((10, 10), np.uint8))[..., None]
    picture[..., 3] = 255
    canvas = SimpleNamespace(json_data={"objects": [{"type": "path", "path": "trouser"}]}, image_data=picture)
    monkeypatch.setitem(
        sys.modules, "streamlit_drawable_canvas", SimpleNamespace(st_canvas=lambda **kw: canvas)
    )
    at = page("draw")
    at.query_params["run"] = ids["fashion-mnist"]
    at.run()
    assert not at.exception
    assert at.title[0].value == "Draw an item"
    shown = "\n".join(m.value for m in at.markdown)
    headline = next(
        line for line in shown.splitlines() if "Prediction: " in line or "Not sure: maybe" in line
    )
    assert any(name in headline for name in FASHION)
    assert any(
        f"{name}, " in shown and " %** confident · model" in shown for name in FASHION
    )  # "Trouser, 93 %"
    assert any("fills the 28×28 frame" in c.value for c in at.caption)
    at.query_params["run"] = ids["mnist"]
    at.selectbox(key="draw_run").set_value(ids["mnist"]).run()
    assert at.title[0].value == "Draw a digit"
    assert any("centre of mass" in c.value for c in at.caption)


def test_learn_looks_inside_a_fashion_run_with_its_own_test_items(two_dataset_artifacts, two_dataset_store):
    _, ids = two_dataset_store
    at = AppTest.from_file(str(PAGES / "learn.py"), default_timeout=120)
    at.session_state["learn_tab"] = "Inside the network"
    at.session_state["inside_run"] = ids["fashion-mnist"]
    at.run()
    assert not at.exception
    assert any("Test item #0 is an Ankle boot" in c.value for c in at.caption)  # Fashion-MNIST's first
    assert "The network says" in "\n".join(m.value for m in at.markdown)


def test_learn_shows_dropout_on_a_layer_of_the_chosen_sets_run(two_dataset_artifacts):
    at = AppTest.from_file(str(PAGES / "learn.py"), default_timeout=120)
    at.session_state["learn_tab"] = "Why dropout?"
    at.run()
    assert not at.exception
    assert at.selectbox(key="dropout_dataset").value == "fashion-mnist"  # the newest run's
    captions = "\n".join(c.value for c in at.caption)
    assert "Test item #0 of Fashion-MNIST is an Ankle boot." in captions
    assert "the real activations of `" in captions and "“tiny fashion-mnist”" in captions
    at.selectbox(key="dropout_dataset").set_value("mnist").run()
    assert not at.exception
    captions = "\n".join(c.value for c in at.caption)
    assert "Test digit #0 of MNIST is a 7." in captions and "“tiny mnist”" in captions


def test_map_of_a_fashion_run_places_its_own_test_items_by_class_name(store, monkeypatch):
    from mnistlab.maps.compute import MapRequest, compute_map
    from tests.test_embedding import tiny_model
    from tests.two_datasets import needs_fashion

    needs_fashion()
    model = tiny_model()
    finished_run(store, "baseline", "mnist", 0.97)
    run_id = finished_run(store, "baseline", "fashion-mnist", 0.85)
    (store.path(run_id) / "model.keras").write_bytes(b"stand-in")
    monkeypatch.setattr("mnistlab.maps.compute.load_numpy_model", lambda path: model)
    monkeypatch.setattr("mnistlab.app.map_view.cached_model", lambda run_id: model)
    run_map = compute_map(store, MapRequest(store.load(run_id), model, 2, "pca"), limit=500)
    from mnistlab.datasets import load_dataset

    assert list(run_map.labels) == list(load_dataset("fashion-mnist").y_test[:500])  # its own test set
    at = page("map")
    at.query_params["run"] = run_id
    at.session_state["map_point_run"] = run_id
    at.session_state["map_point"] = 0
    at.session_state["map_method"] = "pca"
    at.run()
    assert not at.exception
    assert any("500 test items of Fashion-MNIST" in c.value for c in at.caption)
    assert '"name":"Trouser"' in at.get("plotly_chart")[0].proto.spec.replace(" ", "")
    heading = next(m.value for m in at.markdown if "Test item #0" in m.value)
    assert "Test item #0: an Ankle boot, read as" in heading
