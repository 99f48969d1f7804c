"""The class in the app: the "mine / the class" switch of run pickers and the teacher's Class page.

Pages call one function each; the rules live in ``mnistlab.people`` (who may do what, limits, the board) and
every change goes through ``mnistlab.people.acting`` with the acting person, which refuses with ``NotAllowed``.
"""

from __future__ import annotations

import time

import streamlit as st

from mnistlab.app import state
from mnistlab.app.identity import class_book, current_person, people_names, roster
from mnistlab.app.widgets import as_text, job_row, list_runs_safely
from mnistlab.people import acting
from mnistlab.people.classroom import PAGES, Challenge, class_mode
from mnistlab.people.person import NotAllowed, Person, owner_of
from mnistlab.people.roster import JoinError
from mnistlab.text import duration

PROBLEM, NOTICE = "class_problem", "class_notice"


# ------------------------------------------------------------------------------------------ pickers


def scope_switch(runs: list, key: str, keep: str | None = None) -> list:
    """In class mode: a switch between the person's own runs (the default for pupils) and the class's;
    returns the runs to offer. Outside class mode every run is the user's: no switch, all runs."""
    if not class_mode():
        return runs
    person = current_person()
    whole = st.toggle(
        "The class's runs", value=person.is_teacher, key=key, help="Off: only your own runs. On: everyone's."
    )
    shown, fell_back = acting.runs_in_scope(runs, person, whole, keep=keep)
    if fell_back:
        st.caption("You have no runs of your own yet: here are the class's.")
    return shown


def offer_class_set(key: str) -> None:
    """Draw's "Keep this drawing": in class mode the class's handwriting set comes first (created if needed)."""
    if not class_mode() or st.session_state.get(f"{key}_set"):
        return
    from mnistlab.handwriting import HandwritingError, HandwritingStore

    name = class_book().settings().handwriting_set
    sets = HandwritingStore()
    try:
        if not sets.exists(name):
            sets.create(name, owner="teacher")
    except (HandwritingError, OSError):
        return  # the picker then offers the other sets
    st.session_state[f"{key}_set"] = name


# ------------------------------------------------------------------------------------ the Class page


def _act(action, *args) -> None:
    """A button's callback: the action, or its refusal kept for the page to show."""
    try:
        result = action(*args)
    except (NotAllowed, JoinError, ValueError, OSError) as exc:
        st.session_state[PROBLEM] = str(exc)
    else:
        if isinstance(result, str) and result:
            st.session_state[NOTICE] = result


def show_messages() -> None:
    problem = st.session_state.pop(PROBLEM, None)
    if problem:
        st.error(as_text(problem), icon=":material/error:")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")


def pupils_table(teacher: Person, runs: list, jobs: list) -> None:
    people = roster()
    members = people.members()
    now = time.time()
    rows = []
    for m in members:
        theirs = [r for r in runs if owner_of(getattr(r, "owner", None)) == m.person.id]
        accuracies = [r.test_accuracy for r in theirs if r.test_accuracy is not None]
        rows.append(
            {
                "Pupil": m.person.name,
                "Joined": f"{duration(now - m.joined)} ago",
                "Last seen": f"{duration(now - m.last_seen)} ago",
                "Active jobs": sum(1 for j in jobs if j.owner == m.person.id),
                "Runs": len(theirs),
                "Best test accuracy": max(accuracies) if accuracies else None,
            }
        )
    st.subheader(f"Pupils ({len(members)})")
    if not rows:
        st.info(
            "Nobody has joined yet. Pupils open the class link and type their name.", icon=":material/group:"
        )
        return
    st.caption(" · ".join(as_text(m.person.name) for m in members))
    st.dataframe(
        rows,
        hide_index=True,
        column_config={"Best test accuracy": st.column_config.NumberColumn(format="percent")},
    )


def active_jobs(teacher: Person, jobs: list) -> None:
    runner = state.get_runner()
    name_of = people_names()
    st.subheader(f"Active jobs ({len(jobs)})")
    if not jobs:
        st.caption("No training is queued or running.")
        return
    for job in jobs:
        place, wait = acting.queue_place(runner, job.id)
        row = job_row(job, place)
        waiting = f" · about {duration(wait)} to wait" if wait else ""
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{as_text(row['Name'])}** · {as_text(name_of(job.owner))} · {row['State']}{waiting}")
        if job.status == "queued":
            button.button(
                "Cancel",
                key=f"class_cancel_{job.id}",
                icon=":material/cancel:",
                on_click=_act,
                args=(acting.cancel_job, runner, job.id, teacher),
            )
        else:
            button.button(
                "Stop",
                key=f"class_stop_{job.id}",
                icon=":material/stop_circle:",
                on_click=_act,
                args=(acting.stop_job, runner, job.id, teacher),
            )


def runs_by_pupil(runs: list) -> None:
    name_of = people_names()
    st.subheader("Runs")
    if not runs:
        st.caption("No runs yet.")
        return
    st.dataframe(
        [
            {
                "Owner": name_of(getattr(r, "owner", None)),
                "Run": r.name,
                "Status": r.status,
                "Parameters": r.params,
                "Epochs": r.epochs_done,
                "Test accuracy": r.test_accuracy,
            }
            for r in runs
        ],
        hide_index=True,
        column_config={"Test accuracy": st.column_config.NumberColumn(format="percent")},
    )


