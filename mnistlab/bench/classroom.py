"""A whole class in real browsers: N pupils join by name, train a small job each and draw a digit, while the
teacher's Class page stays open. For ``benchmarks/classroom.py --pupils N``.

One server in class mode (a teacher key, ``MNISTLAB_WORKERS=1``), one headless Chromium with a context per
person, driven concurrently by Playwright's async API. The class plays a lesson's natural moment: everyone
joins and fills the Train form (1 epoch on 2,000 digits of the baseline by default), then all press Start
together; a few eager pupils press it twice. Each pupil then waits for their training to finish, opens Draw,
draws a 1 with the mouse and waits for the prediction. Meanwhile the teacher's Class page is reloaded now and
then, and a thread samples the memory of the server and its training workers.

Figures come from the runner's own records (``<artifacts>/jobs/*.json``: when each job was queued and
started, how it ended) and from the browsers (how long pages took to show, how long a drawing took to be
read). Every wait has a deadline; the whole lesson is bounded by ``timeout_s``.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from mnistlab.bench import dashboard
from mnistlab.bench.classroom_report import MemorySampler, log_errors, summarize

TEACHER_KEY = "bench-teacher-key"
PAGE_MS = 180_000  # a page on a server with 25 busy pupils and a loaded CPU: generous
IDLE_NOW = dashboard.IDLE_NOW
ONE = [(0.52, 0.17), (0.51, 0.5), (0.5, 0.83)]  # a 1, in canvas units
PREDICTION = re.compile(r"^Prediction: (\d)$")


@dataclass
class Pupil:
    name: str
    eager: bool  # presses Start twice
    arrives_after_s: float = 0.0  # when the pupil opens the link, after the teacher's pages are ready
    joined_s: float | None = None  # from opening the link to "Your personal code"
    page_loads_s: list[float] = field(default_factory=list)
    prediction_s: float | None = None  # from the end of the stroke to "Prediction: d"
    predicted: int | None = None
    problem: str | None = None


@dataclass
class Lesson:
    pupils: list[Pupil]
    teacher_loads_s: list[float] = field(default_factory=list)
    started_together: float | None = None  # when the class pressed Start


# ------------------------------------------------------------------------------------------ browser steps


async def idle(page, quiet_ms: int = 400, timeout_ms: int = PAGE_MS) -> None:
    """Until Streamlit's script has finished and stayed finished for ``quiet_ms``."""
    await page.evaluate("() => { window.__mnlIdle = undefined; }")
    await page.wait_for_function(
        f"""(quietMs) => {{
            if (!({IDLE_NOW})()) {{ window.__mnlIdle = undefined; return false; }}
            window.__mnlIdle ??= performance.now();
            return performance.now() - window.__mnlIdle >= quietMs;
        }}""",
        arg=quiet_ms,
        polling=100,
        timeout=timeout_ms,
    )


async def timed_goto(page, url: str, ready) -> float:
    """Open ``url`` and return the seconds until ``ready`` (a locator) is visible."""
    began = time.perf_counter()
    await page.goto(url)
    await ready.wait_for(timeout=PAGE_MS)
    return time.perf_counter() - began


