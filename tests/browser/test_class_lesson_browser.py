"""A lesson with three browsers: the teacher and two pupils, Ada and Bob, on one server in class mode.

Both pupils join by name and train tiny jobs; the Leaderboard shows both. Bob cannot rename or delete Ada's
run: Compare offers him no enabled control for it; when a man in the middle re-enables those controls on their
way to Bob's browser and Bob presses them, the server changes nothing (Streamlit drops presses of widgets it
drew disabled); and the page's own actions and the run store, called as the person Bob's cookie names, refuse
with ``NotAllowed``. Ada's run stays byte for byte as it was. Ada starts a long training, reloads and
still has its Stop button; Bob's next job waits behind it and the teacher cancels it from the Class page; Ada
stops her own training.

One training worker (``MNISTLAB_WORKERS=1``) so that Bob's job really waits; small trainings (1 epoch on 500
digits) except Ada's long one (the cnn preset, 10 epochs in batches of 32), which is stopped long before it
ends. Deadlines are generous: the machine may be shared and busy, and nothing here measures speed.
"""

from __future__ import annotations

import json
import re
import time
from functools import partial
from pathlib import Path

import pytest
import ui
from conftest import VIEWPORT, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "lesson-teacher-key"
TRAINING_S = 600  # the first job also waits for the worker to import TensorFlow, on a loaded machine
PAGE_MS = 120_000
set_number = partial(ui.set_number, timeout_ms=PAGE_MS)
choose = partial(ui.choose, timeout_ms=PAGE_MS)


@pytest.fixture
def lesson(browser, tmp_path, monkeypatch):
    """(base URL, artifacts folder) of the app in class mode with one training worker, for one test."""
    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", KEY)
    monkeypatch.setenv("MNISTLAB_WORKERS", "1")
    monkeypatch.delenv("MNISTLAB_CLASS_CODE", raising=False)
    folder = tmp_path / "artifacts"
    folder.mkdir()
    with serve(folder, browser, tmp_path / "streamlit.log") as url:
        yield url, folder


# ------------------------------------------------------------------------------------------ helpers


def join(page, url: str, name: str, wait_until_idle) -> None:
    page.goto(f"{url}/train")
    page.get_by_label("Your name").first.fill(name)
    page.get_by_role("button", name="Join").click()
    page.get_by_text("Your personal code is").wait_for(timeout=PAGE_MS)
    wait_until_idle(page, timeout_ms=PAGE_MS)


def start_training(page, url, wait_until_idle, name, epochs=1, digits=500, preset=None, batch=None):
    """Fill the Train form and press Start training."""
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Start training").wait_for(timeout=PAGE_MS)
    wait_until_idle(page, timeout_ms=PAGE_MS)
    if preset:
        choose(page, "Start from a preset", f"{preset} —", wait_until_idle)
    set_number(page, "Epochs", epochs, wait_until_idle)
    set_number(page, "Training images", digits, wait_until_idle)
    if batch:
        choose(page, "Batch size", str(batch), wait_until_idle)
    field = page.get_by_role("textbox", name="Run name", exact=True)
    field.fill(name)
    field.press("Enter")
    wait_until_idle(page, timeout_ms=PAGE_MS)
    page.get_by_role("button", name="Start training").click()


def job_record(folder: Path, name: str) -> dict | None:
    """The runner's record (``<artifacts>/jobs/<id>.json``) of the job named ``name``, if written yet."""
    for path in (folder / "jobs").glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):  # being replaced right now: read it on the next look
            continue
        if record.get("name") == name:
            return record
    return None


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, path -> bytes: "unchanged on disk" compared strictly."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def main(page):
    """The page's own content (Streamlit's header has a Stop button of its own while a script runs)."""
    return page.get_by_test_id("stMainBlockContainer")


MANAGE_LABELS = ("Rename", "Delete run", "New name", "Yes, delete")


