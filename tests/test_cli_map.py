"""``mnistlab map`` on a trained run, and the map worker computing a map in a spawned process (slow)."""

from __future__ import annotations

import io
import json

import pytest

from mnistlab.cli.main import main


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_map_computes_then_reads_the_cache(trained_artifacts, trained_store):
    _, ids = trained_store
    code, out, _ = run_cli("map", ids[0], "--method", "pca", "--json")
    assert code == 0
    first = json.loads(out)
    assert first["points"] == 10_000 and first["layer"] >= 1 and not first["cached"]  # the last hidden layer
    assert first["path"].endswith(f"runs/{ids[0]}/maps/layer{first['layer']}-pca.npz")
    code, out, _ = run_cli("map", ids[0], "--method", "pca")
    assert code == 0 and "10,000 points" in out and "read from the cache" in out


def test_map_of_the_pixels(trained_artifacts, trained_store):
    _, ids = trained_store
    code, out, _ = run_cli("map", ids[1], "--layer", "0", "--method", "pca", "--json")
    assert code == 0 and json.loads(out)["layer"] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--layer", "7"), "has no layer 7"),
        (("--layer", "x"), "a layer is a whole number"),
        (("--method", "umap"), "invalid choice"),
    ],
)
def test_bad_layers_and_methods_exit_2_with_one_line(trained_artifacts, trained_store, argv, message):
    _, ids = trained_store
    code, out, err = run_cli("map", ids[0], *argv)
    assert code == 2 and not out and message in err and err.count("\n") == 1


def test_bad_run_ids_exit_2_with_one_line(artifacts):
    for run_id, message in (("no-such-run", "No run with id"), ("Bad Id", "is not a run id")):
        code, _, err = run_cli("map", run_id)
        assert code == 2 and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_the_map_worker_computes_in_another_process(trained_artifacts, trained_store, wait_until):
    from mnistlab.maps import worker
    from mnistlab.maps.cache import map_paths
    from mnistlab.maps.compute import cached, check_request
    from mnistlab.runs.store import RunStore

    _, ids = trained_store
    store = RunStore(trained_artifacts / "runs")
    request = check_request(store, ids[0], 1, "pca")
    assert worker.status(store.root, request)["status"] == "idle"
    worker.start(store.root, request)
    assert worker.status(store.root, request)["status"] in ("queued", "running", "done")
    wait_until(lambda: worker.status(store.root, request)["status"] in ("done", "failed"), 180, "the map")
    assert worker.status(store.root, request)["status"] == "done"
    assert cached(store, request).info["points"] == 10_000
    assert not map_paths(store.path(ids[0]), 1, "pca")[2].exists()  # no progress file left behind
