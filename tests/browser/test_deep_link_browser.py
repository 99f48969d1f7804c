"""A deep link as the very first visit after the dashboard starts: the page runs under ``app.py``'s navigation,
also when two tabs open it at the same moment (the rerun that puts it there once raced a second session's
import and showed it an ImportError)."""

from mnistlab.bench import dashboard
from tests.browser.conftest import VIEWPORT


def test_two_tabs_opening_a_deep_link_first_both_get_the_app(browser, tmp_path):
    folder = tmp_path / "artifacts"
    folder.mkdir()
    with dashboard.serve(folder, log=tmp_path / "streamlit.log") as server:
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
        try:
            tabs = [context.new_page() for context in contexts]
            for tab in tabs:  # both asked for before either has run app.py
                tab.goto(f"{server.url}/train", wait_until="commit")
            for tab in tabs:
                tab.get_by_role("heading", name="Train").first.wait_for(timeout=90_000)
                # The app's own top navigation, not the pages folder's sidebar
                tab.get_by_role("link", name="Draw").first.wait_for(timeout=60_000)
                tab.get_by_role("button", name="Start training").first.wait_for(timeout=60_000)
                assert tab.locator("[data-testid='stSidebarNav']").count() == 0  # the folder's own menu
                assert tab.locator("[data-testid='stException']").count() == 0
                assert tab.get_by_text("ImportError").count() == 0
        finally:
            for context in contexts:
                context.close()
