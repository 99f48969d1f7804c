"""One of each statistic: seed mean and spread, Welch's test, percentiles."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from mnistlab.study import stats


def test_mean_std_uses_the_sample_deviation():
    mean, std = stats.mean_std([0.96, 0.97, 0.98])
    assert mean == pytest.approx(0.97)
    assert std == pytest.approx(0.01)
    assert stats.mean_std([0.5]) == (0.5, None)
    with pytest.raises(ValueError):
        stats.mean_std([])


def test_welch_agrees_with_scipys_unequal_variance_t_test():
    a, b = [0.981, 0.979, 0.984, 0.980], [0.975, 0.977, 0.970]
    test = stats.welch(a, b)
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert test.t == pytest.approx(reference.statistic)
    # The p-value at our t and df must be SciPy's: the same degrees of freedom, not rounded.
    assert 2 * scipy_stats.t.sf(abs(test.t), test.df) == pytest.approx(reference.pvalue)
    assert test.critical == pytest.approx(scipy_stats.t.ppf(0.975, test.df))
    assert test.clear == (reference.pvalue / 2 < 0.025 and test.t > 0)


def test_welch_with_no_spread_is_infinite_when_means_differ_and_zero_when_equal():
    assert math.isinf(stats.welch([0.9, 0.9], [0.8, 0.8]).t)
    assert stats.welch([0.9, 0.9], [0.9, 0.9]).t == 0
    with pytest.raises(ValueError):
        stats.welch([0.9], [0.8, 0.7])


def test_summary_and_sample_forms_agree():
    a, b = [1.0, 2.0, 4.0], [0.5, 0.7, 0.6, 0.9]
    from_samples = stats.welch(a, b)
    (ma, sa), (mb, sb) = stats.mean_std(a), stats.mean_std(b)
    assert stats.welch_from_summary(ma, sa, 3, mb, sb, 4) == from_samples


def test_percentile():
    assert stats.percentile([], 95) is None
    assert stats.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert stats.percentile(list(range(101)), 95) == 95
