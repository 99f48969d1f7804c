"""Re-run the notebook's study headlessly: four presets x several seeds, then a report and the figures.

    results = reproduce(seeds=3)           # trains 12 runs, writes artifacts/reproduce/{results.md,json,*.png}

Each (preset, seed) is an ordinary run in the store, named like "baseline seed 0", so it can be inspected and
compared in the app afterwards. The report puts each experiment's mean ± std over seeds next to the accuracy the
notebook reported, and its "What this run shows" section is computed from the numbers: a difference between
two experiments is called real only when it is larger than the seed-to-seed noise.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import Mnist, load_mnist
from .specs import NOTEBOOK_RESULTS, PRESETS, SpecError, count_params, preset
from .store import RunStore, artifacts_dir, atomic_write_bytes, atomic_write_json
from .training import Progress, TrainConfig

log = logging.getLogger(__name__)

NOTEBOOK_PRESETS = tuple(NOTEBOOK_RESULTS)  # baseline, deeper, dropout, tuned
MAX_SEEDS = 20
SAMPLE_DIGITS = 40
SAMPLE_FIRST, SAMPLE_MISTAKES = 16, 8  # sample predictions: the first test digits, then the surest mistakes


@dataclass
class StudyProgress:
    """Where the study is: run ``task`` of ``tasks`` (1-based), training ``preset`` with ``seed``.

    Each run sends one event with neither ``progress`` nor ``result`` as it starts, then training progress,
    then one event with ``result`` (seed, run_id, status, test_accuracy, test_loss, duration_s, epochs_done).
    """

    task: int
    tasks: int
    preset: str
    seed: int
    progress: Progress | None = None
    result: dict | None = None


def check_study(seeds: int, epochs: int | None, presets: Sequence[str], subset: int | None = None) -> TrainConfig:
    """Validate the study's settings without TensorFlow; returns the base training config.

    Raises ``ValueError`` (``SpecError``/``ConfigError``) with a message naming the bad setting.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds must be a whole number from 1 to {MAX_SEEDS}, got {seeds!r}.")
    if not presets:
        raise SpecError(f"Name at least one preset; presets: {', '.join(PRESETS)}.")
    if len(set(presets)) != len(presets):
        raise SpecError("Each preset may be named only once.")
    for name in presets:
        preset(name)
    changes = {"train_subset": subset}
    if epochs is not None:
        changes["epochs"] = epochs
    return TrainConfig().replace(**changes)


