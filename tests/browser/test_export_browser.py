"""Downloads from Inspect in a real browser: the .keras file and a TFLite model converted on the click."""

from __future__ import annotations

import zipfile

import pytest

from mnistlab.runs.store import RunStore

pytestmark = pytest.mark.browser


def test_inspect_downloads_the_keras_and_tflite_files(
    app_url, browser_artifacts, page, wait_until_idle, screenshots, tmp_path
):
    store = RunStore(browser_artifacts / "runs")
    run = next(r for r in store.list_runs() if r.preset == "dropout")
    page.goto(f"{app_url}/inspect?run={run.id}")
    page.get_by_text("Take it with you").wait_for(timeout=60_000)
    wait_until_idle(page)
    keras_button = page.get_by_role("button", name=".keras model")
    keras_button.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "inspect-take-it-with-you.png"), full_page=True)

    with page.expect_download(timeout=60_000) as info:
        keras_button.click()
    download = info.value
    assert download.suggested_filename == f"{run.id}.keras"
    saved = tmp_path / f"{run.id}-downloaded.keras"
    download.save_as(saved)
    assert saved.read_bytes() == store.model_path(run.id).read_bytes()
    assert "config.json" in zipfile.ZipFile(saved).namelist()

    # Converting takes seconds: the first click converts under a spinner, then the file is there to download.
    page.get_by_role("button", name="TensorFlow Lite").click()
    ready = page.get_by_role("button", name="Download TensorFlow Lite")
    # The spinner shows while it converts (on a quiet machine it may be gone before it is looked for).
    page.get_by_text("Converting to TensorFlow Lite").or_(ready).first.wait_for(timeout=30_000)
    ready.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as info:
        ready.click()
    lite = info.value
    assert lite.suggested_filename == f"{run.id}.tflite"
    path = lite.path()
    assert path.read_bytes()[4:8] == b"TFL3"  # the TensorFlow Lite flatbuffer's identifier


def test_a_model_uploaded_on_draw_becomes_the_model_to_draw_for(
    empty_app_url, page, wait_until_idle, tmp_path
):
    """First visit, no model yet: upload a .keras file on Draw, import it, and the canvas opens with it."""
    from mnistlab.tf import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    path = tmp_path / "from_home.keras"
    model.save(path)
    page.goto(f"{empty_app_url}/draw")
    page.get_by_text("Bring your own model (.keras)").click()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("from_home.keras").wait_for(timeout=30_000)
    page.get_by_role("button", name="Import").click()
    page.locator("canvas.upper-canvas").wait_for(timeout=120_000)
    wait_until_idle(page)
    (run,) = RunStore(tmp_path / "artifacts" / "runs").list_runs()  # the app's store (see empty_app_url)
    assert run.imported and run.name == "from_home" and run.has_model
    assert page.url.endswith(f"run={run.id}")  # the address names the imported run
    assert "from_home (completed" in page.get_by_test_id("stSelectbox").first.inner_html()
