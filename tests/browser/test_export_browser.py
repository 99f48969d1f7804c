"""Downloads from Inspect in a real browser: the .keras file and a TFLite model converted on the click."""

from __future__ import annotations

import zipfile

import pytest

from mnistlab.runs.store import RunStore

pytestmark = pytest.mark.browser


def test_inspect_downloads_the_keras_and_tflite_files(
    app_url, browser_artifacts, page, wait_until_idle, screenshots
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
    saved = screenshots.parent / f"{run.id}-downloaded.keras"
    download.save_as(saved)
    assert saved.read_bytes() == store.model_path(run.id).read_bytes()
    assert "config.json" in zipfile.ZipFile(saved).namelist()

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="TensorFlow Lite").click()
    lite = info.value
    assert lite.suggested_filename == f"{run.id}.tflite"
    path = lite.path()
    assert path.read_bytes()[4:8] == b"TFL3"  # the TensorFlow Lite flatbuffer's identifier