async def set_number(page, label: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    await box.fill(str(value))
    await box.press("Enter")
    await idle(page)


async def fill_form(page, run_name: str, epochs: int, digits: int) -> None:
    await set_number(page, "Epochs", epochs)
    await set_number(page, "Training images", digits)
    await name_run(page, run_name)


async def name_run(page, run_name: str) -> None:
    box = page.get_by_role("textbox", name="Run name", exact=True)
    await box.fill(run_name)
    await box.press("Enter")
    await idle(page)


async def draw_one(page) -> None:
    canvas = page.locator("canvas.upper-canvas")
    box = await canvas.bounding_box()
    if not box:
        raise RuntimeError("no drawing canvas on the Draw page")
    x, y = ONE[0]
    await page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
    await page.mouse.down()
    for x, y in ONE[1:]:
        await page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
    await page.mouse.up()


class Gate:
    """The moment the class presses Start together: once every pupil is ready (or has given up)."""

    def __init__(self, pupils: int):
        self.pupils = pupils
        self.arrived = 0
        self.go = asyncio.Event()

    def arrive(self) -> None:
        self.arrived += 1

    async def everyone(self, deadline: float) -> None:
        while self.arrived < self.pupils and time.monotonic() < deadline:
            await asyncio.sleep(0.2)


async def pupil_lesson(browser, url: str, pupil: Pupil, gate: Gate, cfg: dict) -> None:
    """One pupil's lesson; a problem is noted on the pupil (the others carry on)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_MS)
    context.set_default_navigation_timeout(PAGE_MS)
    page = await context.new_page()
    arrived = False
    try:
        await asyncio.sleep(pupil.arrives_after_s)  # a class comes in over a minute, not in one millisecond
        began = time.perf_counter()
        await page.goto(f"{url}/train")
        await page.get_by_label("Your name").first.fill(pupil.name)
        await page.get_by_role("button", name="Join").click()
        await page.get_by_text("Your personal code is").wait_for(timeout=PAGE_MS)
        pupil.joined_s = time.perf_counter() - began
        await page.get_by_role("button", name="Start training").wait_for(timeout=PAGE_MS)
        await idle(page)
        await fill_form(page, f"{pupil.name} first", cfg["epochs"], cfg["digits"])
        arrived = True
        gate.arrive()
        await gate.go.wait()
        await page.get_by_role("button", name="Start training").click()
        await page.get_by_text("Your trainings").wait_for(timeout=PAGE_MS)
        if pupil.eager:
            await idle(page)
            await name_run(page, f"{pupil.name} second")
            await page.get_by_role("button", name="Start training").click()
            await page.get_by_text(f"{pupil.name} second").first.wait_for(timeout=PAGE_MS)
        # The live view shows the newest job; it ends after the first.
        main = page.get_by_test_id("stMainBlockContainer")
        await main.get_by_text(re.compile(r"^Finished: test accuracy")).wait_for(timeout=cfg["job_ms"])
        pupil.page_loads_s.append(
            await timed_goto(page, f"{url}/train", page.get_by_role("button", name="Start training"))
        )
        pupil.page_loads_s.append(await timed_goto(page, f"{url}/draw", page.locator("canvas.upper-canvas")))
        await page.get_by_text("Nothing to classify yet").wait_for(timeout=PAGE_MS)
        await idle(page)
        await draw_one(page)
        drawn = time.perf_counter()
        said = page.get_by_text(PREDICTION)
        await said.wait_for(timeout=PAGE_MS)
        pupil.prediction_s = time.perf_counter() - drawn
        pupil.predicted = int(PREDICTION.match((await said.inner_text()).strip()).group(1))
    except Exception as exc:  # one pupil's trouble is a finding, not the end of the lesson
        pupil.problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    finally:
        if not arrived:
            gate.arrive()  # nobody waits for a pupil who could not get ready
        await context.close()


async def teacher_watch(
    browser, url: str, lesson: Lesson, warmed: asyncio.Event, done: asyncio.Event, every_s: float
) -> None:
    """The teacher's Class page, open all lesson, reloaded every ``every_s`` (each reload timed).

    Before the pupils come in (``warmed``), the teacher opens Train and Draw once, as a teacher checks the
    room before a lesson: the very first page runs of a fresh server import the app's modules, and sessions
    doing that at the same moment have failed with an ImportError (reported as ``server_log_errors``)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_MS)
    context.set_default_navigation_timeout(PAGE_MS)
    page = await context.new_page()
    try:
        await page.goto(f"{url}/?teacher={TEACHER_KEY}")
        await page.get_by_role("button", name="You: Teacher").wait_for(timeout=PAGE_MS)
        await timed_goto(page, f"{url}/train", page.get_by_role("button", name="Start training"))
        await timed_goto(page, f"{url}/draw", page.get_by_text(re.compile("^Draw a digit")))
        warmed.set()
        while not done.is_set():
            lesson.teacher_loads_s.append(
                await timed_goto(page, f"{url}/class", page.get_by_text(re.compile(r"^Active jobs")))
            )
            try:
                await asyncio.wait_for(done.wait(), timeout=every_s)
            except TimeoutError:
                pass
    finally:
        await context.close()


