"""Who this browser is: ``current_person()``, the class's join form, the teacher's sign-in, the "You" popover.

A browser keeps a random token in the cookie ``mnistlab_id`` (SameSite=Lax, path /, about a year), written by a
line of JavaScript; the roster under ``<artifacts>/people/`` keeps only the token's SHA-256. Streamlit reads
cookies from the request that opened the websocket (``st.context.cookies``), so a freshly written cookie is seen
from the next page load on; until then the token lives in ``st.session_state``. The decisions are plain
functions (``person_for``, ``person_from_user``), tested without Streamlit.

- Outside class mode every browser is a ``local`` visitor (``Roster.new_visitor``): nothing asks for a name.
- In class mode (``MNISTLAB_TEACHER_KEY`` set) a browser nobody knows gets the join form instead of the page;
  the teacher signs in with ``/?teacher=KEY`` (the key is then removed from the address).
- With an ``[auth]`` section in ``.streamlit/secrets.toml`` identity comes from ``st.login`` / ``st.user``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, MutableMapping

import streamlit as st

from mnistlab.app.navigation import CLASS, LEADERBOARD
from mnistlab.files import artifacts_dir
from mnistlab.people.classroom import ClassBook, check_class_code, class_code, class_mode, teacher_key
from mnistlab.people.person import NotAllowed, Person, owner_of
from mnistlab.people.roster import JoinError, Roster

COOKIE, CODE_COOKIE = "mnistlab_id", "mnistlab_code"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie (Chrome caps at 400 days)
TOKEN, CODE, CHECKED = "mnistlab_token", "mnistlab_code", "mnistlab_checked"
SIGNED_OUT = "mnistlab_signed_out"  # the cookie's token this session no longer answers to
RECHECK_S = 10.0  # how often a session asks the roster again (a reset code signs other devices out)


def roster() -> Roster:
    return Roster(artifacts_dir() / "people")


def class_book() -> ClassBook:
    return ClassBook(artifacts_dir() / "people")


def class_settings():
    """The teacher's limits in class mode, None outside it (a one-user machine has none)."""
    return class_book().settings() if class_mode() else None


# ---------------------------------------------------------------------------------- plain decisions


def person_for(
    cookies: Mapping[str, str], session: MutableMapping, people: Roster, class_on: bool, key: str = ""
) -> Person | None:
    """The person this browser is, from the session's token or else the cookie's; None when a class member
    must still join (class mode, unknown token). Outside class mode an unknown browser becomes a new
    ``local`` visitor, its token put in ``session`` (for the cookie), and anyone known acts as ``local``.
    ``key`` is the teacher key the server runs with: a teacher's token from a lesson with another key is void."""
    for token in (session.get(TOKEN), cookies.get(COOKIE)):
        person = people.by_token(token)
        if person is None:
            continue
        if class_on and person.role == "local":
            continue  # a visitor from before the lesson: in class mode everyone joins by name
        if class_on and person.is_teacher and not people.teacher_key_is(key):
            continue
        session[TOKEN] = token
        if not class_on and person.role != "local":
            return Person(person.id, person.name, "local")  # the lesson is over: the machine is theirs
        return person
    if class_on:
        session.pop(TOKEN, None)
        return None
    person, token = people.new_visitor()
    session[TOKEN] = token
    return person


def person_from_user(user: Mapping, people: Roster, class_on: bool) -> Person | None:
    """A school account (``st.user``'s fields) as a Person: the e-mail is the key, the name is shown; a
    pupil in class mode, else local. None when not logged in."""
    if not user.get("is_logged_in") or not user.get("email"):
        return None
    return people.account(str(user["email"]), str(user.get("name") or ""), "pupil" if class_on else "local")


def people_names():
    """``name_of(owner)`` for one render: a pupil's name, "Teacher" or "this machine"; the roster is read once
    per owner, not once per row."""
    people, memo = roster(), {}

    def name_of(owner: str | None) -> str:
        key = owner_of(owner)
        if key not in memo:
            memo[key] = people.name_of(key)
        return memo[key]

    return name_of


def cookie_script(token: str, code: str | None = None) -> str:
    """The JavaScript that keeps ``token`` (and the pupil's personal code, to show it again) in cookies."""
    parts = [(COOKIE, token)] + ([(CODE_COOKIE, code)] if code else [])
    lines = "".join(
        f"document.cookie = {json.dumps(f'{name}={value}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax')};"
        for name, value in parts
    )
    return f"<script>{lines}</script>"