class Forger:
    """A man in the middle of one page's Streamlit connection (installed before the page opens it).

    On the way in, Compare's rename and delete controls come out enabled whoever the server drew them for. On
    the way out, it notes each press of Rename or Delete run the browser sends (with the page's cookie, so as
    the page's person), and counts the script runs the server finishes, so a test can wait until the server
    has answered a forged press."""

    def __init__(self, page):
        self.page = page
        self.presses: list[tuple[str, int]] = []  # (the button's widget id, runs finished before it)
        self.finished = 0
        page.route_web_socket(re.compile(r"/_stcore/stream"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(self._outgoing(message)))
        server.on_message(lambda message: ws.send(self._incoming(message)))

    def _outgoing(self, message):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if isinstance(message, bytes):
            msg = BackMsg()
            msg.ParseFromString(message)
            if msg.WhichOneof("type") == "rerun_script":
                for widget in msg.rerun_script.widget_states.widgets:
                    pressed = widget.WhichOneof("value") == "trigger_value" and widget.trigger_value
                    if pressed and widget.id.endswith(("-rename_button", "-delete_button")):
                        self.presses.append((widget.id, self.finished))
        return message

    def _incoming(self, message):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(message, str):
            return message
        msg = ForwardMsg()
        msg.ParseFromString(message)
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            self.finished += 1
            return message
        if kind != "delta" or not msg.delta.HasField("new_element"):
            return message
        element = msg.delta.new_element
        widget_kind = element.WhichOneof("type")
        if widget_kind not in ("button", "checkbox", "text_input"):
            return message
        widget = getattr(element, widget_kind)
        if not (widget.disabled and widget.label.startswith(MANAGE_LABELS)):
            return message
        widget.disabled = False
        return msg.SerializeToString()

    def press(self, button: str, timeout_s: float = 120) -> None:
        """Click ``button`` and wait until the browser has sent the press and the server has finished the
        script run that answers it. The handlers run while Playwright is called, hence the page's own ticks."""
        before = len(self.presses)
        self.page.get_by_role("button", name=button, exact=True).click()
        deadline = time.monotonic() + timeout_s
        while not (len(self.presses) > before and self.finished > self.presses[-1][1]):
            assert time.monotonic() < deadline, f"the server never answered the forged {button!r}"
            self.page.wait_for_timeout(50)


def open_manage_panel(page, url, run_name: str, wait_until_idle) -> None:
    """Compare with the class's runs, the "Rename or delete runs" panel open on ``run_name``."""
    page.goto(f"{url}/compare")
    switch = page.get_by_role("switch", name="The class's runs")
    switch.wait_for(state="attached", timeout=PAGE_MS)
    wait_until_idle(page, timeout_ms=PAGE_MS)
    for _ in range(4):  # a click that lands while the page is still settling may be lost: click again
        page.get_by_text("The class's runs").click()
        wait_until_idle(page, timeout_ms=PAGE_MS)
        if switch.is_checked():
            break
    assert switch.is_checked(), "the switch to the class's runs did not turn on"
    page.get_by_text("Rename or delete runs").click()
    choose(page, "Run", f"{run_name} (completed", wait_until_idle)


# --------------------------------------------------------------------------------------------- test


def test_a_lesson_pupils_own_their_runs_and_jobs_and_the_teacher_runs_the_class(
    browser, lesson, wait_until_idle, wait_until, screenshots
):
    from mnistlab.people import NotAllowed, acting
    from mnistlab.people.roster import Roster
    from mnistlab.runs.store import RunStore

    url, folder = lesson
    store, people = RunStore(folder / "runs"), Roster(folder / "people")
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(3)]
    teacher, ada, bob = (context.new_page() for context in contexts)
    try:
        # The teacher sets a challenge loose enough for tiny runs (the baseline has about 100,000 weights).
        teacher.goto(f"{url}/?teacher={KEY}")
        teacher.get_by_role("button", name="You: Teacher").wait_for(timeout=PAGE_MS)
        # Who this browser is lives in a cookie the page writes after it has rendered: leaving before then
        # would open the Class page as a stranger.
        wait_until(
            lambda: any(c["name"] == "mnistlab_id" for c in contexts[0].cookies()),
            timeout=PAGE_MS / 1000,
            what="the teacher's identity cookie",
        )
        teacher.goto(f"{url}/class")
        teacher.get_by_role("button", name="Save challenge").wait_for(timeout=PAGE_MS)
        wait_until_idle(teacher, timeout_ms=PAGE_MS)
        set_number(teacher, "Most parameters", 1_000_000, wait_until_idle)
        teacher.get_by_role("button", name="Save challenge").click()
        teacher.get_by_text("Challenge saved.").wait_for(timeout=PAGE_MS)

        join(ada, url, "Ada", wait_until_idle)
        join(bob, url, "Bob", wait_until_idle)
        ada_id = next(m.person.id for m in people.members() if m.person.name == "Ada")

        # Both train a tiny job; each page shows its own result, and Ada's run is hers on disk.
        start_training(ada, url, wait_until_idle, "ada tiny")
        start_training(bob, url, wait_until_idle, "bob tiny")
        for page in (ada, bob):
            main(page).get_by_text(re.compile(r"^Finished: test accuracy")).wait_for(
                timeout=TRAINING_S * 1000
            )
        runs = {run.name: run for run in store.list_runs()}
        assert runs["ada tiny"].owner == ada_id and runs["ada tiny"].status == "completed"
        ada_run = runs["ada tiny"]

        # The Leaderboard has both pupils.
        teacher.goto(f"{url}/leaderboard")
        board = teacher.locator("table.mnl-board")
        board.get_by_text("bob tiny").wait_for(timeout=PAGE_MS)
        board.get_by_text("ada tiny").wait_for(timeout=PAGE_MS)
        cells = board.locator("td").all_inner_texts()
        assert {"Ada", "Bob"} <= set(cells), cells

        # Bob on Compare: Ada's run is there to look at, with no enabled control to change it.
        before = files_of(store.path(ada_run.id))
        open_manage_panel(bob, url, "ada tiny", wait_until_idle)
        bob.get_by_text("This run belongs to Ada").wait_for(timeout=PAGE_MS)
        for control in (
            bob.get_by_role("button", name="Rename", exact=True),
            bob.get_by_role("button", name="Delete run"),
            bob.get_by_role("textbox", name="New name"),
            bob.get_by_role("checkbox", name=re.compile("^Yes, delete")),
        ):
            assert control.is_disabled()

        # A forged request: the same controls re-enabled on their way to Bob's browser, then pressed there.
        # Streamlit drops a press of a widget it drew disabled (and never runs its callback), so nothing
        # reaches the store; the run must not change.
        forged = contexts[2].new_page()
        forger = Forger(forged)
        open_manage_panel(forged, url, "ada tiny", wait_until_idle)
        new_name = forged.get_by_role("textbox", name="New name")
        assert new_name.is_enabled()  # the man in the middle works: the server had sent "disabled"
        new_name.fill("taken by bob")
        new_name.press("Enter")
        wait_until_idle(forged, timeout_ms=PAGE_MS)
        forger.press("Rename")
        forged.get_by_text(re.compile("^Yes, delete")).click()
        wait_until_idle(forged, timeout_ms=PAGE_MS)
        forger.press("Delete run")
        wait_until_idle(forged, timeout_ms=PAGE_MS)
        assert [press[0].rsplit("-", 1)[1] for press in forger.presses] == ["rename_button", "delete_button"]
        assert forged.get_by_text("Renamed to").count() == 0 and forged.get_by_text("Deleted ").count() == 0
        assert files_of(store.path(ada_run.id)) == before
        forged.close()

        # And past the page: the page's own actions and the store, as the person Bob's cookie stands for.
        token = next(c["value"] for c in contexts[2].cookies() if c["name"] == "mnistlab_id")
        as_bob = people.by_token(token)
        assert as_bob is not None and as_bob.name == "Bob" and as_bob.is_pupil
        with pytest.raises(NotAllowed, match="You cannot rename the run 'ada tiny'"):
            acting.rename_run(store, store.load(ada_run.id), "taken by bob", as_bob)
        with pytest.raises(NotAllowed, match="You cannot delete the run 'ada tiny'"):
            acting.delete_run(store, store.load(ada_run.id), as_bob)
        with pytest.raises(NotAllowed):
            store.rename(ada_run.id, "taken by bob", actor=as_bob)
        with pytest.raises(NotAllowed):
            store.delete(ada_run.id, actor=as_bob)
        assert files_of(store.path(ada_run.id)) == before
        assert store.load(ada_run.id).name == "ada tiny"

        # Ada's long training; Bob's next job has to wait behind it (one worker).
        start_training(
            ada, url, wait_until_idle, "ada long", epochs=10, digits=60_000, preset="cnn", batch=32
        )
        wait_until(lambda: job_record(folder, "ada long"), 60, "Ada's long job to be recorded")
        long_id = job_record(folder, "ada long")["id"]
        ada.locator(f".st-key-stop_{long_id} button").wait_for(timeout=TRAINING_S * 1000)
        start_training(bob, url, wait_until_idle, "bob waits")
        main(bob).get_by_text("Queued: number 1 in line").wait_for(timeout=PAGE_MS)
        wait_until(lambda: job_record(folder, "bob waits"), 60, "Bob's waiting job to be recorded")
        waiting_id = job_record(folder, "bob waits")["id"]

        # A reload: only the cookie says who Ada is; her training is still hers, with its Stop button.
        ada.reload()
        ada.get_by_role("button", name="You: Ada").wait_for(timeout=PAGE_MS)
        ada.locator(f".st-key-stop_{long_id} button").wait_for(timeout=PAGE_MS)
        assert ada.get_by_label("Your name").count() == 0

        # The teacher cancels Bob's waiting job from the Class page (Ada's shows Stop there, left alone).
        teacher.goto(f"{url}/class")
        cancel = teacher.locator(f".st-key-class_cancel_{waiting_id} button")
        cancel.wait_for(timeout=PAGE_MS)
        teacher.locator(f".st-key-class_stop_{long_id} button").wait_for(timeout=PAGE_MS)
        wait_until_idle(teacher, timeout_ms=PAGE_MS)
        teacher.screenshot(path=screenshots / "class-lesson-teacher-1400.png", full_page=True)
        cancel.click()
        cancel.wait_for(state="detached", timeout=PAGE_MS)
        wait_until(lambda: job_record(folder, "bob waits")["status"] == "stopped", 60, "Bob's job cancelled")
        assert job_record(folder, "bob waits").get("run_id") is None  # it never trained
        assert job_record(folder, "ada long")["status"] == "running"
        main(bob).get_by_text("Stopped before the first epoch ended").wait_for(timeout=PAGE_MS)

        # Ada stops her own training.
        ada.locator(f".st-key-stop_{long_id} button").click()
        main(ada).get_by_text(
            re.compile(r"^(Stopped early: test accuracy|Stopped before the first epoch)")
        ).wait_for(timeout=TRAINING_S * 1000)
        wait_until(lambda: job_record(folder, "ada long")["status"] == "stopped", 60, "Ada's job stopped")
    finally:
        for context in contexts:
            context.close()