# ----------------------------------------------------------------------------------------------- memory


# ----------------------------------------------------------------------------------------- the figures


# ------------------------------------------------------------------------------------------------ run


async def _lesson(url: str, pupils: int, eager_every: int, cfg: dict, deadline: float) -> Lesson:
    from playwright.async_api import async_playwright

    lesson = Lesson(
        [
            Pupil(
                f"Pupil {i + 1:02d}",
                eager=eager_every > 0 and i % eager_every == 0,
                arrives_after_s=i * cfg["arrive_over_s"] / pupils,
            )
            for i in range(pupils)
        ]
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=dashboard.chromium_path(), headless=True, args=dashboard.CHROMIUM_ARGS
        )
        try:
            done, warmed, gate = asyncio.Event(), asyncio.Event(), Gate(pupils)
            teacher = asyncio.create_task(
                teacher_watch(browser, url, lesson, warmed, done, cfg["teacher_every_s"])
            )
            await asyncio.wait_for(warmed.wait(), timeout=max(1.0, deadline - time.monotonic()))
            tasks = [asyncio.create_task(pupil_lesson(browser, url, p, gate, cfg)) for p in lesson.pupils]

            async def start_together() -> None:
                await gate.everyone(deadline)  # those ready start anyway at the deadline
                lesson.started_together = time.time()
                gate.go.set()

            starter = asyncio.create_task(start_together())
            left = max(1.0, deadline - time.monotonic())
            _, pending = await asyncio.wait(tasks, timeout=left)
            for task in pending:
                task.cancel()
            for pupil, task in zip(lesson.pupils, tasks, strict=True):
                if task in pending and pupil.problem is None:
                    pupil.problem = "the lesson's time ran out"
            starter.cancel()
            done.set()
            await asyncio.wait([teacher], timeout=60)
        finally:
            await browser.close()
    return lesson


def run_class(
    artifacts: Path,
    pupils: int = 25,
    eager_every: int = 5,
    epochs: int = 1,
    digits: int = 2_000,
    timeout_s: float = 1800.0,
    teacher_every_s: float = 15.0,
    arrive_over_s: float = 60.0,
) -> dict:
    """Play a lesson of ``pupils`` on a fresh server over ``artifacts``; return its figures (plain data).

    Pupils open the link one after another over ``arrive_over_s`` (then all press Start together); every
    ``eager_every``-th pupil presses Start twice (0: nobody). The server and the browser are stopped at
    the end, whatever happened; after ``timeout_s`` the pupils still busy are reported as ran out of time."""
    from mnistlab.people.roster import Roster

    deadline = time.monotonic() + timeout_s
    cfg = {
        "epochs": epochs,
        "digits": digits,
        "job_ms": int(timeout_s * 1000),
        "teacher_every_s": teacher_every_s,
        "arrive_over_s": arrive_over_s,
    }
    # A class code in the caller's environment would stop every pupil at the door: none here.
    env = {"MNISTLAB_TEACHER_KEY": TEACHER_KEY, "MNISTLAB_WORKERS": "1", "MNISTLAB_CLASS_CODE": ""}
    began = time.monotonic()
    with dashboard.serve(artifacts, env=env, log=artifacts.parent / "streamlit.log") as server:
        sampler = MemorySampler(server.process.pid)
        sampler.start()
        try:
            lesson = asyncio.run(_lesson(server.url, pupils, eager_every, cfg, deadline))
        finally:
            sampler.stop()
    names = {m.person.id: m.person.name for m in Roster(artifacts / "people").members()}
    out = summarize(lesson, artifacts, names)
    out["server_log_errors"] = log_errors(artifacts.parent / "streamlit.log")
    out["training"] = {"preset": "baseline", "epochs": epochs, "training_digits": digits, "workers": 1}
    out["pupils_arrived_over_s"] = arrive_over_s
    out["memory"] = sampler.summary()
    out["wall_s"] = round(time.monotonic() - began, 1)
    return out
