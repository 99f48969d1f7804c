"""Runs on MNIST and on Fashion-MNIST side by side, for the pages' tests (fixtures in ``tests/conftest.py``).

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist``: without it these tests skip with the reason,
except in CI (``CI=true``), where ``.ci/run`` installs it and its absence is a failure.
"""

from __future__ import annotations

# Fashion-MNIST's class names, written out here so a typo in the package's copy fails a test.
FASHION = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def needs_fashion() -> None:
    """Skip the calling test when Fashion-MNIST is not installed (fail in CI): ``tests.idx_sets``' check."""
    from tests.idx_sets import fashion_folder

    fashion_folder()


def finished_run(
    store, preset: str, dataset: str, accuracy: float, seed: int = 0, name: str | None = None
) -> str:
    """A finished run written through the store, without training or a model file (for the fast lane)."""
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    config = TrainConfig(epochs=2, train_subset=6000, batch_size=128, seed=seed, dataset=dataset).to_dict()
    run_id = store.create(PRESETS[preset], config, name=name or f"{preset} {dataset}", preset=preset)
    store.save_history(run_id, {"loss": [0.6, 0.3], "accuracy": [0.85, 0.92]})
    store.finish(run_id, "completed", test_accuracy=accuracy, epochs_done=2)
    return run_id


def counted_run(preset: str, seed: int, accuracy: float, dataset: str):
    """A run record as the claim check counts it (standard epochs, all training images), without a store."""
    from types import SimpleNamespace

    from mnistlab.study import claims

    config = {"epochs": claims.STANDARD_EPOCHS, "train_subset": None, "seed": seed}
    return SimpleNamespace(
        preset=preset,
        config=config,
        status="completed",
        test_accuracy=accuracy,
        created=seed,
        dataset=dataset,
    )


def train_both(store) -> dict[str, str]:
    """One tiny baseline run per dataset (1 epoch on 600 images): {"mnist": id, "fashion-mnist": id}.

    The Fashion-MNIST run is newer, so pages that open on the newest run's dataset open on it."""
    from mnistlab.datasets import load_dataset
    from mnistlab.runs.experiment import train_run
    from mnistlab.specs import PRESETS
    from mnistlab.training import TrainConfig

    ids = {}
    for dataset in ("mnist", "fashion-mnist"):
        config = TrainConfig(epochs=1, train_subset=600, batch_size=64, seed=0, dataset=dataset)
        run_id = train_run(
            PRESETS["baseline"],
            config,
            store,
            name=f"tiny {dataset}",
            preset="baseline",
            data=load_dataset(dataset),
        )
        ids[dataset] = run_id
    return ids