def auth_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section (school accounts through ``st.login``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


# -------------------------------------------------------------------------------------- the session


def _raw_cookies() -> dict[str, str]:
    """The cookies the browser sent when this page loaded (``st.context.cookies``)."""
    try:
        return dict(st.context.cookies)
    except Exception:
        return {}


def _cookies() -> Mapping[str, str]:
    cookies = _raw_cookies()
    if cookies.get(COOKIE) and cookies.get(COOKIE) == st.session_state.get(SIGNED_OUT):
        cookies.pop(COOKIE)  # the page's cookies were read before "Not you?": they are stale
        cookies.pop(CODE_COOKIE, None)
    return cookies


def forget_cookie_script() -> str:
    return (
        "<script>"
        + "".join(
            f"document.cookie = {json.dumps(f'{name}=; Max-Age=0; Path=/; SameSite=Lax')};"
            for name in (COOKIE, CODE_COOKIE)
        )
        + "</script>"
    )


def _sign_out() -> None:
    """ "Not you?": this browser forgets who it was (a shared computer); the next person joins."""
    if auth_configured() and st.session_state.get(TOKEN) is None:
        st.logout()  # a school account: its own session cookie, Streamlit's to clear
        return
    st.session_state[SIGNED_OUT] = _raw_cookies().get(COOKIE) or ""
    for key in (TOKEN, CODE, CHECKED):
        st.session_state.pop(key, None)


def _sign_in_teacher(people: Roster) -> None:
    """``/?teacher=KEY``: the teacher's session, then the key leaves the address (and the browser history)."""
    key = st.query_params.get("teacher")
    if key is None:
        return
    del st.query_params["teacher"]
    try:
        _person, token = people.teacher(key, teacher_key())
    except JoinError as exc:
        st.session_state["mnistlab_join_problem"] = str(exc)
        return
    st.session_state[TOKEN] = token
    st.session_state.pop(CHECKED, None)


def peek_person() -> Person | None:
    """The person, or None when they must still join or log in; shows nothing (for ``app.py``'s menu)."""
    now = time.monotonic()
    checked = st.session_state.get(CHECKED)
    if checked and checked[0] == st.session_state.get(TOKEN) and now - checked[2] < RECHECK_S:
        return checked[1]
    people, class_on = roster(), class_mode()
    if class_on:
        _sign_in_teacher(people)
    if auth_configured() and st.session_state.get(TOKEN) is None:
        try:
            person = person_from_user(st.user.to_dict(), people, class_on)
        except JoinError as exc:
            st.session_state["mnistlab_join_problem"] = str(exc)
            person = None
        if person is not None:
            people.seen(person)
            st.session_state[CHECKED] = (None, person, now)
        return person
    person = person_for(_cookies(), st.session_state, people, class_on, teacher_key())
    if person is not None:
        people.seen(person)
        st.session_state[CHECKED] = (st.session_state.get(TOKEN), person, now)
    return person


def current_person() -> Person:
    """The person this browser is. In class mode, someone not yet known gets the join form (or the school
    log-in) instead of the page: the page script stops here until they have joined."""
    person = peek_person()
    if person is None:
        if st.session_state.get(SIGNED_OUT) is not None:
            st.html(forget_cookie_script(), unsafe_allow_javascript=True, width="content")
        _join_form()
        st.stop()
    return person


def _keep_cookie() -> None:
    """Write the cookie while the browser's own (read when the page loaded) does not hold this token yet."""
    token = st.session_state.get(TOKEN)
    cookies = _cookies()
    if not token or cookies.get(COOKIE) == token:
        return
    code = st.session_state.get(CODE)
    st.html(cookie_script(token, code), unsafe_allow_javascript=True, width="content")


def personal_code(person: Person) -> str | None:
    """The pupil's personal code when this browser knows it (shown after joining, kept in a cookie, checked
    once per session against the roster: the teacher may have given a new one)."""
    if st.session_state.get(CODE):
        return st.session_state[CODE]
    kept = _cookies().get(CODE_COOKIE)
    if kept and roster().code_is(person.id, kept):
        st.session_state[CODE] = kept
        return kept
    return None


# -------------------------------------------------------------------------------------------- forms


def _join(name_key: str, code_key: str | None) -> None:
    try:
        check_class_code(st.session_state.get(code_key, "") if code_key else "")
        _person, token, code = roster().join(st.session_state.get(name_key, ""))
    except (JoinError, NotAllowed) as exc:
        st.session_state["mnistlab_join_problem"] = str(exc)
        return
    st.session_state[TOKEN], st.session_state[CODE] = token, code
    st.session_state["mnistlab_just_joined"] = True
    st.session_state.pop(CHECKED, None)


def _rejoin(name_key: str, code_key: str) -> None:
    code = (st.session_state.get(code_key) or "").strip().upper()
    try:
        _person, token = roster().rejoin(st.session_state.get(name_key, ""), code)
    except JoinError as exc:
        st.session_state["mnistlab_rejoin_problem"] = str(exc)
        return
    st.session_state[TOKEN], st.session_state[CODE] = token, code
    st.session_state.pop(CHECKED, None)


def _join_form() -> None:
    if auth_configured():
        st.title("Log in")
        st.write("This lab uses your school account.")
        problem = st.session_state.pop("mnistlab_join_problem", None)
        if problem:
            st.error(problem, icon=":material/error:")
        st.button("Log in with your school account", type="primary", on_click=st.login)
        return
    st.title("Join the class")
    problem = st.session_state.pop("mnistlab_join_problem", None)
    new_tab, code_tab = st.tabs(["New here", "I have a code"])
    with new_tab, st.form("mnistlab_join", border=False):
        st.text_input("Your name", max_chars=40, key="join_name", placeholder="e.g. Ada L.")
        if class_code():
            st.text_input("Class code", key="join_class_code", help="It is on the teacher's screen.")
        if problem:
            st.error(problem, icon=":material/error:")
        st.form_submit_button(
            "Join",
            type="primary",
            on_click=_join,
            args=("join_name", "join_class_code" if class_code() else None),
        )
        st.caption("Your name is shown to the class on the Leaderboard and to the teacher.")
    with code_tab, st.form("mnistlab_rejoin", border=False):
        st.caption("Joined already on another device? Your name and the personal code you got then.")
        st.text_input("Your name", max_chars=40, key="rejoin_name")
        st.text_input("Personal code", max_chars=12, key="rejoin_code")
        rejoin_problem = st.session_state.pop("mnistlab_rejoin_problem", None)
        if rejoin_problem:
            st.error(rejoin_problem, icon=":material/error:")
        st.form_submit_button("Get back in", on_click=_rejoin, args=("rejoin_name", "rejoin_code"))


def you_badge(person: Person) -> None:
    """In class mode: a small "You" popover (name, personal code) at the top right; after joining, the code
    once in a banner so the pupil writes it down."""
    if person.role == "local":
        return
    code = personal_code(person) if person.is_pupil else None
    if st.session_state.pop("mnistlab_just_joined", False) and code:
        st.success(
            f"Welcome, **{person.name}**! Your personal code is **{code}**. Write it down: with your name it "
            "gets you back in on another device.",
            icon=":material/badge:",
        )
    with st.container(horizontal=True, horizontal_alignment="right"):
        with st.popover(f"You: {person.name}", icon=":material/person:"):
            st.markdown(f"**{person.name}** · {'teacher' if person.is_teacher else 'pupil'}")
            if code:
                st.markdown(f"Personal code: **`{code}`**")
                st.caption("With your name it gets you back in on another device.")
            elif person.is_pupil:
                st.caption("Lost your code? The teacher can give you a new one.")
            st.button("Not you? Sign out", key="mnistlab_sign_out", on_click=_sign_out)
            st.caption("On a shared computer: sign out at the end, so the next pupil is not you.")


def page_gate(page: str) -> Person:
    """Before a page runs: the person (join form first if needed), and the teacher's switch for ``page``."""
    person = current_person()
    _keep_cookie()
    you_badge(person)
    if class_mode() and not class_book().settings().page_on(page, person):
        st.info("Your teacher has switched this page off for now.", icon=":material/block:")
        st.stop()
    return person


def class_pages() -> list:
    """The class's pages for ``app.py``'s menu: Leaderboard (listed in class mode) and Class (listed for the
    teacher). Both can always be opened by address; the pages themselves say who may see what."""
    person = peek_person() if class_mode() else None
    return [
        st.Page(
            LEADERBOARD.path,
            title=LEADERBOARD.title,
            icon=LEADERBOARD.icon,
            url_path=LEADERBOARD.name,
            visibility="visible" if class_mode() else "hidden",
        ),
        st.Page(
            CLASS.path,
            title=CLASS.title,
            icon=CLASS.icon,
            url_path=CLASS.name,
            visibility="visible" if person is not None and person.is_teacher else "hidden",
        ),
    ]
