"""A lesson in a real browser: two pupils join by name, a reload keeps who they are (the cookie), and the
teacher's Class page, opened with the key in the link, lists both. Screenshots of the join form, the Class
page and the Leaderboard at 1400 and 390 px."""

from __future__ import annotations

import pytest
from conftest import serve

pytestmark = pytest.mark.browser

KEY = "browser-teacher-key"


@pytest.fixture
def class_url(browser, tmp_path, monkeypatch):
    """The app in class mode (a teacher key) on an empty artifacts folder, for one test."""
    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", KEY)
    monkeypatch.delenv("MNISTLAB_CLASS_CODE", raising=False)
    folder = tmp_path / "artifacts"
    folder.mkdir()
    with serve(folder, browser, tmp_path / "streamlit.log") as url:
        yield url


def join(page, url, name, wait_until_idle) -> None:
    page.goto(f"{url}/train")
    page.get_by_label("Your name").first.fill(name)
    page.get_by_role("button", name="Join").click()
    page.get_by_text("Your personal code is").wait_for(timeout=60_000)
    wait_until_idle(page)


def test_pupils_join_keep_their_identity_and_the_teacher_sees_them(
    browser, class_url, wait_until_idle, screenshots
):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    ada, bob, teacher = (context.new_page() for context in contexts)
    try:
        ada.goto(f"{class_url}/train")
        ada.get_by_label("Your name").first.wait_for(timeout=60_000)
        wait_until_idle(ada)
        ada.screenshot(path=screenshots / "class-join-1400.png", full_page=True)
        join(ada, class_url, "Ada", wait_until_idle)
        ada.screenshot(path=screenshots / "class-joined-1400.png", full_page=True)
        assert ada.get_by_role("button", name="Start training").is_visible()  # the page itself, after joining
        join(bob, class_url, "Bob", wait_until_idle)

        ada.reload()  # a new websocket: only the cookie says who this is
        ada.get_by_role("button", name="You: Ada").wait_for(timeout=60_000)
        wait_until_idle(ada)
        assert ada.get_by_label("Your name").count() == 0
        ada.get_by_role("button", name="You: Ada").click()
        ada.get_by_text("Personal code:").wait_for(timeout=10_000)  # still shown after the reload

        taken = contexts[0].browser.new_context()  # a third pupil picks a name that is taken
        try:
            other = taken.new_page()
            other.goto(class_url)
            other.get_by_label("Your name").first.fill("ada")
            other.get_by_role("button", name="Join").click()
            other.get_by_text("already called").wait_for(timeout=60_000)
        finally:
            taken.close()

        teacher.goto(f"{class_url}/?teacher={KEY}")
        teacher.get_by_role("button", name="You: Teacher").wait_for(timeout=60_000)
        wait_until_idle(teacher)
        assert "teacher=" not in teacher.url  # the key leaves the address
        teacher.get_by_role("link", name="Class").first.click()
        teacher.get_by_text("Ada · Bob").wait_for(timeout=60_000)
        wait_until_idle(teacher)
        teacher.screenshot(path=screenshots / "class-teacher-1400.png", full_page=True)
        teacher.set_viewport_size({"width": 390, "height": 900})
        wait_until_idle(teacher)
        teacher.screenshot(path=screenshots / "class-teacher-390.png", full_page=True)

        bob.goto(f"{class_url}/class")  # a pupil typing the Class page's address
        bob.get_by_text("Only the teacher can open the Class page").wait_for(timeout=60_000)
        bob.goto(f"{class_url}/leaderboard")
        bob.get_by_text("No qualifying runs yet").wait_for(timeout=60_000)
        wait_until_idle(bob)
        bob.screenshot(path=screenshots / "class-leaderboard-1400.png", full_page=True)
        bob.set_viewport_size({"width": 390, "height": 900})
        bob.goto(f"{class_url}/")
        bob.get_by_role("button", name="You: Bob").wait_for(timeout=60_000)
        wait_until_idle(bob)
        bob.screenshot(path=screenshots / "class-home-390.png", full_page=False)
    finally:
        for context in contexts:
            context.close()
