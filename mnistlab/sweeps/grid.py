"""A grid sweep's points, counted and drawn by index, never listed whole.

Six ranges of 20 steps make 64 million points: listing them (``itertools.product``) would hang. The size is
a product of lengths, and point ``i`` is read off as a mixed-radix number in the order ``itertools.product``
would give (the last dimension changes fastest), so a plan is the same as listing and sampling would make.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

MAX_GRID_POINTS = 1_000_000


def grid_size(space: Sequence) -> int:
    """How many points the dimensions' grid values make together."""
    return math.prod(len(dim.grid_values()) for dim in space)


def grid_point(space: Sequence, index: int) -> dict:
    """The ``index``-th point (0-based) of the grid, as {key: value}."""
    point = {}
    for dim in reversed(space):
        values = dim.grid_values()
        index, digit = divmod(index, len(values))
        point[dim.key] = values[digit]
    return {dim.key: point[dim.key] for dim in space}


def grid_plan(space: Sequence, trials: int, seed: int) -> list[dict]:
    """All the grid's points in order, or ``trials`` of them drawn with ``seed`` (same draw as sampling the
    listed points: ``random.sample`` picks positions from the population's length only)."""
    size = grid_size(space)
    if trials >= size:
        indices: Sequence[int] = range(size)
    else:
        indices = random.Random(seed).sample(range(size), trials)
    return [grid_point(space, i) for i in indices]
