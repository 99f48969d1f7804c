"""The statistics every report uses, each written once: seed mean and spread, Welch's t-test, percentiles.

Accuracies vary from seed to seed; a difference between two models counts only when it is larger than that
spread. Critical values come from SciPy's Student t distribution at Welch's (fractional) degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (n - 1; None for a single value). Raises ValueError on no values."""
    if not len(values):
        raise ValueError("mean_std needs at least one value")
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else None


def t_critical(df: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided critical value of Student's t with ``df`` degrees of freedom (fractional df allowed)."""
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + confidence / 2, max(df, 1.0)))


@dataclass(frozen=True)
class Welch:
    """Welch's t-test of mean(a) - mean(b) for two samples that may have different spreads."""

    difference: float  # mean(a) - mean(b)
    se: float  # standard error of the difference
    df: float  # Welch-Satterthwaite degrees of freedom
    t: float  # difference / se (plus or minus infinity when both samples are constant and differ)
    critical: float  # two-sided critical value at CONFIDENCE

    @property
    def clear(self) -> bool:
        """Whether a is higher than b by more than the spread can explain."""
        return self.t > self.critical

    @property
    def margin(self) -> float:
        """The largest difference that seed noise could explain at CONFIDENCE (critical x standard error)."""
        return self.critical * self.se


def welch(a: Sequence[float], b: Sequence[float]) -> Welch:
    """Compare two samples of at least two values each (e.g. test accuracies over seeds)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError("Welch's test needs at least two values on each side")
    return welch_from_summary(*mean_std(a), len(a), *mean_std(b), len(b))


def welch_from_summary(mean_a: float, std_a: float, n_a: int, mean_b: float, std_b: float, n_b: int) -> Welch:
    """Welch's test from each sample's mean, sample standard deviation and size (n >= 2 on each side).

    The t statistic is SciPy's (``ttest_ind_from_stats``, unequal variances). SciPy does not report the
    degrees of freedom, which the critical value needs, so they are the Welch-Satterthwaite formula's.
    """
    from scipy.stats import ttest_ind_from_stats

    va, vb = std_a**2 / n_a, std_b**2 / n_b
    diff = mean_a - mean_b
    se = math.sqrt(va + vb)
    if se == 0:  # both samples constant: SciPy gives NaN; a difference with no spread at all is certain
        df = float(n_a + n_b - 2)
        t = math.copysign(math.inf, diff) if diff else 0.0
    else:
        df = (va + vb) ** 2 / ((va**2 / (n_a - 1) if va else 0.0) + (vb**2 / (n_b - 1) if vb else 0.0))
        t = float(ttest_ind_from_stats(mean_a, std_a, n_a, mean_b, std_b, n_b, equal_var=False).statistic)
    return Welch(diff, se, df, t, t_critical(df))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation) of ``values``; None when there are none."""
    if not len(values):
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))
