"""Comparing runs as plain data: table rows, seed groups (``study.groups``), spec/config diffs, CSV export.

Everything here takes ``store.Run`` objects (or plain dicts) and returns plain Python, so the Compare and Home
pages only lay results out.
"""

from __future__ import annotations

import csv
import io
import json

from mnistlab.dataset_choice import title as dataset_title
from mnistlab.export.importing import architecture_text
from mnistlab.labels import setting_label
from mnistlab.runs.run import Run
from mnistlab.specs import NOTEBOOK_RESULTS, PRESETS
from mnistlab.study import stats
from mnistlab.study.groups import Group

CURVE_METRICS = {
    "Validation accuracy": "val_accuracy",
    "Validation loss": "val_loss",
    "Train loss": "loss",
    "Train accuracy": "accuracy",
}


def run_row(run: Run) -> dict:
    """One table row: what a person compares at a glance."""
    config = run.config or {}
    return {
        "Name": run.name,
        "Dataset": dataset_title(run.dataset),
        "Architecture": architecture_text(run),
        "Parameters": run.params,
        "Epochs": run.epochs_done,
        "Batch size": config.get("batch_size"),
        "Optimizer": config.get("optimizer"),
        "Seed": config.get("seed"),
        "Test accuracy (%)": None if run.test_accuracy is None else round(100 * run.test_accuracy, 2),
        "Training time (s)": None if run.duration_s is None else round(float(run.duration_s), 1),
        "Status": run.status,
        "Run id": run.id,
    }


def table_rows(runs: list[Run]) -> list[dict]:
    return [run_row(run) for run in runs]


def csv_bytes(rows: list[dict]) -> bytes:
    """The rows as UTF-8 CSV (header from the first row's keys); empty input gives empty bytes."""
    if not rows:
        return b""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def by_dataset(runs: list[Run]) -> dict[str, list[Run]]:
    """The runs of each dataset, in order of first appearance (runs of two sets are never one comparison)."""
    found: dict[str, list[Run]] = {}
    for run in runs:
        found.setdefault(run.dataset, []).append(run)
    return found


def group_key(run: Run) -> str:
    """Runs with equal keys differ only by seed: same dataset, same layers, same training config otherwise."""
    config = {k: v for k, v in (run.config or {}).items() if k != "seed"}
    config["dataset"] = run.dataset  # runs from before datasets have none in their config: MNIST
    layers = [layer.to_dict() for layer in run.spec.layers]
    return json.dumps({"layers": layers, "config": config}, sort_keys=True)


def seed_groups(runs: list[Run]) -> list[Group]:
    """Group runs with a test accuracy by ``group_key``, in order of first appearance in ``runs``.

    Labels are the runs' common name, else their common preset, else the architecture.
    """
    by_key: dict[str, list[Run]] = {}
    for run in runs:
        if run.test_accuracy is not None:
            by_key.setdefault(group_key(run), []).append(run)
    return [
        Group(_group_label(m), [r.test_accuracy for r in m], runs=m, params=m[0].params)
        for m in by_key.values()
    ]


def _group_label(members: list[Run]) -> str:
    names = {r.name for r in members}
    if len(names) == 1:
        base = names.pop()
    else:
        presets = {r.preset for r in members}
        base = presets.pop() if len(presets) == 1 and None not in presets else members[0].spec.summary()
    if members[0].dataset != "mnist" and members[0].dataset not in base:
        base = f"{base} [{members[0].dataset}]"
    return base if len(members) == 1 else f"{base} (×{len(members)})"


def notebook_references(groups: list[Group]) -> dict[str, float]:
    """Group label -> the notebook's reported accuracy (%), for groups whose runs are all of one notebook
    preset (the red marks on Compare's accuracy chart)."""
    references = {}
    for group in groups:
        if any(run.dataset != "mnist" for run in group.runs):
            continue  # the notebook's figures are MNIST's
        presets = {run.preset for run in group.runs}
        if len(presets) == 1 and (preset := presets.pop()) in NOTEBOOK_RESULTS:
            references[group.label] = NOTEBOOK_RESULTS[preset][2]
    return references


def default_selection(runs: list[Run]) -> list[str]:
    """Ids of the latest completed run of each preset (``runs`` newest first); else the latest two runs."""
    chosen: dict[str, str] = {}
    for run in runs:
        if run.status == "completed" and run.preset and run.preset not in chosen:
            chosen[run.preset] = run.id
    if chosen:
        order = list(PRESETS)
        return [chosen[p] for p in sorted(chosen, key=lambda p: order.index(p) if p in order else len(order))]
    return [run.id for run in runs[:2]]


def curve_series(runs: list[Run], metric: str) -> dict[str, list[float | None]]:
    """Per-epoch values of ``metric`` (a history key) for each run that has them, keyed by a unique label."""
    series: dict[str, list[float | None]] = {}
    for run in runs:
        values = (run.history or {}).get(metric)
        if isinstance(values, list) and values:
            label = run.name if run.name not in series else f"{run.name} [{run.id}]"
            series[label] = values
    return series


def diff_rows(a: Run, b: Run) -> list[dict]:
    """Side-by-side spec and config of two runs: one row per setting, with whether they differ."""
    rows = [
        _row("Architecture", architecture_text(a), architecture_text(b)),
        _row("Parameters", f"{a.params:,}", f"{b.params:,}"),
    ]
    layers_a, layers_b = a.spec.layers, b.spec.layers
    for i in range(max(len(layers_a), len(layers_b))):
        la = layers_a[i].label() if i < len(layers_a) else "—"
        lb = layers_b[i].label() if i < len(layers_b) else "—"
        rows.append(_row(f"Layer {i + 1}", la, lb))
    keys = list(dict.fromkeys([*(a.config or {}), *(b.config or {})]))
    for key in keys:
        rows.append(_row(setting_label(key), (a.config or {}).get(key, "—"), (b.config or {}).get(key, "—")))
    acc = [None if r.test_accuracy is None else f"{r.test_accuracy:.2%}" for r in (a, b)]
    rows.append(_row("Test accuracy", acc[0] or "—", acc[1] or "—"))
    return rows


def _row(setting: str, a, b) -> dict:
    return {"Setting": setting, "A": _text(a), "B": _text(b), "Differs": _text(a) != _text(b)}


def _text(value) -> str:
    return "—" if value is None else str(value)


def notebook_rows(runs: list[Run]) -> list[dict]:
    """The notebook's four experiments: reported accuracy beside this store's comparable runs of each preset.

    Comparable means what the claim check counts (``claims.RULE``: full data, standard epochs, one run per seed);
    other finished runs of a preset are only counted, so a quick 1-epoch test never drags a mean down.
    """
    from mnistlab.study.claims import counts, group_runs

    runs = [run for run in runs if run.dataset == "mnist"]  # the notebook's figures are MNIST's
    groups = group_runs(runs)
    rows = []
    for preset_name, (number, title, reported) in NOTEBOOK_RESULTS.items():
        accs = [100 * acc for acc in groups[preset_name].values]
        others = sum(1 for r in runs if r.preset == preset_name and r.status == "completed" and not counts(r))
        if not accs:
            here = f"— ({others} with other settings)" if others else "—"
        elif len(accs) == 1:
            here = f"{accs[0]:.2f} %"
        else:
            mean, std = stats.mean_std(accs)
            here = f"{mean:.2f} ± {std:.2f} % (n={len(accs)})"
        rows.append(
            {
                "#": number,
                "Experiment": title,
                "Architecture": PRESETS[preset_name].summary(),
                "Notebook (%)": reported,
                "Runs here": here,
                "Preset": preset_name,
            }
        )
    return rows
