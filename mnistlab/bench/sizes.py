"""How big each benchmark measurement is: ``FULL`` for the real figures, ``QUICK`` for a smoke check."""

from __future__ import annotations

from dataclasses import dataclass

from mnistlab.specs import NOTEBOOK_PRESETS
from mnistlab.training import TrainConfig

MLP_PRESETS = NOTEBOOK_PRESETS  # the notebook's four dense networks
# Plain Keras as a newcomer would write it: Adam at its default rate, batch 128, numpy arrays into fit.
FIT_BATCH = 128


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is; ``QUICK`` is a smoke check, ``FULL`` the real thing."""

    train_subset: int | None = None  # None: all 60 000 training images
    test_size: int = 10000
    max_epochs: int = TrainConfig().epochs  # mnistlab's default epochs
    fit_max_epochs: int = 15
    cnn: bool = True
    throughput_epochs: int = 2  # the last one is timed (the first pays for tracing)
    overhead_epochs: int = 3
    overhead_repeats: int = 3
    draw_n: int = 500
    startup: bool = True
    memory_jobs: int = 3
    scaling_fractions: tuple = (0.1, 0.5, 1.0)
    seeds: int = 3  # seeds per preset for time to the notebook's figure
    live_epochs: int = 20  # baseline epochs trained per live-view measurement
    canvas_wait_s: float = 90.0  # how long the Draw page may take to show its canvas after its heading


FULL = Sizes()
QUICK = Sizes(
    train_subset=3000,
    test_size=2000,
    max_epochs=2,
    fit_max_epochs=2,
    cnn=False,
    throughput_epochs=2,
    overhead_epochs=1,
    overhead_repeats=1,
    draw_n=50,
    startup=True,
    memory_jobs=2,
    scaling_fractions=(0.5, 1.0),
    seeds=1,
    live_epochs=2,
    canvas_wait_s=45.0,
)
