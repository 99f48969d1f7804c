"""The Leaderboard in the app: each pupil's best run in the class challenge, live, in large type.

The ranking is ``mnistlab.people.leaderboard``; the scores are ``mnistlab.people.scoring``'s (NumPy, cached).
"""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from mnistlab.app import state
from mnistlab.app.identity import class_book, roster
from mnistlab.app.widgets import list_runs_safely
from mnistlab.files import artifacts_dir
from mnistlab.people.classroom import Challenge, class_mode
from mnistlab.people.leaderboard import leaderboard
from mnistlab.people.scoring import Scorer


@st.cache_resource(show_spinner=False)
def _scorer(artifacts: str) -> Scorer:
    return Scorer(state.get_store(), Path(artifacts) / "people" / "scores")


def board_rows() -> tuple[list, object]:
    """The leaderboard's rows and the challenge they were ranked under."""
    settings = class_book().settings()
    challenge = settings.challenge or Challenge()
    people = roster()
    scorer = _scorer(str(artifacts_dir().resolve()))
    runs = list_runs_safely(state.get_store())
    members = {m.person.id for m in people.members()} if class_mode() else None
    from mnistlab.handwriting import HandwritingStore

    sets = HandwritingStore()
    rows = leaderboard(
        runs,
        challenge,
        scorer.scores,
        people.name_of,
        handwriting=lambda run_id: scorer.handwriting(run_id, sets, settings.handwriting_set),
        people=members,
    )
    return rows, challenge


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _opt(column: int) -> str:
    """Run, parameters and epochs: left out on a phone, where the scores matter most."""
    return " class='mnl-opt'" if column in (2, 3, 4) else ""


def board_table(rows: list, revealed: bool) -> str:
    """The board as an HTML table in large type, for a projector (names escaped)."""
    head = ["#", "Pupil", "Run", "Parameters", "Epochs", "Public score", "Hidden score"]
    with_hw = any(r.handwriting is not None for r in rows)
    if with_hw:
        head.append("Reads our class's handwriting")
    cells = []
    for r in rows:
        values = [
            str(r.rank),
            r.name,
            r.run_name,
            f"{r.params:,}",
            str(r.epochs),
            _pct(r.public),
            _pct(r.hidden) if revealed else "hidden",
        ]
        if with_hw:
            values.append(_pct(r.handwriting))
        cells.append("".join(f"<td{_opt(i)}>{html.escape(v)}</td>" for i, v in enumerate(values)))
    style = (
        "<style>.mnl-board{width:100%;border-collapse:collapse;font-size:1.5rem}"
        ".mnl-board th,.mnl-board td{padding:.4rem .8rem;text-align:left;border-bottom:1px solid #ddd}"
        ".mnl-board th{font-size:1.05rem;color:#555}.mnl-board tr:first-child td{font-weight:700}"
        "@media (max-width:640px){.mnl-board{font-size:1rem}.mnl-board th{font-size:.8rem}.mnl-opt{display:none}}"
        "</style>"
    )
    header = "".join(f"<th{_opt(i)}>{html.escape(h)}</th>" for i, h in enumerate(head))
    body = "".join(f"<tr>{c}</tr>" for c in cells)
    return (
        f"{style}<div style='overflow-x:auto'><table class='mnl-board'><tr>{header}</tr>{body}</table></div>"
    )


def live_board() -> None:
    """The board, redrawn every few seconds."""

    @st.fragment(run_every=5.0)
    def board() -> None:
        rows, challenge = board_rows()
        if not rows:
            st.info(
                "No qualifying runs yet. Train one within the budget on the Train page: it appears here "
                "when it finishes.",
                icon=":material/leaderboard:",
            )
            return
        st.html(board_table(rows, challenge.revealed))
        st.caption(
            "Public score: accuracy on half of MNIST's 10,000 test digits. Hidden score: the other half, "
            + ("revealed by the teacher." if challenge.revealed else "shown when the teacher reveals it.")
            + " Each pupil's best finished run within the budget counts; ties go to the smaller network."
        )

    board()
