"""Re-run the notebook's study headlessly: four presets x several seeds, then a report and the figures.

    results = reproduce(seeds=3)           # trains 12 runs, writes artifacts/reproduce/{results.md,json,*.png}

Each (preset, seed) is an ordinary run in the store, named like "baseline seed 0", so it can be inspected and
compared in the app afterwards. The report puts each experiment's mean ± std over seeds next to the accuracy the
notebook reported, and its "What this run shows" section is computed from the numbers: a difference between
two experiments is called real only when it is larger than the seed-to-seed noise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistlab.data import ImageSet
from mnistlab.files import artifacts_dir, atomic_write_bytes, atomic_write_json
from mnistlab.naming import study_run_name
from mnistlab.people.person import MACHINE_ID
from mnistlab.recipes import recommended_config
from mnistlab.runs.store import RunStore
from mnistlab.specs import NOTEBOOK_PRESETS, NOTEBOOK_RESULTS, PRESETS, SpecError, count_params, preset
from mnistlab.study import fit_comparison, report, stats
from mnistlab.training import Progress, TrainConfig, dataset_for

log = logging.getLogger(__name__)

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


def study_presets(dataset: str = "mnist") -> list[str]:
    """The presets a study trains by default: the notebook's four, and the cnn on any set but MNIST (where the
    notebook's networks are the study; elsewhere the convnet shows how far from them the set's best is)."""
    return list(NOTEBOOK_PRESETS) + ([] if dataset == "mnist" else ["cnn"])


def check_study(
    seeds: int,
    epochs: int | None,
    presets: Sequence[str],
    subset: int | None = None,
    dataset: str = "mnist",
) -> TrainConfig:
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
    changes = {"train_subset": subset, "dataset": dataset}
    if epochs is not None:
        changes["epochs"] = epochs
    return TrainConfig(**changes)  # batch size and rate follow the epochs (see TrainConfig)


def preset_config(base: TrainConfig, name: str, seed: int, epochs: int | None) -> TrainConfig:
    """The config ``name`` trains with in the study: its recipe on the study's dataset, the study's seed,
    subset and (when given) epochs."""
    return recommended_config(
        name, seed=seed, train_subset=base.train_subset, epochs=epochs, dataset=base.dataset
    )


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
    data: ImageSet | None = None,
    executor=None,
    owner: str = MACHINE_ID,
    dataset: str = "mnist",
    plain_fit: bool = False,
) -> dict:
    """Train every preset with seeds 0..seeds-1, save the runs, write the report and figures to ``out``.

    ``epochs`` defaults to ``TrainConfig``'s (8); ``out`` to ``artifacts/reproduce``. ``subset`` trains on that
    many training digits instead of all 60,000 (for quick checks). If ``should_stop()`` turns True the current
    run is kept as 'stopped', no further runs start, and the report covers what finished. ``executor`` trains
    each run (default: in this process; the CLI passes the same executor the dashboard uses). The runs
    belong to ``owner`` (a person id; default: this machine). ``dataset`` names the image set (each preset with
    its recipe for that set). ``plain_fit`` also trains each (preset, seed) with plain Keras fit at the same
    budget, both scored on the test set after every epoch (``mnistlab.study.fit_comparison``).
    Returns the results (the content of results.json).
    """
    presets = list(presets)
    base = check_study(seeds, epochs, presets, subset, dataset)
    store = store or RunStore()
    out = Path(out) if out is not None else artifacts_dir() / "reproduce"
    out.mkdir(parents=True, exist_ok=True)
    data = dataset_for(base, data)
    from mnistlab.runs.executors import InProcessExecutor
    from mnistlab.runs.experiment import train_run

    executor = executor or InProcessExecutor(data=data)

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
        config = preset_config(base, name, seed, epochs)
        fit_history = None
        if plain_fit and seed % 2:  # alternate which side trains first, so a drift in load favours neither
            fit_history = _plain_fit(name, config, executor, should_stop)
        run_id = train_run(
            PRESETS[name],
            config,
            store,
            name=study_run_name(name, seed, dataset),
            preset=name,
            on_progress=relay,
            should_stop=should_stop,
            data=data,
            executor=executor,
            owner=owner,
            score_test=plain_fit,
        )
        run = store.load(run_id)
        if plain_fit and fit_history is None and run.status == "completed":
            fit_history = _plain_fit(name, config, executor, should_stop)
        record = {
            "seed": seed,
            "run_id": run_id,
            "status": run.status,
            "test_accuracy": run.test_accuracy,
            "test_loss": run.test_loss,
            "duration_s": run.duration_s,
            "epochs_done": run.epochs_done,
            "recipe": {
                key: getattr(config, key) for key in ("epochs", "batch_size", "learning_rate", "augment")
            },
        }
        if plain_fit:
            record["curve"] = fit_comparison.curve(run.history)
            record["fit_curve"] = fit_comparison.curve(fit_history or {})
        runs[name].append(record)
        if on_progress:
            on_progress(StudyProgress(task, len(tasks), name, seed, result=record))
        if run.status != "completed":
            stopped = True
            break

    results = summarize(runs, base, seeds, stopped, time.time() - started)
    results["dataset"] = {"name": data.name, "title": _title(data.name), "classes": list(data.class_names)}
    results["figures"] = draw_figures(results, runs, store, data, out)
    atomic_write_json(out / "results.json", results)
    atomic_write_bytes(out / "results.md", report.render_markdown(results).encode())
    log.info("reproduce: wrote %s", out)
    return results


def _plain_fit(name: str, config: TrainConfig, executor, should_stop) -> dict:
    """Plain Keras fit of preset ``name`` at ``config``'s budget, on the same executor as mnistlab's run."""
    from mnistlab.runs.task import TrainTask

    task = TrainTask(PRESETS[name].to_dict(), config.to_dict(), plain_fit=True)
    return executor.run(task, lambda kind, payload: None, should_stop).history


def _num_classes(name: str) -> int:
    from mnistlab.datasets import get_dataset

    return get_dataset(name).num_classes


def _title(name: str) -> str:
    from mnistlab.datasets import get_dataset

    return get_dataset(name).title


# ------------------------------------------------------------------------------------------------ numbers


def _stats(accuracies: list[float]) -> dict:
    """Mean, sample std (None with fewer than two values), min and max, in % rounded to 3 decimals."""
    if not accuracies:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    values = [100 * a for a in accuracies]
    mean, std = stats.mean_std(values)
    return {
        "mean": round(mean, 3),
        "std": None if std is None else round(std, 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


def summarize(
    runs: dict[str, list[dict]], config: TrainConfig, seeds: int, stopped: bool, duration_s: float
) -> dict:
    """The results document (without figures) from the per-preset run records."""
    experiments = []
    for name, records in runs.items():
        spec = PRESETS[name]
        number, title, reported = NOTEBOOK_RESULTS.get(name, (None, name.capitalize(), None))
        if config.dataset != "mnist":  # the notebook's figures are MNIST's: never a bar for another set
            reported = None
        done = [r for r in records if r["status"] == "completed" and r["test_accuracy"] is not None]
        experiments.append(
            {
                "preset": name,
                "experiment": number,
                "title": title,
                "architecture": spec.summary(),
                "params": count_params(spec, _num_classes(config.dataset)),
                "notebook_accuracy": reported,
                "accuracy": _stats([r["test_accuracy"] for r in done]),
                "train_s": round(sum(r["duration_s"] or 0.0 for r in records), 2),
                "runs": records,
            }
        )
        if any("fit_curve" in r for r in records):
            experiments[-1]["plain_fit"] = fit_comparison.summary(
                [fit_comparison.seed_row(r["curve"], r["fit_curve"]) for r in records if "fit_curve" in r]
            )
    results = {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seeds": list(range(seeds)),
        "config": {k: v for k, v in config.to_dict().items() if k != "seed"},
        "stopped": stopped,
        "duration_s": round(duration_s, 1),
        "experiments": experiments,
    }
    setup = (
        f" (this study: {config.optimizer}, batches of {config.batch_size}, {config.schedule} schedule, "
        f"{config.epochs} epochs"
        + (f", {config.train_subset:,} training digits" if config.train_subset else "")
        + ")"
    )
    results["findings"] = report.findings(experiments, setup)
    return results


# ------------------------------------------------------------------------------------------------ figures


def draw_figures(
    results: dict, runs: dict[str, list[dict]], store: RunStore, data: ImageSet, out: Path
) -> dict:
    """Draw every figure into ``out``; returns {figure key: file name}."""
    from mnistlab.study import report_figures as figures

    drawn: dict[str, str] = {}

    def save(key: str, filename: str, draw, *args, **kwargs) -> None:
        draw(*args, path=out / filename, **kwargs)
        drawn[key] = filename

    chart = [
        {
            "title": e["title"],
            "notebook": e["notebook_accuracy"],
            "accuracies": [r["test_accuracy"] for r in e["runs"] if r["test_accuracy"] is not None],
        }
        for e in results["experiments"]
    ]
    save("comparison", "comparison.png", figures.comparison_chart, chart)
    save(
        "sample_digits",
        "sample_digits.png",
        figures.digit_grid,
        data.x_train[:SAMPLE_DIGITS],
        data.y_train[:SAMPLE_DIGITS],
    )
    best = None  # (accuracy, experiment title, metrics) of the best single run, for the sample predictions
    for exp in results["experiments"]:
        first = next((r for r in runs[exp["preset"]] if r["test_accuracy"] is not None), None)
        if first is None:
            continue
        label = f"{exp['title']} ({exp['architecture']}), seed {first['seed']}"
        metrics = store.metrics(first["run_id"]) or {}
        if metrics.get("confusion"):
            save(
                f"confusion_{exp['preset']}",
                f"confusion_{exp['preset']}.png",
                figures.confusion_figure,
                metrics["confusion"],
                f"{label}\ntest accuracy {100 * first['test_accuracy']:.2f} %",
            )
        history = store.load(first["run_id"]).history
        if history.get("loss"):
            save(
                f"curves_{exp['preset']}",
                f"curves_{exp['preset']}.png",
                figures.training_curves,
                history,
                f"Training curves: {label}",
            )
        if metrics.get("mistakes") is not None and (best is None or first["test_accuracy"] > best[0]):
            best = (first["test_accuracy"], f"{exp['title']}, seed {first['seed']}", metrics)
    if best is not None:
        indices, true, predicted = sample_prediction_rows(best[2]["mistakes"], data.y_test)
        save(
            "sample_predictions",
            "sample_predictions.png",
            figures.sample_predictions,
            data.x_test[indices],
            true,
            predicted,
            title=f"{best[1]}: the first {SAMPLE_FIRST} test digits, then its "
            f"{SAMPLE_MISTAKES} most confident mistakes (red)",
        )
    return drawn


def sample_prediction_rows(
    mistakes: list[list], y_test: np.ndarray
) -> tuple[list[int], list[int], list[int]]:
    """Test indices with true and predicted labels: the first test digits, then the most confident mistakes.

    Predictions are rebuilt from the metrics' mistakes list (every misclassified digit is in it), so no model
    needs to be loaded.
    """
    wrong = {int(i): int(p) for i, _, p, _ in mistakes}
    indices = list(range(min(SAMPLE_FIRST, len(y_test))))
    indices += [int(m[0]) for m in mistakes if int(m[0]) not in indices][:SAMPLE_MISTAKES]
    true = [int(y_test[i]) for i in indices]
    return indices, true, [wrong.get(i, t) for i, t in zip(indices, true, strict=False)]


__all__ = [
    "NOTEBOOK_PRESETS",
    "StudyProgress",
    "check_study",
    "reproduce",
    "summarize",
]
