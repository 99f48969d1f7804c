"""``mnistlab class``: the lesson's command and links, and who has joined."""

from __future__ import annotations

import re
import shlex
import socket

from mnistlab.cli import classroom as cli_class
from mnistlab.cli import main
from mnistlab.people.classroom import ClassBook
from mnistlab.people.roster import Roster


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_class_prints_a_ready_command_with_a_fresh_key_and_both_links(capsys, artifacts, monkeypatch):
    monkeypatch.delenv("MNISTLAB_TEACHER_KEY", raising=False)
    monkeypatch.delenv("MNISTLAB_CLASS_CODE", raising=False)
    monkeypatch.setattr(cli_class, "lan_address", lambda: "192.168.10.5")
    code, out, err = run_cli(capsys, "class", "--port", "8600")
    assert code == 0 and not err
    command = next(line.strip() for line in out.splitlines() if "streamlit run app.py" in line)
    words = shlex.split(command)
    env = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
    key = env["MNISTLAB_TEACHER_KEY"]
    assert len(key) >= 12 and env["MNISTLAB_ARTIFACTS"] == str(artifacts)
    assert words[-4:] == ["--server.address", "0.0.0.0", "--server.port", "8600"]
    assert "Pupils open:    http://192.168.10.5:8600/" in out
    assert f"http://192.168.10.5:8600/?teacher={key}" in out
    _, again, _ = run_cli(capsys, "class")
    assert key not in again  # a fresh key each time none is set


def test_class_uses_the_key_and_code_it_is_given(capsys, artifacts, monkeypatch):
    monkeypatch.setenv("MNISTLAB_TEACHER_KEY", "my key")
    monkeypatch.setenv("MNISTLAB_CLASS_CODE", "4B")
    monkeypatch.setattr(cli_class, "lan_address", lambda: "localhost")
    code, out, _ = run_cli(capsys, "class")
    assert code == 0
    assert "MNISTLAB_TEACHER_KEY='my key'" in out and "MNISTLAB_CLASS_CODE=4B" in out
    assert "--server.address localhost" in out and "this machine only" in out
    assert "(class code: 4B)" in out
    assert run_cli(capsys, "class", "--port", "0")[0] == 2


def test_the_lan_address_is_found_without_sending_anything(monkeypatch):
    sent = []

    class Socket(socket.socket):
        def send(self, *a):
            sent.append(a)
            return super().send(*a)

        def sendto(self, *a):
            sent.append(a)
            return super().sendto(*a)

    monkeypatch.setattr(socket, "socket", Socket)
    address = cli_class.lan_address()
    assert address == "localhost" or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", address)
    assert not address.startswith("127.") and sent == []
    assert cli_class.lan_address(("256.1.1.1", 9)) == "localhost"  # no route: this machine only


def test_status_lists_the_pupils_and_the_limits(capsys, artifacts):
    code, out, _ = run_cli(capsys, "class", "--status")
    assert code == 0 and "0 pupil(s)" in out
    roster = Roster(artifacts / "people")
    roster.join("Ada")
    roster.join("Bob")
    teacher, _ = roster.teacher("k", "k")
    ClassBook(artifacts / "people").change(teacher, max_epochs=4, pages_off=("sweep",))
    code, out, _ = run_cli(capsys, "class", "--status")
    assert code == 0
    assert "2 pupil(s)" in out and re.search(r"^Ada\s+\S", out, re.M) and re.search(r"^Bob\s", out, re.M)
    assert "at most 4 epochs" in out and "pages off: sweep" in out
