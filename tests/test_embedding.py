"""Maps: layers and activations in NumPy, PCA and t-SNE fits, placing new points, the cache, bad requests.

A small hand-made NumPy model (no TensorFlow, no training) stands in for a run's model in the fast lane; the
CLI on a trained run is in tests/test_cli_map.py."""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab.inference import NumpyModel, _dense, _flatten
from mnistlab.maps import MapError
from mnistlab.maps.cache import RunMap, load_map, map_paths, save_map
from mnistlab.maps.compute import MapRequest, check_request, compute_map, get_or_compute
from mnistlab.maps.embedding import fit
from mnistlab.maps.layers import activations, check_layer, default_layer, map_layers
from mnistlab.maps.reading import cell_indices, land, neighbours

N = 500


def tiny_model(seed: int = 0) -> NumpyModel:
    """784 -> 32 relu -> 16 relu -> 10 softmax, random weights."""
    r = np.random.default_rng(seed)
    w = [r.normal(0, s, size=shape).astype(np.float32) for s, shape in ((0.05, (784, 32)), (0.2, (32, 16)))]
    w3 = r.normal(0, 0.3, size=(16, 10)).astype(np.float32)
    ops = [
        (_flatten,),
        (_dense, w[0], None, "relu"),
        (_dense, w[1], None, "relu"),
        (_dense, w3, None, "softmax"),
    ]
    return NumpyModel("tiny", ops, ["input", "flatten", "d1", "d2", "out"])


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_test[:N], mnist.y_test[:N]


def test_layers_are_pixels_then_hidden_layers():
    layers = map_layers(tiny_model())
    assert [(layer.index, layer.kind, layer.size) for layer in layers] == [
        (0, "pixels", 784),
        (1, "dense", 32),
        (2, "dense", 16),
    ]
    assert default_layer(tiny_model()) == 2
    assert "Hidden layer 2" in layers[2].label


def test_activations_have_the_layers_shape(digits):
    images, _ = digits
    model = tiny_model()
    feats, probs = activations(model, images, 1)
    assert feats.shape == (N, 32) and probs.shape == (N, 10)
    np.testing.assert_allclose(probs, model(images.astype(np.float32) / 255), atol=1e-6)
    pixels, _ = activations(model, images, 0)
    np.testing.assert_allclose(pixels, images.reshape(N, -1) / 255, atol=1e-6)
    assert (activations(model, images, 2)[0] >= 0).all()  # after relu


@pytest.mark.parametrize("layer", [3, -1, 1.5, True])
def test_a_layer_the_model_does_not_have_is_refused(layer):
    with pytest.raises(MapError, match="no layer"):
        check_layer(tiny_model(), layer)


def test_a_keras_model_is_refused_with_a_clear_message():
    with pytest.raises(MapError, match="without TensorFlow"):
        map_layers(object())


@pytest.fixture(scope="module")
def tsne_fit(digits):
    """One t-SNE fit of the N digits (seed 3), shared by the tests that read it: ``(embedding, progress seen)``.

    A t-SNE fit is the slowest thing in this file; the determinism test fits again and compares."""
    images, _ = digits
    seen = []
    x = images.reshape(N, -1).astype(np.float32) / 255
    return fit(x, "tsne", seed=3, progress=lambda f, t: seen.append(f)), seen


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_fit_gives_one_point_per_digit_and_is_deterministic_with_a_seed(digits, method, request):
    images, _ = digits
    x = images.reshape(N, -1).astype(np.float32) / 255
    first = request.getfixturevalue("tsne_fit")[0] if method == "tsne" else fit(x, method, seed=3)
    again = fit(x, method, seed=3)
    assert first.coords.shape == (N, 2) and first.coords.dtype == np.float32
    assert np.isfinite(first.coords).all()
    np.testing.assert_array_equal(first.coords, again.coords)
    assert first.reduced.shape == (N, 50) and first.components.shape == (50, 784)


def test_progress_is_reported_up_to_the_end(tsne_fit):
    _, seen = tsne_fit
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 5


def test_pca_places_a_new_point_exactly(digits):
    images, _ = digits
    x = images.reshape(N, -1).astype(np.float32) / 255
    e = fit(x, "pca")
    np.testing.assert_allclose(e.place(x[:10]), e.coords[:10], atol=1e-4)


def test_tsne_places_a_digit_close_to_where_the_fit_put_it(digits, tsne_fit):
    images, _ = digits
    x = images.reshape(N, -1).astype(np.float32) / 255
    e = tsne_fit[0]  # the determinism test's fit
    placed = e.place(x[:50])
    moved = np.linalg.norm(placed - e.coords[:50], axis=1)
    spread = np.linalg.norm(e.coords.std(axis=0))
    assert np.median(moved) < 0.15 * spread
    # and within its own neighbourhood: closer to where the fit put it than its 10th nearest map neighbour
    d = ((e.coords[:50, None, :] - e.coords[None, :, :]) ** 2).sum(axis=2)
    radius = np.sqrt(np.sort(d, axis=1)[:, 10])
    assert np.mean(moved <= radius) >= 0.8


def test_unknown_method_is_refused(digits):
    with pytest.raises(MapError, match="pca or tsne"):
        fit(digits[0].reshape(N, -1) / 255.0, "umap")


# ---------------------------------------------------------------------------- the cache and the requests