def reproduce(
    seeds: int = 3,
    epochs: int | None = None,
    out: str | Path | None = None,
    presets: Sequence[str] = NOTEBOOK_PRESETS,
    store: RunStore | None = None,
    on_progress: Callable[[StudyProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    *,
    subset: int | None = None,
    data: Mnist | None = None,
) -> dict:
    """Train every preset with seeds 0..seeds-1, save the runs, write the report and figures to ``out``.

    ``epochs`` defaults to ``TrainConfig``'s (8); ``out`` to ``artifacts/reproduce``. ``subset`` trains on that
    many training digits instead of all 60,000 (for quick checks). If ``should_stop()`` turns True the current
    run is kept as 'stopped', no further runs start, and the report covers what finished.
    Returns the results (the content of results.json).
    """
    presets = list(presets)
    base = check_study(seeds, epochs, presets, subset)
    store = store or RunStore()
    out = Path(out) if out is not None else artifacts_dir() / "reproduce"
    out.mkdir(parents=True, exist_ok=True)
    data = data or load_mnist()
    from .experiment import train_run

    tasks = [(name, seed) for name in presets for seed in range(seeds)]
    started = time.time()
    runs: dict[str, list[dict]] = {name: [] for name in presets}
    stopped = False
    for task, (name, seed) in enumerate(tasks, start=1):
        if should_stop and should_stop():
            stopped = True
            break

        def relay(progress: Progress | None, task=task, name=name, seed=seed) -> None:
            if on_progress:
                on_progress(StudyProgress(task, len(tasks), name, seed, progress))

        relay(None)
        run_id = train_run(PRESETS[name], base.replace(seed=seed), store, name=f"{name} seed {seed}",
                           preset=name, on_progress=relay, should_stop=should_stop, data=data)
        run = store.load(run_id)
        record = {"seed": seed, "run_id": run_id, "status": run.status, "test_accuracy": run.test_accuracy,
                  "test_loss": run.test_loss, "duration_s": run.duration_s, "epochs_done": run.epochs_done}
        runs[name].append(record)
        if on_progress:
            on_progress(StudyProgress(task, len(tasks), name, seed, result=record))
        if run.status != "completed":
            stopped = True
            break

    results = summarize(runs, base, seeds, stopped, time.time() - started)
    results["figures"] = draw_figures(results, runs, store, data, out)
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", render_markdown(results).encode())
    log.info("reproduce: wrote %s", out)
    return results


# ------------------------------------------------------------------------------------------------ numbers


def _stats(accuracies: list[float]) -> dict:
    """Mean, sample std (None with fewer than two values), min and max, in % rounded to 3 decimals."""
    if not accuracies:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    values = 100 * np.asarray(accuracies, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else None
    return {"mean": round(float(values.mean()), 3), "std": None if std is None else round(std, 3),
            "min": round(float(values.min()), 3), "max": round(float(values.max()), 3), "n": len(values)}


def summarize(runs: dict[str, list[dict]], config: TrainConfig, seeds: int, stopped: bool,
              duration_s: float) -> dict:
    """The results document (without figures) from the per-preset run records."""
    experiments = []
    for name, records in runs.items():
        spec = PRESETS[name]
        number, title, reported = NOTEBOOK_RESULTS.get(name, (None, name.capitalize(), None))
        done = [r for r in records if r["status"] == "completed" and r["test_accuracy"] is not None]
        experiments.append({
            "preset": name, "experiment": number, "title": title, "architecture": spec.summary(),
            "params": count_params(spec), "notebook_accuracy": reported,
            "accuracy": _stats([r["test_accuracy"] for r in done]),
            "train_s": round(sum(r["duration_s"] or 0.0 for r in records), 2), "runs": records,
        })
    results = {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seeds": list(range(seeds)), "config": {k: v for k, v in config.to_dict().items() if k != "seed"},
        "stopped": stopped, "duration_s": round(duration_s, 1), "experiments": experiments,
    }
    setup = (f" (this study: {config.optimizer}, batches of {config.batch_size}, {config.schedule} schedule, "
             f"{config.epochs} epochs" + (f", {config.train_subset:,} training digits" if config.train_subset else "")
             + ")")
    results["findings"] = findings(experiments, setup)
    return results


def _difference(a: dict, b: dict) -> tuple[float, float | None, float | None]:
    """Mean of b minus mean of a (points), its standard error and Welch's degrees of freedom.

    The error and degrees of freedom are None when either experiment has a single seed (spread unknown).
    """
    sa, sb = a["accuracy"], b["accuracy"]
    diff = sb["mean"] - sa["mean"]
    if sa["std"] is None or sb["std"] is None:
        return diff, None, None
    va, vb = sa["std"] ** 2 / sa["n"], sb["std"] ** 2 / sb["n"]
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, 0.0, None
    dof = (va + vb) ** 2 / (va**2 / (sa["n"] - 1) + vb**2 / (sb["n"] - 1))
    return diff, se, dof


def compare(a: dict, b: dict) -> str:
    """One sentence or three: is experiment ``b`` better or worse than ``a`` once seed noise is counted?

    A difference of means counts as real when it passes Welch's t-test at 95 % (with two or three seeds the
    bar is high: several standard errors). Also says whether the notebook's single-run gap exceeds the noise
    of comparing two single runs.
    """
    from scipy.stats import t as student_t

    diff, se, dof = _difference(a, b)
    na, nb = a["title"], b["title"]
    reported = None
    if a["notebook_accuracy"] is not None and b["notebook_accuracy"] is not None:
        reported = b["notebook_accuracy"] - a["notebook_accuracy"]
    head = f"{nb} vs {na}: {diff:+.2f} points" + (f" (the notebook reported {reported:+.2f})." if reported is not None
                                                  else ".")
    if se is None:
        return f"{head} With a single seed the spread is unknown, so this gap cannot be told apart from noise."
    if se == 0:
        verdict = "identical on every seed" if diff == 0 else f"{'better' if diff > 0 else 'worse'} on every seed"
        return f"{head} {nb} is {verdict}, with no spread between seeds."
    needed = float(student_t.ppf(0.975, dof)) * se
    if abs(diff) > needed:
        text = (f"{head} {nb} is reliably {'better' if diff > 0 else 'worse'}: the gap exceeds the "
                f"{needed:.2f} points that seed noise could explain at 95 % confidence.")
    else:
        text = (f"{head} That is within seed noise: with these seeds a gap up to {needed:.2f} points could be "
                "luck (95 % confidence), so the data do not show either one to be better.")
    if reported is not None:
        single = math.hypot(a["accuracy"]["std"], b["accuracy"]["std"])
        size = "larger than" if abs(reported) > 2 * single else "within"
        text += (f" Between two single runs, seed noise alone moves the gap by about ±{2 * single:.2f} points "
                 f"(2 std), so the notebook's single-run gap of {reported:+.2f} is {size} that noise.")
    return text


def findings(experiments: list[dict], setup: str = "") -> list[str]:
    """Plain-language conclusions computed from the experiments' accuracies (``setup`` describes training)."""
    scored = [e for e in experiments if e["accuracy"]["mean"] is not None]
    if not scored:
        return ["No run finished, so there is nothing to compare."]
    by_name = {e["preset"]: e for e in scored}
    notes = []
    ranking = sorted(scored, key=lambda e: e["accuracy"]["mean"], reverse=True)
    notes.append("Ranking by mean test accuracy: "
                 + ", ".join(f"{e['title']} {e['accuracy']['mean']:.2f} %" for e in ranking) + ".")
    spreads = [e["accuracy"]["std"] for e in scored if e["accuracy"]["std"] is not None]
    if len(spreads) < len(scored):
        notes.append("With one seed per experiment the seed-to-seed spread is unknown, so no difference below "
                     "can be called real or noise; run with 3 or more seeds to find out.")
    if spreads:
        notes.append(f"Seed-to-seed spread (std) ranges from {min(spreads):.2f} to {max(spreads):.2f} points, "
                     "the scale against which every difference below is judged.")
    for a, b in (("baseline", "deeper"), ("deeper", "dropout"), ("dropout", "tuned"), ("baseline", "tuned")):
        if a in by_name and b in by_name:
            notes.append(compare(by_name[a], by_name[b]))
    gaps = [(e, e["accuracy"]["mean"] - e["notebook_accuracy"]) for e in scored if e["notebook_accuracy"]]
    if gaps:
        notes.append("Against the notebook: " + ", ".join(f"{e['title']} {gap:+.2f}" for e, gap in gaps)
                     + f" points{setup}; the notebook's figures are single runs with their own seed noise.")
    return notes


# ------------------------------------------------------------------------------------------------ figures


def draw_figures(results: dict, runs: dict[str, list[dict]], store: RunStore, data: Mnist, out: Path) -> dict:
    """Draw every figure into ``out``; returns {figure key: file name}."""
    from . import figures

    drawn: dict[str, str] = {}

    def save(key: str, filename: str, draw, *args, **kwargs) -> None:
        draw(*args, path=out / filename, **kwargs)
        drawn[key] = filename

    chart = [{"title": e["title"], "notebook": e["notebook_accuracy"],
              "accuracies": [r["test_accuracy"] for r in e["runs"] if r["test_accuracy"] is not None]}
             for e in results["experiments"]]
    save("comparison", "comparison.png", figures.comparison_chart, chart)
    save("sample_digits", "sample_digits.png", figures.digit_grid, data.x_train[:SAMPLE_DIGITS],
         data.y_train[:SAMPLE_DIGITS])
    best = None  # (accuracy, experiment title, metrics) of the best single run, for the sample predictions
    for exp in results["experiments"]:
        first = next((r for r in runs[exp["preset"]] if r["test_accuracy"] is not None), None)
        if first is None:
            continue
        label = f"{exp['title']} ({exp['architecture']}), seed {first['seed']}"
        metrics = store.metrics(first["run_id"]) or {}
        if metrics.get("confusion"):
            save(f"confusion_{exp['preset']}", f"confusion_{exp['preset']}.png", figures.confusion_figure,
                 metrics["confusion"], f"{label}\ntest accuracy {100 * first['test_accuracy']:.2f} %")
        history = store.load(first["run_id"]).history
        if history.get("loss"):
            save(f"curves_{exp['preset']}", f"curves_{exp['preset']}.png", figures.training_curves, history,
                 f"Training curves: {label}")
        if metrics.get("mistakes") is not None and (best is None or first["test_accuracy"] > best[0]):
            best = (first["test_accuracy"], f"{exp['title']}, seed {first['seed']}", metrics)
    if best is not None:
        indices, true, predicted = sample_prediction_rows(best[2]["mistakes"], data.y_test)
        save("sample_predictions", "sample_predictions.png", figures.sample_predictions, data.x_test[indices],
             true, predicted, title=f"{best[1]}: the first {SAMPLE_FIRST} test digits, then its "
             f"{SAMPLE_MISTAKES} most confident mistakes (red)")
    return drawn


def sample_prediction_rows(mistakes: list[list], y_test: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Test indices with true and predicted labels: the first test digits, then the most confident mistakes.

    Predictions are rebuilt from the metrics' mistakes list (every misclassified digit is in it), so no model
    needs to be loaded.
    """
    wrong = {int(i): int(p) for i, _, p, _ in mistakes}
    indices = list(range(min(SAMPLE_FIRST, len(y_test))))
    indices += [int(m[0]) for m in mistakes if int(m[0]) not in indices][:SAMPLE_MISTAKES]
    true = [int(y_test[i]) for i in indices]
    return indices, true, [wrong.get(i, t) for i, t in zip(indices, true)]


# ------------------------------------------------------------------------------------------------- report


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} %"


def render_markdown(results: dict) -> str:
    """results.md: the comparison table, per-seed accuracies, findings and figures."""
    config = results["config"]
    seeds = results["seeds"]
    lines = [
        "# The notebook study, reproduced",
        "",
        f"Generated {results['created']} by `mnistlab reproduce` in {results['duration_s']:.0f} s.",
        "",
        (f"Each experiment was trained with {len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
        f"({', '.join(map(str, seeds))}): {config['epochs']} epochs, batches of {config['batch_size']}, "
        f"{config['optimizer']} at learning rate {config['learning_rate']:g} with a {config['schedule']} "
        f"schedule, {config['validation_split']:.0%} of the "
        f"{config['train_subset'] or 60000:,} training digits held out for validation; "
        "test accuracy is measured on all 10,000 test digits."),
        "",
    ]
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
        per_seed = ", ".join(
            f"{100 * r['test_accuracy']:.2f}" if r["test_accuracy"] is not None else f"({r['status']})"
            for r in e["runs"]
        ) or "—"
        lines.append(
            f"| {e['experiment'] or ''} | {e['title']} | {e['architecture']} | {e['params']:,} | "
            f"{_pct(e['notebook_accuracy'])} | {mine} | {per_seed} | {e['train_s']:.0f} s |"
        )
    lines += ["", "## What this run shows", ""]
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


__all__ = [
    "NOTEBOOK_PRESETS",
    "StudyProgress",
    "check_study",
    "compare",
    "findings",
    "render_markdown",
    "reproduce",
    "summarize",
]
