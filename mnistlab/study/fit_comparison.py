"""mnistlab against plain Keras ``fit`` at the same budget, per preset: what each reaches and how fast.

For each seed both sides train the same network for the same number of epochs on the same images; each records
its test accuracy after every epoch (scored off the clock) and its cumulative training seconds. The bar is plain
fit's own final accuracy: plain fit's time is the first epoch at which it reached it, mnistlab's the first epoch
at which it reached the same (or None: never). The speed-up is the ratio of the mean times, over the seeds where
mnistlab got there.
"""

from __future__ import annotations

import statistics


def curve(history: dict) -> list[list[float]]:
    """``[[cumulative training s, test accuracy], ...]`` per epoch from a history with ``epoch_s`` and
    ``test_accuracy``."""
    out, total = [], 0.0
    for seconds, accuracy in zip(
        history.get("epoch_s") or [], history.get("test_accuracy") or [], strict=False
    ):
        total += seconds or 0.0
        out.append([round(total, 3), accuracy])
    return out


def time_to(points: list[list[float]], target: float) -> float | None:
    """Cumulative seconds of the first epoch at or above ``target`` (None: never)."""
    return next(
        (seconds for seconds, accuracy in points if accuracy is not None and accuracy >= target), None
    )


def seed_row(ours: list[list[float]], theirs: list[list[float]]) -> dict:
    """One seed: final accuracies, and seconds each side took to plain fit's final accuracy."""
    if not ours or not theirs:
        return {"ours": None, "fit": None, "bar": None, "ours_s": None, "fit_s": None}
    bar = theirs[-1][1]
    return {
        "ours": ours[-1][1],
        "fit": bar,
        "bar": bar,
        "ours_s": time_to(ours, bar),
        "fit_s": time_to(theirs, bar),
        "ours_total_s": ours[-1][0],
        "fit_total_s": theirs[-1][0],
    }


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.mean(values), 4) if values else None


def summary(rows: list[dict]) -> dict:
    """A preset's comparison over seeds: mean final accuracy of each side (fractions), mean seconds to plain
    fit's accuracy on each side (seeds where mnistlab reached it), the speed-up and how many seeds reached it."""
    rows = [r for r in rows if r.get("fit") is not None]
    reached = [r for r in rows if r["ours_s"] is not None]
    ours_s = _mean([r["ours_s"] for r in reached])
    fit_s = _mean([r["fit_s"] for r in reached])
    return {
        "seeds": len(rows),
        "ours_accuracy": _mean([r["ours"] for r in rows]),
        "fit_accuracy": _mean([r["fit"] for r in rows]),
        "reached": len(reached),
        "ours_s": ours_s,
        "fit_s": fit_s,
        "speedup": round(fit_s / ours_s, 2) if ours_s and fit_s else None,
        "ours_total_s": _mean([r.get("ours_total_s") for r in rows]),
        "fit_total_s": _mean([r.get("fit_total_s") for r in rows]),
        "per_seed": rows,
    }


def markdown(experiments: list[dict]) -> list[str]:
    """The report's section comparing each experiment with plain fit (empty when none was measured)."""
    measured = [e for e in experiments if e.get("plain_fit") and e["plain_fit"]["seeds"]]
    if not measured:
        return []
    lines = [
        "## Against plain Keras fit, same budget",
        "",
        "Plain fit: Adam at 1e-3, batch 128, the same network, epochs and seed; test accuracy after every "
        "epoch, scored off the clock. Time to plain fit's final accuracy, training seconds, mean over seeds.",
        "",
        "| Experiment | mnistlab | plain fit | mnistlab to fit's accuracy | plain fit to it | speed-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for e in measured:
        c = e["plain_fit"]
        reach = (
            f"{c['ours_s']:.1f} s ({c['reached']}/{c['seeds']} seeds)" if c["ours_s"] is not None else "never"
        )
        fit_s = "—" if c["fit_s"] is None else f"{c['fit_s']:.1f} s"
        speedup = "—" if c["speedup"] is None else f"{c['speedup']:.1f}x"
        lines.append(
            f"| {e['title']} | {_pct(c['ours_accuracy'])} | {_pct(c['fit_accuracy'])} | {reach} | {fit_s} | "
            f"{speedup} |"
        )
    return [*lines, ""]


def _pct(fraction: float | None) -> str:
    return "—" if fraction is None else f"{100 * fraction:.2f} %"