@pytest.fixture
def mapped(finished_runs):
    """A finished run with a hand-made model (no model file) and a request for its PCA map of 500 digits."""
    store, ids = finished_runs
    request = MapRequest(store.load(ids[0]), tiny_model(), 2, "pca")
    return store, request


def test_computed_map_is_cached_under_the_run_folder(mapped):
    store, request = mapped
    made, from_cache = get_or_compute(store, request, limit=N)
    assert not from_cache and made.info["points"] == N and made.info["layer"] == 2
    npz, meta, progress = map_paths(store.path(request.run.id), 2, "pca")
    assert npz.name == "layer2-pca.npz" and npz.is_file() and meta.is_file() and not progress.exists()
    again, from_cache = get_or_compute(store, request, limit=N)
    assert from_cache
    np.testing.assert_array_equal(again.coords, made.coords)
    np.testing.assert_array_equal(again.labels, made.labels)
    assert again.probabilities.shape == (N, 10)
    assert not list(npz.parent.glob("*.tmp"))  # atomic writes leave nothing behind


def test_no_map_for_another_layer_or_method(mapped):
    store, request = mapped
    compute_map(store, request, limit=N)
    folder = store.path(request.run.id)
    assert load_map(folder, 1, "pca") is None and load_map(folder, 2, "tsne") is None


def test_a_replaced_model_makes_the_cached_map_stale(mapped):
    store, request = mapped
    folder = store.path(request.run.id)
    (folder / "model.keras").write_bytes(b"old")
    compute_map(store, request, limit=N)
    assert load_map(folder, 2, "pca") is not None
    (folder / "model.keras").write_bytes(b"a newer model")
    assert load_map(folder, 2, "pca") is None


def test_neighbours_cells_and_landing(mapped, digits):
    store, request = mapped
    run_map = compute_map(store, request, limit=N)
    for space in ("map", "activations"):
        near = neighbours(run_map, 7, k=8, space=space)
        assert len(near) == 8 and 7 not in near and len(set(near)) == 8
    d = ((run_map.coords - run_map.coords[7]) ** 2).sum(axis=1)
    assert d[neighbours(run_map, 7, space="map")].max() <= np.sort(d)[9]
    with pytest.raises(MapError, match="no point"):
        neighbours(run_map, N)
    cell = cell_indices(run_map, 3, 5)
    assert all(run_map.labels[i] == 3 and run_map.predicted[i] == 5 for i in cell)
    assert len(cell) == int(((run_map.labels == 3) & (run_map.predicted == 5)).sum())
    with pytest.raises(MapError, match="digit 0-9"):
        cell_indices(run_map, 3, 12)
    landing = land(run_map, request.model, digits[0][7].astype(np.float32) / 255)
    np.testing.assert_allclose(landing.position, run_map.coords[7], atol=1e-3)  # PCA: exact
    assert 7 in landing.nearest and 0 < landing.share <= 1


def test_a_run_without_a_model_is_refused(finished_runs):
    store, ids = finished_runs
    with pytest.raises(MapError, match="model"):
        check_request(store, ids[0])


def test_a_failed_run_and_an_imported_model_are_refused(finished_runs):
    store, ids = finished_runs
    store.update(ids[0], status="failed")
    with pytest.raises(MapError, match="failed and has no trained model"):
        check_request(store, ids[0])
    store.update(ids[1], origin="imported")
    with pytest.raises(MapError, match="imported"):
        check_request(store, ids[1])


def test_an_unknown_method_is_refused(finished_runs):
    store, ids = finished_runs
    with pytest.raises(MapError, match="Unknown map method"):
        check_request(store, ids[0], method="umap")


def test_saved_map_round_trips(tmp_path, digits):
    images, labels = digits
    e = fit(images.reshape(N, -1) / 255.0, "pca")
    info = {"run": "r", "layer": 0, "method": "pca", "points": N}
    run_map = RunMap(e, labels, labels, np.zeros((N, 10), np.float32), info)
    save_map(tmp_path, run_map)
    back = load_map(tmp_path, 0, "pca")
    assert back.info["points"] == N and not back.wrong.any()


def test_neighbour_agreement_tells_clusters_from_noise():
    from mnistlab.maps.reading import neighbour_agreement

    r = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 50)
    clustered = r.normal(size=(500, 2)) * 0.1 + labels[:, None] * 5.0
    assert neighbour_agreement(clustered, labels) > 0.95
    assert neighbour_agreement(r.normal(size=(500, 2)), labels) < 0.3


def test_a_computed_map_records_how_well_it_separates_the_digits(mapped):
    store, request = mapped
    info = compute_map(store, request, limit=N).info
    assert 0.0 <= info["neighbour_agreement"] <= 1.0


def test_a_shared_map_is_read_once_until_it_changes(mapped):
    import os

    from mnistlab.maps.cache import load_map_shared

    store, request = mapped
    folder = store.path(request.run.id)
    assert load_map_shared(folder, 2, "pca") is None
    compute_map(store, request, limit=N)
    first = load_map_shared(folder, 2, "pca")
    assert first is not None and load_map_shared(folder, 2, "pca") is first
    _, meta, _ = map_paths(folder, 2, "pca")
    stat = meta.stat()
    os.utime(meta, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # saved again
    assert load_map_shared(folder, 2, "pca") is not first
