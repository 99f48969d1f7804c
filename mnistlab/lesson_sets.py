"""The Learn page's width and dropout lessons on one dataset: which runs they use and the words that change.

Both lessons compute their numbers live; what differs between sets is which runs they draw on (a Fashion-MNIST
run never prices or illustrates an MNIST lesson, nor the other way round), how the classes are named, and what
stays the notebook's: its accuracies were measured on MNIST, and the shapes (28×28 in, one output per class) are
the same for every built-in set, so the funnel and its costs do not change with the set. No Streamlit here.
"""

from __future__ import annotations

from mnistlab import dataset_choice as choice
from mnistlab.data import DIGITS
from mnistlab.datasets import DEFAULT
from mnistlab.specs import NOTEBOOK_RESULTS, PRESETS
from mnistlab.study import claims
from mnistlab.teaching import dense_widths, training_cost

COMPARED = (
    "deeper",
    "dropout",
)  # the dropout lesson's measured effect: same widths, with and without dropout


def classes_phrase(name: str | None) -> str:
    """The output's classes in a heading: "10 digits" on MNIST, "10 classes" on Fashion-MNIST."""
    ds = choice.dataset_of(name)
    return f"{ds.num_classes} digits" if ds.class_names == DIGITS else f"{ds.num_classes} classes"


def shapes_note(name: str | None) -> str | None:
    """For a set other than MNIST: why the funnel reads as MNIST's (same input, one output per class), and what
    does come from the set (the seconds, from its runs). None on MNIST."""
    ds = choice.dataset_of(name)
    if ds.name == DEFAULT:
        return None
    same = "the same as on MNIST" if ds.num_classes == 10 else f"MNIST's with {ds.num_classes} outputs"
    return (
        f"{ds.title}'s images are 28×28 like MNIST's, in {ds.num_classes} classes: the funnel, its parameters "
        f"and its multiply-adds are {same}. What comes from {ds.title} here is the speed of its own runs and "
        "their accuracy in the table below."
    )


def lesson_runs(runs: list, name: str | None) -> list:
    """The runs a lesson on dataset ``name`` may use: that set's only."""
    return choice.runs_on(runs, name or DEFAULT)


def preset_rows(runs: list, name: str | None) -> list[dict]:
    """The notebook's dense presets through the width calculator: widths, parameters (with this set's output
    size), the notebook's accuracy (MNIST, one run) and the mean of the claim check's counted runs on ``name``."""
    name = name or DEFAULT
    ds = choice.dataset_of(name)
    groups = claims.group_runs(runs, dataset=name)
    rows = []
    for preset in NOTEBOOK_RESULTS:
        widths = dense_widths(PRESETS[preset])
        if widths is None:
            continue
        group = groups[preset]
        rows.append(
            {
                "preset": preset,
                "widths": ", ".join(map(str, widths)),
                "parameters": f"{training_cost(widths, classes=ds.num_classes).params:,}",
                "notebook (MNIST)": f"{NOTEBOOK_RESULTS[preset][2]} %",
                f"your runs on {ds.title}": group_text(group),
            }
        )
    return rows


def group_text(group) -> str:
    """A preset's counted runs in a cell: "98.05 % (3 seeds)", or "no runs"."""
    if not group.n:
        return "no runs"
    return f"{group.mean:.2%} ({group.n} seed{'s' if group.n != 1 else ''})".replace("%", " %")


def compared_runs(runs: list, name: str | None) -> list:
    """The counted deeper and dropout runs of dataset ``name``: the dropout lesson's gap curves."""
    return [r for r in runs if claims.counts(r, dataset=name or DEFAULT) and r.preset in COMPARED]


def notebook_note(preset: str) -> str:
    """What the notebook reported for ``preset``, with where: "notebook (one run, MNIST): 98.11 %"."""
    return f"notebook (one run, MNIST): {NOTEBOOK_RESULTS[preset][2]} %"
