"""A seed group: the test accuracies of runs that differ only by seed, with their mean and spread.

One run has no spread: its ``std`` is None (not 0), so a table shows "—" and a figure draws no error bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mnistlab.study import stats


@dataclass
class Group:
    """``values`` are test accuracies (0-1); ``seeds`` their seeds when there is one value per seed (the claim
    check); ``runs`` the runs behind them when known (Compare)."""

    label: str
    values: list[float] = field(default_factory=list)
    seeds: list[int] | None = None
    runs: list = field(default_factory=list, repr=False)
    params: int | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    count = n

    @property
    def preset(self) -> str:
        """The claim check's groups are named after their preset."""
        return self.label

    @property
    def by_seed(self) -> dict[int, float]:
        return dict(zip(self.seeds or [], self.values, strict=False))

    @property
    def mean(self) -> float | None:
        return stats.mean_std(self.values)[0] if self.n else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation (n - 1); None below two runs: one run has no spread."""
        return stats.mean_std(self.values)[1] if self.n else None

    def describe(self) -> str:
        if not self.n:
            return f"{self.label}: no runs"
        spread = f" ± {self.std * 100:.2f}" if self.std is not None else ""
        return f"{self.label}: {self.mean * 100:.2f}{spread} % ({self.n} seed{'s' if self.n != 1 else ''})"