def _save_limits(teacher: Person) -> str:
    s = st.session_state
    pages_on = s["class_pages_on"]
    class_book().change(
        teacher,
        jobs_per_pupil=int(s["class_jobs"]),
        max_epochs=int(s["class_epochs"]),
        max_train_digits=int(s["class_digits"]),
        pages_off=tuple(p for p in PAGES if p not in pages_on),
        handwriting_set=s["class_hw_set"].strip() or "our-class",
    )
    return "Class limits saved."


def limits_form(teacher: Person) -> None:
    settings = class_book().settings()
    st.subheader("Class limits")
    with st.form("class_limits"):
        a, b, c = st.columns(3)
        a.number_input("Jobs per pupil", 1, 20, settings.jobs_per_pupil, key="class_jobs")
        b.number_input("Most epochs per job", 1, 200, settings.max_epochs, key="class_epochs")
        c.number_input(
            "Most training images per job",
            100,
            60_000,
            settings.max_train_digits,
            step=1000,
            key="class_digits",
        )
        st.multiselect(
            "Pages pupils can open",
            list(PAGES),
            default=[p for p in PAGES if p not in settings.pages_off],
            key="class_pages_on",
            help="Home is always on; a page taken out here tells pupils it is switched off.",
        )
        st.text_input("Class handwriting set", settings.handwriting_set, key="class_hw_set")
        st.form_submit_button("Save limits", type="primary", on_click=_act, args=(_save_limits, teacher))


def _save_challenge(teacher: Person) -> str:
    s = st.session_state
    challenge = Challenge(
        title=s["challenge_title"],
        max_params=int(s["challenge_params"]),
        max_epochs=int(s["challenge_epochs"]),
        revealed=bool(s["challenge_reveal"]),
    )
    class_book().change(teacher, challenge=challenge)
    return "Challenge saved." + (" The hidden scores are on the Leaderboard." if challenge.revealed else "")


def challenge_form(teacher: Person) -> None:
    current = class_book().settings().challenge
    shown = current or Challenge()
    st.subheader("Challenge")
    st.caption(
        "The Leaderboard ranks each pupil's best finished run within the budget by its public score; the "
        "hidden score stays hidden until you reveal it."
        + ("" if current else " No challenge set yet: the Leaderboard uses the one below.")
    )
    with st.form("class_challenge"):
        st.text_input("Title", shown.title, key="challenge_title")
        a, b = st.columns(2)
        a.number_input(
            "Most parameters", 1_000, 8_000_000, shown.max_params, step=1_000, key="challenge_params"
        )
        b.number_input("Most epochs", 1, 100, shown.max_epochs, key="challenge_epochs")
        st.toggle("Reveal the hidden scores", shown.revealed, key="challenge_reveal")
        st.form_submit_button(
            "Save challenge", type="primary", on_click=_act, args=(_save_challenge, teacher)
        )


def _new_code(teacher: Person) -> str:
    pupil_id = st.session_state.get("class_code_pupil")
    if not pupil_id:
        raise ValueError("Pick a pupil first.")
    code = roster().reset_code(teacher, pupil_id)
    return f"New personal code for {roster().name_of(pupil_id)}: **{code}** (their other devices are signed out)."


def _clear(teacher: Person) -> str:
    count = roster().clear_pupils(teacher)
    st.session_state["class_clear_confirm"] = False
    return f"Cleared {count} pupil(s): the board is empty for the next class. Their runs are kept."


def codes_and_clearing(teacher: Person) -> None:
    members = roster().members()
    code_col, clear_col = st.columns(2, gap="large")
    with code_col:
        st.subheader("A pupil lost their code")
        by_id = {m.person.id: m.person.name for m in members}
        st.selectbox(
            "Pupil",
            list(by_id),
            format_func=by_id.get,
            key="class_code_pupil",
            index=None,
            placeholder="Choose",
        )
        st.button("Give a new code", key="class_new_code", on_click=_act, args=(_new_code, teacher))
    with clear_col:
        st.subheader("Next class")
        confirm = st.checkbox("Yes, remove every pupil from the class", key="class_clear_confirm")
        st.button(
            "Clear the board",
            type="primary",
            disabled=not confirm,
            key="class_clear",
            on_click=_act,
            args=(_clear, teacher),
        )
        st.caption("Pupils join again by name; runs and drawings stay.")


def class_page() -> None:
    """The teacher's whole page (pupils get a clear refusal)."""
    person = current_person()
    if not class_mode():
        st.info(
            "The Class page is for lessons: start the server with a teacher key (`mnistlab class` prints the "
            "command).",
            icon=":material/school:",
        )
        st.stop()
    if not person.is_teacher:
        st.warning("Only the teacher can open the Class page.", icon=":material/lock:")
        st.stop()
    show_messages()
    runs = list_runs_safely(state.get_store())

    @st.fragment(run_every=3.0)
    def live() -> None:
        show_messages()  # a Stop or Cancel here reruns only this part
        jobs = state.get_runner().active_jobs()
        pupils_table(person, runs, jobs)
        active_jobs(person, jobs)

    live()
    runs_by_pupil(runs)
    left, right = st.columns(2, gap="large")
    with left:
        limits_form(person)
    with right:
        challenge_form(person)
    codes_and_clearing(person)
