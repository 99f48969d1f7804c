"""The study's report in words: which differences are real once seed noise is counted, and results.md.

``findings`` turns the experiments' accuracies into plain-language conclusions; ``render_markdown`` writes the
report that ``mnistlab reproduce`` saves next to its figures.
"""

from __future__ import annotations

import itertools
import math

from mnistlab.specs import NOTEBOOK_PRESETS
from mnistlab.study import stats


def compare(a: dict, b: dict) -> str:
    """One sentence or three: is experiment ``b`` better or worse than ``a`` once seed noise is counted?

    A difference of means counts as real when it passes Welch's t-test at 95 % (with two or three seeds the
    bar is high: several standard errors). Also says whether the notebook's single-run gap exceeds the noise
    of comparing two single runs.
    """
    sa, sb = a["accuracy"], b["accuracy"]
    diff = sb["mean"] - sa["mean"]
    na, nb = a["title"], b["title"]
    reported = None
    if a["notebook_accuracy"] is not None and b["notebook_accuracy"] is not None:
        reported = b["notebook_accuracy"] - a["notebook_accuracy"]
    head = f"{nb} vs {na}: {diff:+.2f} points" + (
        f" (the notebook reported {reported:+.2f})." if reported is not None else "."
    )
    if sa["std"] is None or sb["std"] is None:
        return (
            f"{head} With a single seed the spread is unknown, so this gap cannot be told apart from noise."
        )
    test = stats.welch_from_summary(sb["mean"], sb["std"], sb["n"], sa["mean"], sa["std"], sa["n"])
    if test.se == 0:
        verdict = (
            "identical on every seed" if diff == 0 else f"{'better' if diff > 0 else 'worse'} on every seed"
        )
        return f"{head} {nb} is {verdict}, with no spread between seeds."
    needed = test.margin
    if abs(diff) > needed:
        text = (
            f"{head} {nb} is reliably {'better' if diff > 0 else 'worse'}: the gap exceeds the "
            f"{needed:.2f} points that seed noise could explain at 95 % confidence."
        )
    else:
        text = (
            f"{head} That is within seed noise: with these seeds a gap up to {needed:.2f} points could be "
            "luck (95 % confidence), so the data do not show either one to be better."
        )
    if reported is not None:
        single = math.hypot(sa["std"], sb["std"])
        size = "larger than" if abs(reported) > 2 * single else "within"
        text += (
            f" Between two single runs, seed noise alone moves the gap by about ±{2 * single:.2f} points "
            f"(2 std), so the notebook's single-run gap of {reported:+.2f} is {size} that noise."
        )
    return text


def findings(experiments: list[dict], setup: str = "") -> list[str]:
    """Plain-language conclusions computed from the experiments' accuracies (``setup`` describes training)."""
    scored = [e for e in experiments if e["accuracy"]["mean"] is not None]
    if not scored:
        return ["No run finished, so there is nothing to compare."]
    by_name = {e["preset"]: e for e in scored}
    notes = []
    ranking = sorted(scored, key=lambda e: e["accuracy"]["mean"], reverse=True)
    notes.append(
        "Ranking by mean test accuracy: "
        + ", ".join(f"{e['title']} {e['accuracy']['mean']:.2f} %" for e in ranking)
        + "."
    )
    spreads = [e["accuracy"]["std"] for e in scored if e["accuracy"]["std"] is not None]
    if len(spreads) < len(scored):
        notes.append(
            "With one seed per experiment the seed-to-seed spread is unknown, so no difference below "
            "can be called real or noise; run with 3 or more seeds to find out."
        )
    if spreads:
        notes.append(
            f"Seed-to-seed spread (std) ranges from {min(spreads):.2f} to {max(spreads):.2f} points, "
            "the scale against which every difference below is judged."
        )
    # Each experiment against the one before it, and the last against the first.
    steps = [*itertools.pairwise(NOTEBOOK_PRESETS), (NOTEBOOK_PRESETS[0], NOTEBOOK_PRESETS[-1])]
    for a, b in steps:
        if a in by_name and b in by_name:
            notes.append(compare(by_name[a], by_name[b]))
    gaps = [(e, e["accuracy"]["mean"] - e["notebook_accuracy"]) for e in scored if e["notebook_accuracy"]]
    if gaps:
        notes.append(
            "Against the notebook: "
            + ", ".join(f"{e['title']} {gap:+.2f}" for e, gap in gaps)
            + f" points{setup}; the notebook's figures are single runs with their own seed noise."
        )
    return notes


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} %"


