"""Fashion-MNIST in the real browser: pick it on Train, draw a trouser for a Fashion-MNIST run on Draw and read a
class name; the pages with a run on each dataset, photographed wide (1400 px) and on a phone (390 px)."""

from __future__ import annotations

import re
import shutil

import pytest
from test_draw_browser import draw
from ui import choose

from mnistlab.bench import dashboard
from tests.two_datasets import FASHION

pytestmark = pytest.mark.browser
ANSWER = re.compile(r"^(Prediction: |Not sure: maybe )(.+)$")
# Two legs joined at the waist: a pair of trousers, as an outline.
TROUSERS = [
    [
        (0.3, 0.12),
        (0.7, 0.12),
        (0.72, 0.88),
        (0.56, 0.88),
        (0.5, 0.35),
        (0.44, 0.88),
        (0.28, 0.88),
        (0.3, 0.12),
    ]
]


@pytest.fixture(scope="module")
def two_dataset_url(browser, two_dataset_store, tmp_path_factory):
    """The app over a copy of ``two_dataset_store`` (a tiny run on MNIST, a newer one on Fashion-MNIST)."""
    store, ids = two_dataset_store
    folder = tmp_path_factory.mktemp("two-datasets-app") / "artifacts"
    shutil.copytree(store.root.parent, folder)
    with dashboard.serve(folder, log=folder.parent / "streamlit.log") as server:
        page = browser.new_page()
        page.goto(server.url)  # the first session declares the app's pages (see conftest.serve)
        page.get_by_role("link", name="Draw").first.wait_for(timeout=60_000)
        page.close()
        yield server.url, ids


def test_train_picks_fashion_mnist_and_says_so(page, two_dataset_url, wait_until_idle, screenshots):
    url, _ = two_dataset_url
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    choose(page, "Train on", "Fashion-MNIST", wait_until_idle)
    page.get_by_text(re.compile("Training on Fashion-MNIST")).wait_for(timeout=30_000)
    assert page.get_by_text(re.compile("Ankle boot")).count() >= 1
    page.screenshot(path=str(screenshots / "datasets_train.png"), full_page=True)


def test_draw_for_a_fashion_run_answers_with_a_class_name(
    page, two_dataset_url, wait_until_idle, screenshots
):
    url, ids = two_dataset_url
    page.goto(f"{url}/draw?run={ids['fashion-mnist']}")
    page.locator("canvas.upper-canvas").wait_for(timeout=60_000)
    page.get_by_text("Nothing to classify yet").wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.get_by_role("heading", name="Draw an item").count() == 1
    draw(page, TROUSERS)
    wait_until_idle(page)
    answer = page.get_by_text(ANSWER)
    answer.wait_for(timeout=30_000)
    read = ANSWER.match(answer.inner_text().strip()).group(2)
    assert read in FASHION, read
    assert page.get_by_text(re.compile("fills the 28×28 frame")).count() == 1
    page.screenshot(path=str(screenshots / "datasets_draw.png"), full_page=True)


@pytest.mark.parametrize("width", [1400, 390])
def test_pages_with_two_datasets_photographed(browser, two_dataset_url, wait_until_idle, screenshots, width):
    url, ids = two_dataset_url
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        for name, path in (
            ("home", "/"),
            ("compare", "/compare"),
            ("inspect", f"/inspect?run={ids['fashion-mnist']}"),
            ("draw", f"/draw?run={ids['fashion-mnist']}"),
            ("learn", "/learn"),
            ("sweep", "/sweep"),
        ):
            page.goto(f"{url}{path}")
            page.get_by_test_id("stMainBlockContainer").wait_for(timeout=60_000)
            wait_until_idle(page, timeout_ms=90_000)
            if name == "home":
                choose(page, "Dataset", "Fashion-MNIST", wait_until_idle)
                page.get_by_text(re.compile("left to right: T-shirt/top")).wait_for(timeout=30_000)
            if name == "compare":
                assert page.get_by_text(re.compile(r"Fashion-MNIST \(1\)")).count() >= 1
            if name == "learn":
                page.get_by_role("tab", name="Claim check").click()
                wait_until_idle(page)
            page.screenshot(path=str(screenshots / f"datasets_{name}_{width}.png"), full_page=True)
    finally:
        context.close()
