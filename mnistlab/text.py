"""How numbers read, everywhere the project shows them: durations and percentages.

The CLI, the pages, the study's report and the benchmarks all call these, so "3 min 05 s" reads the same in
a terminal and in the browser.
"""

from __future__ import annotations

import math


def duration(seconds: float | None) -> str:
    """``4.2 s``, ``42 s``, ``3 min 05 s``, ``1 h 02 min``; '—' when unknown (None, negative, not finite)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage (``0.9812`` -> ``98.12 %``); '—' when unknown."""
    return "—" if fraction is None else f"{100 * fraction:.{digits}f} %"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``1 seed``, ``3 seeds``, ``0 seeds`` (``plural_word`` for irregular ones: ``2 batches``)."""
    return f"{count:,} {word if count == 1 else plural_word or word + 's'}"


def epochs_on_digits(epochs: int, digits: int) -> str:
    """How much a training sees: ``1 epoch on 600 digits``, ``8 epochs on 54,000 digits``."""
    return f"{plural(epochs, 'epoch')} on {plural(digits, 'digit')}"


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """``rows`` as a Markdown table of ``columns`` (missing or None cells read '—').

    For small fixed tables on pages that must open fast: ``st.dataframe`` imports pandas (about half a second on
    the page's first run after a start), ``st.markdown`` nothing. Cells are escaped so '|', '*' or '$' show as
    themselves, not as table, emphasis or formula syntax.
    """

    def cell(value) -> str:
        text = "—" if value is None else str(value)
        return "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in text).replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(column)) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


MARKDOWN_SPECIAL = frozenset("\\|*_`[]<>#~$")
