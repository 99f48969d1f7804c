"""The Learn page's width-speed verdicts (the timing itself is exercised by the Learn page test)."""

from __future__ import annotations

import pytest

from mnistlab.bench import width_speed


def test_compare_speeds_says_whether_a_difference_shows():
    a = width_speed.WidthSpeed(100, 2.0, 1.9, 2.1, 512)
    same = width_speed.WidthSpeed(128, 2.05, 1.95, 2.2, 512)
    slow = width_speed.WidthSpeed(256, 4.0, 3.8, 4.2, 512)
    assert "no difference shows" in width_speed.compare_speeds(a, same)
    assert "clearly slower" in width_speed.compare_speeds(a, slow)
    assert a.samples_per_s == pytest.approx(512 / 0.002)
