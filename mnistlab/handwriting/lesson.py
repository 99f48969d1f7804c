"""The Learn section "Why does a 98 % model misread my 7?": its figures, read from docs/handwriting.json.

The figures come from ``benchmarks/augment.py`` (``--out docs/handwriting.json``); nothing here is hard-coded.
"""

from __future__ import annotations

import json
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[2] / "docs" / "handwriting.json"

# (key in the figures, what it is to a reader)
MEASURES = (
    ("mnist_test", "MNIST test set"),
    ("upright_redraws", "Redrawn, upright"),
    ("tilted_redraws", "Redrawn, tilted and slanted"),
    ("pen_redraws", "Redrawn, very thin or thick pen"),
    ("drawings", "Drawings kept in the browser tests"),
)


def load_figures(path: str | Path | None = None) -> dict | None:
    """The benchmark's JSON, or None when it is missing or unreadable (the page then says how to make it)."""
    try:
        figures = json.loads(Path(path or FIGURES).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(figures, dict) or not {"plain", "augment"} <= set(figures):
        return None
    return figures


def comparison_rows(figures: dict) -> list[dict]:
    """One row per measure found: accuracy without and with augment (percent) and the change in points;
    then the training time."""
    plain, augmented = figures["plain"], figures["augment"]
    rows = [
        {
            "Measured on": label,
            "Without (%)": round(100 * plain[key], 2),
            "Augment (%)": round(100 * augmented[key], 2),
            "Change (pt)": round(100 * (augmented[key] - plain[key]), 2),
        }
        for key, label in MEASURES
        if plain.get(key) is not None and augmented.get(key) is not None
    ]
    return rows


def training_time(figures: dict) -> tuple[float, float, float]:
    """Seconds without and with augment, and their ratio."""
    plain, augmented = figures["plain"]["train_s"], figures["augment"]["train_s"]
    return plain, augmented, augmented / plain


def setup_line(figures: dict) -> str:
    """Which preset, settings, seeds and CPU the figures come from, in one sentence."""
    config = figures.get("config", {})
    cpu = figures.get("cpu", {})
    n = figures.get("n_redraws")
    redraws = f"{n:,}" if isinstance(n, int) else "?"
    return (
        f"Preset {figures.get('preset', '?')}, {config.get('epochs', '?')} epochs, batch "
        f"{config.get('batch_size', '?')}, mean of {figures.get('seeds', 1)} seed(s); "
        f"{redraws} redrawn test digits per kind; "
        f"measured on {cpu.get('model', 'an unknown CPU')} ({cpu.get('cores', '?')} cores)."
    )
