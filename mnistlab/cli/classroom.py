"""``mnistlab class``: everything a teacher needs to start a lesson, and who has joined.

    mnistlab class                  the command that starts the lesson, the pupils' link, the teacher's link
    mnistlab class --port 8502      on another port
    mnistlab class --status         the pupils who have joined (from the roster), and the class's limits

Nothing here touches the network: the LAN address is what the machine would use to reach a private address
(a UDP socket is "connected", which sends nothing), else localhost.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import time
from typing import TextIO

from mnistlab.cli.args import EXIT_OK, CliError
from mnistlab.cli.terminal import table
from mnistlab.files import ENV_VAR, artifacts_dir
from mnistlab.people.classroom import CLASS_CODE_ENV, TEACHER_KEY_ENV, ClassBook, class_code, teacher_key
from mnistlab.people.roster import Roster
from mnistlab.text import duration

PROBE = ("10.255.255.255", 9)  # a private address: only the routing table is asked, nothing is sent


def register(commands) -> None:
    lesson = commands.add_parser(
        "class",
        help="start a lesson: the command, the pupils' link, the teacher's link (--status: who joined)",
        description="Print a ready command that starts the dashboard for a class on this machine's network, "
        "with a teacher key (a fresh one unless $MNISTLAB_TEACHER_KEY is set), the link pupils open and "
        "the teacher's own link. With --status, list the pupils who have joined.",
    )
    lesson.add_argument("--port", type=int, default=8501, help="the port to serve on (default 8501)")
    lesson.add_argument("--status", action="store_true", help="list the pupils who have joined")
    lesson.set_defaults(handler=cmd_class)


def lan_address(probe: tuple[str, int] = PROBE) -> str:
    """This machine's address on the local network, or "localhost" when there is none (offline laptop)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(probe)  # UDP: sets the route and the source address, sends no packet
            address = sock.getsockname()[0]
    except OSError:
        return "localhost"
    return "localhost" if not address or address.startswith(("127.", "0.")) else address


def lesson_lines(key: str, host: str, port: int, code: str = "", artifacts: str | None = None) -> list[str]:
    """The lines ``mnistlab class`` prints (``key``: the teacher key)."""
    env = [f"{TEACHER_KEY_ENV}={shlex.quote(key)}", "MNISTLAB_WORKERS=1"]
    if code:
        env.append(f"{CLASS_CODE_ENV}={shlex.quote(code)}")
    if artifacts:
        env.append(f"{ENV_VAR}={shlex.quote(artifacts)}")
    address = "0.0.0.0" if host != "localhost" else "localhost"
    command = f"{' '.join(env)} uv run streamlit run app.py --server.address {address} --server.port {port}"
    base = f"http://{host}:{port}"
    lines = [
        "Start the lesson (from the mnistlab folder):",
        "",
        f"    {command}",
        "",
        f"Pupils open:    {base}/" + (f"   (class code: {code})" if code else ""),
        f"Teacher opens:  {base}/?teacher={key}   (keep this link to yourself: it opens the Class page)",
    ]
    if host == "localhost":
        lines.append("")
        lines.append(
            "No network found: the links work on this machine only. Join the classroom network first."
        )
    lines += ["", "See docs/CLASSROOM.md for the lesson plan and what pupils can and cannot do."]
    return lines


def status_lines(people: Roster, book: ClassBook, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    members = people.members()
    settings = book.settings()
    lines = [f"{len(members)} pupil(s) in the class."]
    if members:
        lines.append("")
        lines += table(
            ["Pupil", "Joined", "Last seen"],
            [
                [m.person.name, f"{duration(now - m.joined)} ago", f"{duration(now - m.last_seen)} ago"]
                for m in members
            ],
        ).splitlines()
    lines.append("")
    lines.append(
        f"Limits: {settings.jobs_per_pupil} job(s) per pupil, at most {settings.max_epochs} epochs and "
        f"{settings.max_train_digits:,} training images per job"
        + (f"; pages off: {', '.join(settings.pages_off)}" if settings.pages_off else "")
        + "."
    )
    if settings.challenge:
        shown = "revealed" if settings.challenge.revealed else "hidden"
        lines.append(f"Challenge: {settings.challenge.title} (hidden scores {shown}).")
    return lines


def cmd_class(args, out: TextIO, err: TextIO) -> int:
    if args.status:
        root = artifacts_dir() / "people"
        out.write("\n".join(status_lines(Roster(root), ClassBook(root))) + "\n")
        return EXIT_OK
    if not 1 <= args.port <= 65535:
        raise CliError(f"--port must be between 1 and 65535 (got {args.port}).")
    key = teacher_key() or secrets.token_urlsafe(12)
    artifacts = os.environ.get(ENV_VAR)
    out.write("\n".join(lesson_lines(key, lan_address(), args.port, class_code(), artifacts)) + "\n")
    return EXIT_OK
