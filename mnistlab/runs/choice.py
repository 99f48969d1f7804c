"""Which run a page opens with: the person's best, the same on every page.

Draw, Inspect, Learn's "Inside the network" and Compare all start from ``best_run_id(runs)``, so a sweep's
newest (and perhaps worst) trial never stands in for the model someone would show. ``runs`` is any list of
runs, newest first as the store lists them (a page may pass only one person's runs).
"""

from __future__ import annotations


def _rank(run) -> tuple:
    """Higher is better: a usable model first, then finished over stopped, then the test accuracy."""
    accuracy = run.test_accuracy
    return (bool(run.has_model), run.status == "completed", -1.0 if accuracy is None else float(accuracy))


def best_run_id(runs: list, wanted: str | None = None, dataset: str | None = None) -> str | None:
    """The id of the run to open: ``wanted`` (a link's ``run`` parameter) when it is among ``runs``; else the
    completed run with the highest test accuracy (stopped runs next, then runs without a model or score; the
    newest wins a tie); None when ``runs`` is empty. ``dataset`` limits the choice to that dataset's runs
    (accuracies of two sets are never ranked against each other)."""
    if dataset is not None:
        runs = [run for run in runs if getattr(run, "dataset", "mnist") == dataset]
    if wanted is not None and any(run.id == wanted for run in runs):
        return wanted
    if not runs:
        return None
    return max(runs, key=_rank).id  # max keeps the first of equals: the newest, as runs come newest first
