"""Durations and percentages read the same in the terminal and the browser."""

from __future__ import annotations

import math

import pytest

from mnistlab.text import duration, epochs_on_digits, markdown_table, percent


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0.0 s"),
        (4.24, "4.2 s"),
        (42.4, "42 s"),
        (59.6, "1 min 00 s"),
        (185, "3 min 05 s"),
        (3725, "1 h 02 min"),
        (None, "—"),
        (-1, "—"),
        (math.nan, "—"),
        (math.inf, "—"),
    ],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_percent():
    assert percent(0.98123) == "98.12 %"
    assert percent(0.5, digits=0) == "50 %"
    assert percent(None) == "—"


def test_one_epoch_is_singular():
    assert epochs_on_digits(1, 600) == "1 epoch on 600 digits"
    assert epochs_on_digits(8, 54000) == "8 epochs on 54,000 digits"
    assert epochs_on_digits(2, 1) == "2 epochs on 1 digit"


def test_a_markdown_table_has_a_header_a_rule_and_one_line_per_row():
    rows = [
        {"#": 1, "Name": "Dense(128)", "Note": None},
        {"#": 2, "Name": "a | b", "Note": "*x* $y$", "Extra": 0},
    ]
    lines = markdown_table(rows, ["#", "Name", "Note"]).splitlines()
    assert lines[:2] == ["| \\# | Name | Note |", "|---|---|---|"]
    assert (
        lines[2] == "| 1 | Dense(128) | — |"
    )  # a missing value reads as a dash; unlisted columns are left out
    assert lines[3] == "| 2 | a \\| b | \\*x\\* \\$y\\$ |"  # no extra cell, no emphasis, no formula
    assert len(lines) == 4
