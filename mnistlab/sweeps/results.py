"""What a sweep found, as plain data: the trial table, the best trial, parameter importance, Pareto fronts.

Everything here reads the Optuna study (no runner, no Streamlit), so the page, the CLI and ``summary.json``
show the same numbers.
"""

from __future__ import annotations

import math
import time

from mnistlab.sweeps.spec import METRICS, SweepSpec
from mnistlab.text import duration, percent

# Optuna's trial states as the page and summaries name them; a FAIL is 'interrupted' when it will be asked again.
STATE_NAMES = {
    "COMPLETE": "completed",
    "PRUNED": "pruned",
    "FAIL": "failed",
    "RUNNING": "running",
    "WAITING": "waiting",
}


def trial_rows(study, sweep: SweepSpec) -> list[dict]:
    """One dict per trial, in trial order: number, status, params, value, epochs, curve, runs, time, size."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        status = STATE_NAMES.get(t.state.name, t.state.name.lower())
        if status == "failed" and t.user_attrs.get("interrupted"):
            status = "interrupted"
        curve = [t.intermediate_values[k] for k in sorted(t.intermediate_values)]
        value = t.value if t.state.name in ("COMPLETE", "PRUNED") else None
        if t.state.name == "PRUNED" and value is None and curve:
            value = curve[-1]
        rows.append(
            {
                "number": t.number,
                "status": status,
                "params": {k: t.params.get(k) for k in sweep.keys if k in t.params},
                "value": None if value is None or not math.isfinite(value) else float(value),
                "epochs": len(curve),
                "curve": curve,
                "pruned_at": t.user_attrs.get("pruned_at"),
                "run_ids": list(t.user_attrs.get("run_ids") or []),
                "train_s": t.user_attrs.get("train_s"),
                "params_count": t.user_attrs.get("params_count"),
                "error": t.user_attrs.get("error"),
                "retry_of": t.user_attrs.get("retry_of"),
                "started": t.datetime_start.timestamp() if t.datetime_start else None,
            }
        )
    return rows


def best_row(rows: list[dict], sweep: SweepSpec) -> dict | None:
    """The completed trial with the best metric (pruned trials never count as best)."""
    done = [r for r in rows if r["status"] == "completed" and r["value"] is not None]
    if not done:
        return None
    pick = max if sweep.direction == "maximize" else min
    return pick(done, key=lambda r: r["value"])


def importances(study, sweep: SweepSpec) -> dict[str, float]:
    """fANOVA importance of each searched setting (sums to 1), from the completed trials; {} when fewer than
    three completed trials or no setting varied yet. Seeded, so the same study gives the same bars."""
    import optuna
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    varied = [k for k in sweep.keys if len({repr(t.params.get(k)) for t in complete if k in t.params}) > 1]
    if len(complete) < 3 or not varied:
        return {}
    try:
        found = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0), params=varied
        )
    except (ValueError, RuntimeError):  # e.g. too few distinct points for the forest
        return {}
    return {k: float(v) for k, v in found.items()}


def pareto_front(points: list[tuple[float, float]], maximize_y: bool = True) -> list[int]:
    """Indices of the points no other point beats: smaller or equal x (cost) and better or equal y (metric),
    strictly better in one. Sorted by x. Points with a None are skipped."""
    sign = 1 if maximize_y else -1
    indexed = [(i, x, sign * y) for i, (x, y) in enumerate(points) if x is not None and y is not None]
    indexed.sort(key=lambda p: (p[1], -p[2]))
    front, best = [], -math.inf
    for i, _, y in indexed:
        if y > best:
            front.append(i)
            best = y
    return front


# ------------------------------------------------------------------------------------------- summaries


def summary(study, sweep: SweepSpec, sweep_id: str, with_importance: bool = True) -> dict:
    """What ``summary.json`` holds: the sweep, every trial (id, params, status, metric, run ids), the best,
    and (``with_importance``: about half a second of fANOVA) each setting's importance."""
    rows = trial_rows(study, sweep)
    best = best_row(rows, sweep)
    train_s = sum(r["train_s"] or 0 for r in rows)
    return {
        "id": sweep_id,
        "name": sweep.name,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sweep": sweep.to_dict(),
        "metric": sweep.metric,
        "direction": sweep.direction,
        "budget": sweep.budget,
        "counts": {s: sum(1 for r in rows if r["status"] == s) for s in dict.fromkeys(STATE_NAMES.values())}
        | {"interrupted": sum(1 for r in rows if r["status"] == "interrupted")},
        "train_s": round(train_s, 2),
        "trials": [
            {
                "id": r["number"],
                "params": r["params"],
                "status": r["status"],
                "metric": r["value"],
                "epochs": r["epochs"],
                "pruned_at": r["pruned_at"],
                "run_ids": r["run_ids"],
                "train_s": r["train_s"],
                "params_count": r["params_count"],
                "error": r["error"],
            }
            for r in rows
        ],
        "best": None
        if best is None
        else {
            "id": best["number"],
            "params": best["params"],
            "metric": best["value"],
            "run_ids": best["run_ids"],
        },
        "importance": importances(study, sweep) if with_importance else {},
    }


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    return percent(value) if metric.endswith("accuracy") else f"{value:.4f}"


def format_param(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def markdown(data: dict) -> str:
    """``summary.md``: the sweep in a few lines, the best trial, importance and the trial table."""
    metric = data["metric"]
    sweep = data["sweep"]
    lines = [
        f"# Sweep {data['name']} ({data['id']})",
        "",
        f"{sweep['method']} search over {', '.join(sweep['space'])}; metric {metric} "
        f"({METRICS[metric][1]}); pruning: {sweep['prune'] or 'off'}; budget {data['budget']} trials.",
        "",
        "Trials: " + ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n) + f"; training time "
        f"{duration(data['train_s'])}.",
        "",
    ]
    best = data["best"]
    if best:
        settings = ", ".join(f"{k} = {format_param(v)}" for k, v in best["params"].items())
        lines += [
            f"**Best: trial {best['id']}**, {metric} {format_value(metric, best['metric'])}: {settings}.",
            "",
        ]
    if data["importance"]:
        lines += ["## Which settings mattered (fANOVA importance)", ""]
        lines += [f"- {k}: {100 * v:.0f} %" for k, v in data["importance"].items()]
        lines.append("")
    keys = list(sweep["space"])
    lines += [
        "## Trials",
        "",
        "| # | status | " + " | ".join(keys) + f" | {metric} | epochs | runs |",
        "|" + "---|" * (len(keys) + 5),
    ]
    for t in data["trials"]:
        cells = [str(t["id"]), t["status"], *(format_param(t["params"].get(k)) for k in keys)]
        cells += [format_value(metric, t["metric"]), str(t["epochs"]), " ".join(t["run_ids"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(sweeps, sweep_id: str, study, sweep: SweepSpec, with_importance: bool = True) -> dict:
    data = summary(study, sweep, sweep_id, with_importance)
    sweeps.write_summary(sweep_id, data, markdown(data))
    return data
