"""Map page (AppTest): a cached map with its caption, a picked digit's details, a confusion cell from Inspect,
"computing…" while the map worker works, clear messages for runs without a map.

A hand-made NumPy model stands in for the run's model (no training, no TensorFlow, no worker process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnistlab.maps.compute import MapRequest, compute_map
from tests.test_embedding import tiny_model

ROOT = Path(__file__).resolve().parents[1]
MAP = str(ROOT / "pages" / "map.py")


@pytest.fixture
def model_run(finished_runs, monkeypatch):
    """The better of two finished runs, with a stand-in model file that loads as ``tiny_model()``."""
    store, ids = finished_runs
    model = tiny_model()
    for run_id in ids:
        (store.path(run_id) / "model.keras").write_bytes(b"stand-in")
    monkeypatch.setattr("mnistlab.maps.compute.load_numpy_model", lambda path: model)
    monkeypatch.setattr("mnistlab.app.map_view.cached_model", lambda run_id: model)
    return store, ids[1], model


@pytest.fixture
def mapped_run(model_run):
    store, run_id, model = model_run
    for method in ("pca", "tsne"):  # a t-SNE "map" computed as PCA: the page only reads it
        request = MapRequest(store.load(run_id), model, 2, "pca")
        run_map = compute_map(store, request, limit=500)
        if method == "tsne":
            from mnistlab.maps.cache import save_map

            run_map.info["method"] = "tsne"
            save_map(store.path(run_id), run_map)
    return store, run_id


def page(**query) -> AppTest:
    at = AppTest.from_file(MAP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_a_cached_map_is_shown_with_what_it_is(mapped_run):
    _store, run_id = mapped_run
    at = page().run()
    assert not at.exception
    assert at.selectbox(key="map_run").value == run_id  # the best run first
    assert at.selectbox(key="map_layer").value == 2  # the last hidden layer
    # the map, then the cached layer's small map (layer by layer) and this run's (side by side)
    assert len(at.get("plotly_chart")) == 3
    assert any("t-SNE of layer 2" in c.value and "500 test digits" in c.value for c in at.caption)
    assert any("Click any digit" in info.value for info in at.info)


def test_a_picked_digit_shows_itself_its_neighbours_and_a_link_to_inspect(mapped_run):
    _store, run_id = mapped_run
    at = page()
    at.session_state["map_point_run"] = run_id
    at.session_state["map_point"] = 7
    at.run()
    assert not at.exception
    heading = next(m.value for m in at.markdown if "Test digit #7" in m.value)
    assert "read as" in heading
    assert any("8 test digits closest" in c.value for c in at.caption)
    assert len(at.get("image")) >= 2  # the digit, large, and its neighbours
    links = [el for el in at.get("page_link")] + [m for m in at.markdown if "/inspect" in m.value]
    assert links, "a link to the digit's confusion cell on Inspect"
    at.segmented_control(key="map_space").set_value("map").run()
    assert any("closest to it on the map" in c.value for c in at.caption)


def test_a_confusion_cell_from_inspect_is_ringed(mapped_run):
    at = page(true="3", pred="3").run()
    assert not at.exception
    assert any("Ringed: the" in info.value and "of **3** read as **3**" in info.value for info in at.info)
    bad = page(true="3", pred="x").run()
    assert any("not a confusion-matrix cell" in w.value for w in bad.warning)


def test_without_a_cached_map_the_worker_starts_and_the_page_shows_computing(model_run, monkeypatch):
    started = []
    monkeypatch.setattr("mnistlab.maps.worker.start", lambda root, request: started.append(request))
    monkeypatch.setattr(
        "mnistlab.maps.worker.status",
        lambda root, request: {"status": "running", "fraction": 0.4, "text": "t-SNE iteration 300 of 750"},
    )
    at = page().run()
    assert not at.exception
    assert [(r.layer, r.method) for r in started] == [(2, "pca")]  # PCA first: t-SNE when asked for
    assert not at.get("plotly_chart")
    assert any("Computing the map" in str(p.proto) for p in at.get("progress"))


def test_a_failed_computation_says_why_and_offers_to_try_again(model_run, monkeypatch):
    monkeypatch.setattr(
        "mnistlab.maps.worker.status", lambda root, request: {"status": "failed", "error": "MemoryError: no"}
    )
    at = page().run()
    assert any("Computing this map failed: MemoryError" in e.value for e in at.error)
    assert at.button(key="map_retry")


def test_a_run_whose_model_cannot_be_read_gets_a_clear_message(finished_runs):
    at = page().run()
    assert not at.exception
    assert any("No map for this run" in e.value and "no saved model" in e.value for e in at.error)


def test_no_runs_yet(artifacts):
    at = page().run()
    assert not at.exception
    assert not at.get("plotly_chart")


def _drawing_view(run_id: str, index: int) -> None:
    from mnistlab.app.map_view import drawing_on_map
    from mnistlab.app.state import get_store, test_images

    drawing_on_map(get_store().load(run_id), test_images()[index].astype("float32") / 255)


def test_a_drawing_lands_on_the_cached_map_among_its_nearest_digits(mapped_run, model_run):
    from mnistlab.maps.cache import load_map
    from mnistlab.maps.reading import land

    store, run_id = mapped_run
    at = AppTest.from_function(_drawing_view, args=(run_id, 7), default_timeout=60).run()
    assert not at.exception
    run_map = load_map(store.path(run_id), 2, "tsne")
    expected = land(run_map, model_run[2], _image(7))
    assert any(f"lands among the {expected.among}s" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1


def test_a_drawing_on_a_run_without_a_map_links_to_the_map_page(model_run):
    _, run_id, _ = model_run
    at = AppTest.from_function(_drawing_view, args=(run_id, 0), default_timeout=60).run()
    assert not at.exception
    assert any("no map yet" in c.value for c in at.caption)
    assert not at.get("plotly_chart")


def _image(index: int):
    from mnistlab.data import load_mnist

    return load_mnist().x_test[index].astype("float32") / 255


def test_layer_by_layer_and_side_by_side_queue_the_missing_maps(mapped_run, monkeypatch):
    started = []
    monkeypatch.setattr("mnistlab.maps.worker.start", lambda root, request: started.append(request))
    at = page().run()
    assert not at.exception
    assert sum("Not computed yet" in c.value for c in at.caption) == 3  # pixels, layer 1, the other run
    assert any("same digit" in c.value for c in at.caption)  # the cached layer's neighbour agreement
    at.button(key="map_layers_go").click().run()
    assert [(r.layer, r.method) for r in started] == [(0, "tsne"), (1, "tsne")]
    assert at.selectbox(key="map_pair_run").value != at.selectbox(key="map_run").value
    at.button(key="map_pair_go").click().run()
    assert [(r.layer, r.method) for r in started[2:]] == [(2, "tsne")]


def test_an_imported_run_gets_a_clear_message(model_run):
    store, run_id, _ = model_run
    store.update(run_id, origin="imported")
    at = page(run=run_id).run()
    assert not at.exception
    assert any("imported model" in e.value for e in at.error)
    assert not at.get("plotly_chart")


def test_inspect_opens_on_the_cell_a_map_link_names_and_links_back(finished_runs):
    store, ids = finished_runs
    confusion = [[50 if t == p else (4 if (t, p) == (9, 4) else 1) for p in range(10)] for t in range(10)]
    store.save_metrics(
        ids[0], {"confusion": confusion, "mistakes": [[11, 3, 5, 0.9]], "per_class": {}, "n": 590}
    )
    at = AppTest.from_file(str(ROOT / "pages" / "inspect.py"), default_timeout=60)
    at.query_params.update({"run": ids[0], "true": "3", "pred": "5"})
    at.run()
    assert not at.exception
    assert (at.selectbox(key="cell_true").value, at.selectbox(key="cell_pred").value) == (3, 5)
    links = [str(el.proto) for el in at.get("page_link")] + [m.value for m in at.markdown]
    assert any("Light these digits up on the map" in text for text in links)
    plain = AppTest.from_file(str(ROOT / "pages" / "inspect.py"), default_timeout=60)
    plain.query_params["run"] = ids[0]
    plain.run()
    assert (plain.selectbox(key="cell_true").value, plain.selectbox(key="cell_pred").value) == (9, 4)
