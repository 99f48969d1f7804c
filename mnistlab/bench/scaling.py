"""Scaling: seconds per epoch against training-set size and against work per image."""

from __future__ import annotations

import numpy as np

from mnistlab.bench.sizes import MLP_PRESETS, Sizes
from mnistlab.bench.throughput import epoch_seconds_mnistlab
from mnistlab.data import Mnist, load_mnist
from mnistlab.specs import PRESETS


def linear_fit(xs, ys) -> dict:
    """Least-squares line through (xs, ys): slope, intercept and R^2 (1.0 = perfectly linear)."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        return {"slope": None, "intercept": None, "r2": None}
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.sum((y - (slope * x + intercept)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return {"slope": float(slope), "intercept": float(intercept), "r2": round(r2, 4)}


def scaling(sizes: Sizes, data: Mnist | None = None, by_preset: dict | None = None) -> dict:
    """Seconds per epoch against training-set size (dropout) and against work per sample (the presets)."""
    data = data or load_mnist()
    full = sizes.train_subset or len(data.x_train)
    rows = []
    for fraction in sizes.scaling_fractions:
        n = max(512, int(full * fraction))  # at least one full batch
        seconds, _, _ = epoch_seconds_mnistlab(PRESETS["dropout"], sizes, data, train_subset=n)
        rows.append(
            {
                "fraction": fraction,
                "samples": n,
                "epoch_s": round(seconds, 3),
                "us_per_sample": round(1e6 * seconds / n, 2),
            }
        )
    size_fit = linear_fit([r["samples"] for r in rows], [r["epoch_s"] for r in rows])
    out = {
        "by_size": rows,
        "size_fit": size_fit,
        "size_verdict": _verdict(size_fit, rows[-1]["epoch_s"], "training-set size"),
    }
    if by_preset:
        names = [n for n in by_preset]
        model_rows = [
            {
                "preset": n,
                "params": by_preset[n]["params"],
                "mflops": by_preset[n]["train_mflops_per_sample"],
                "epoch_s": by_preset[n]["epoch_s"],
            }
            for n in names
        ]
        mlp = [r for r in model_rows if r["preset"] in MLP_PRESETS]
        params_fit = linear_fit([r["params"] for r in mlp], [r["epoch_s"] for r in mlp])
        flops_fit = linear_fit([r["mflops"] for r in model_rows], [r["epoch_s"] for r in model_rows])
        out.update(
            by_model=model_rows,
            params_fit=params_fit,
            flops_fit=flops_fit,
            params_verdict=_verdict(params_fit, max(r["epoch_s"] for r in mlp), "parameter count (MLPs)"),
        )
    return out


def _verdict(fit: dict, largest_s: float, what: str) -> str:
    if fit["r2"] is None:
        return "not enough points"
    fixed = fit["intercept"] / largest_s if largest_s else 0.0
    shape = "linear" if fit["r2"] >= 0.98 else "roughly linear" if fit["r2"] >= 0.9 else "not linear"
    return (
        f"{shape} in {what} (R^2 {fit['r2']:.3f}); fixed cost per epoch "
        f"{fit['intercept']:.2f} s ({100 * fixed:.0f} % of the largest)"
    )