def _own_recipes(results: dict) -> str:
    """The experiments trained otherwise than the study's config (their recipe), as one phrase; "" if none."""
    config = results["config"]
    shared = (config["epochs"], config["batch_size"], config["learning_rate"])
    own = []
    for e in results["experiments"]:
        recipe = next((r["recipe"] for r in e["runs"] if r.get("recipe")), None)
        augmented = bool(recipe and recipe.get("augment"))  # recipes recorded before augment was kept: off
        numbers = recipe and (recipe["epochs"], recipe["batch_size"], recipe["learning_rate"])
        if recipe and (numbers != shared or augmented):
            own.append(
                f"{e['title']} {recipe['epochs']} epochs, batches of {recipe['batch_size']}, "
                f"rate {recipe['learning_rate']:g}" + (", augmented images" if augmented else "")
            )
    return "; ".join(own)


def render_markdown(results: dict) -> str:
    """results.md: the comparison table, per-seed accuracies, findings and figures."""
    config = results["config"]
    seeds = results["seeds"]
    dataset = results.get("dataset") or {"name": "mnist", "title": "MNIST"}
    on = "" if dataset["name"] == "mnist" else f" on {dataset['title']}"
    items = "digits" if dataset["name"] == "mnist" else "images"
    lines = [
        f"# The notebook study, reproduced{on}",
        "",
        f"Generated {results['created']} by `mnistlab reproduce` in {results['duration_s']:.0f} s.",
        "",
        (
            f"Each experiment was trained with {len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
            f"({', '.join(map(str, seeds))}): {config['epochs']} epochs, batches of {config['batch_size']}, "
            f"{config['optimizer']} at learning rate {config['learning_rate']:g} with a {config['schedule']} "
            f"schedule, {config['validation_split']:.0%} of the "
            f"{config['train_subset'] or 60000:,} training {items} held out for validation; "
            f"test accuracy is measured on all the test {items} of {dataset['title']}."
        ),
        "",
    ]
    own = _own_recipes(results)
    if own:
        lines += [f"Presets with their own recipe on this set: {own}.", ""]
    if results["stopped"]:
        lines += ["**Stopped early**: only the runs that finished are counted below.", ""]
    lines += [
        "| # | Experiment | Architecture | Parameters | Notebook | This run (mean ± std) | Per seed | Train time |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for e in results["experiments"]:
        acc = e["accuracy"]
        if acc["mean"] is None:
            mine = "—"
        elif acc["std"] is None:
            mine = f"{acc['mean']:.2f} % (1 seed)"
        else:
            mine = f"{acc['mean']:.2f} ± {acc['std']:.2f} %"
        per_seed = (
            ", ".join(
                f"{100 * r['test_accuracy']:.2f}" if r["test_accuracy"] is not None else f"({r['status']})"
                for r in e["runs"]
            )
            or "—"
        )
        lines.append(
            f"| {e['experiment'] or ''} | {e['title']} | {e['architecture']} | {e['params']:,} | "
            f"{_pct(e['notebook_accuracy'])} | {mine} | {per_seed} | {e['train_s']:.0f} s |"
        )
    from mnistlab.study.fit_comparison import markdown as fit_markdown

    lines += ["", *fit_markdown(results["experiments"])]
    lines += ["## What this run shows", ""]
    lines += [f"- {note}" for note in results["findings"]]
    lines += ["", "## Figures", ""]
    captions = {
        "comparison": "Test accuracy per experiment, next to the notebook's figures",
        "sample_digits": "Sample training digits",
        "sample_predictions": "Sample predictions (mistakes in red)",
    }
    for key, filename in results.get("figures", {}).items():
        if key.startswith("confusion_"):
            caption = f"Confusion matrix: {key.removeprefix('confusion_')}"
        elif key.startswith("curves_"):
            caption = f"Training curves: {key.removeprefix('curves_')}"
        else:
            caption = captions.get(key, key)
        lines += [f"### {caption}", "", f"![{caption}]({filename})", ""]
    lines += ["## Runs", "", "Every run is saved in the run store; open them in the app's Compare page:", ""]
    for e in results["experiments"]:
        for r in e["runs"]:
            lines.append(f"- {e['preset']} seed {r['seed']}: `{r['run_id']}` ({r['status']})")
    return "\n".join(lines) + "\n"
