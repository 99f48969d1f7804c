"""Sweep specs: good ones parse and round-trip; every kind of bad one is refused with a message that names it."""

from __future__ import annotations

import json
import threading
import typing
from dataclasses import replace
from pathlib import Path

import pytest

from mnistlab.sweeps.parsing import parse_sweep, parse_sweep_json
from mnistlab.sweeps.spec import Dimension, SweepError

ROOT = Path(__file__).resolve().parents[1]
GOOD = {
    "name": "widths and dropout",
    "base": {"preset": "dropout"},
    "config": {"epochs": 4, "train_subset": 20000},
    "method": "tpe",
    "trials": 24,
    "seed": 0,
    "seeds_per_point": 1,
    "space": {
        "layers.0.units": {"low": 32, "high": 1024, "log": True, "int": True},
        "layers.1.rate": {"low": 0.0, "high": 0.6},
        "learning_rate": {"low": 1e-4, "high": 2e-2, "log": True},
        "batch_size": [128, 256, 512, 1024],
    },
    "metric": "val_accuracy",
    "prune": True,
}


def with_(**changes) -> dict:
    return {**GOOD, **changes}


def space(**dims) -> dict:
    return with_(space=dims)


def test_the_issue_example_parses_and_round_trips():
    sweep = parse_sweep(GOOD)
    assert sweep.base_preset == "dropout" and sweep.base.layers[0].units == 256
    assert sweep.keys == ["layers.0.units", "layers.1.rate", "learning_rate", "batch_size"]
    assert sweep.dimension("layers.0.units").whole and sweep.dimension("layers.0.units").log
    assert sweep.dimension("batch_size").choices == (128, 256, 512, 1024)
    assert sweep.prune == "median" and sweep.direction == "maximize" and sweep.budget == 24
    assert parse_sweep(json.loads(json.dumps(sweep.to_dict()))) == sweep


def test_apply_changes_layers_and_settings():
    sweep = parse_sweep(GOOD)
    spec, config = sweep.apply({"layers.0.units": 64, "layers.1.rate": 0.5, "batch_size": 128})
    assert spec.layers[0].units == 64 and spec.layers[1].rate == 0.5 and spec.layers[2].units == 128
    assert config.batch_size == 128 and config.epochs == 4 and config.train_subset == 20000


def test_a_full_architecture_spec_is_a_base():
    raw = with_(
        base={"spec": {"name": "mine", "layers": [{"kind": "dense", "units": 64}]}},
        space={"layers.0.units": [32, 64]},
    )
    sweep = parse_sweep(raw)
    assert sweep.base_preset is None and sweep.base.name == "mine"
    assert parse_sweep(sweep.to_dict()).base == sweep.base


def test_grid_points_and_plan():
    sweep = parse_sweep(
        with_(
            method="grid",
            trials=100,
            space={
                "learning_rate": {"low": 1e-3, "high": 1e-1, "log": True, "steps": 3},
                "optimizer": ["adam", "sgd"],
            },
        )
    )
    values = sweep.dimension("learning_rate").grid_values()
    assert values == pytest.approx([1e-3, 1e-2, 1e-1])
    assert sweep.grid_size == 6 and sweep.budget == 6
    every = sweep.grid_plan()
    assert len(every) == 6 and len({json.dumps(p, sort_keys=True) for p in every}) == 6
    small = parse_sweep({**sweep.to_dict(), "trials": 4})
    assert small.budget == 4 and len(small.grid_plan()) == 4
    assert all(p in every for p in small.grid_plan())


def test_grid_points_come_in_product_order_and_the_same_draw_as_before():
    """Drawing by index gives what listing every point and sampling it gave (old plans stay the same)."""
    import itertools
    import random

    sweep = parse_sweep(
        with_(
            method="grid",
            trials=7,
            seed=3,
            space={
                "learning_rate": {"low": 1e-3, "high": 1e-1, "log": True, "steps": 4},
                "optimizer": ["adam", "sgd", "rmsprop"],
                "layers.0.units": [64, 128],
            },
        )
    )
    listed = [
        dict(zip(sweep.keys, values, strict=True))
        for values in itertools.product(*(d.grid_values() for d in sweep.space))
    ]
    assert parse_sweep({**sweep.to_dict(), "trials": 100}).grid_plan() == listed
    assert sweep.grid_plan() == random.Random(3).sample(listed, 7)


def huge_grid(method: str = "grid") -> dict:
    """Six ranges of 20 steps: 64 million points."""
    keys = ["learning_rate", "layers.0.units", "layers.1.rate", "layers.2.units", "epochs", "batch_size"]
    ranges = {
        "learning_rate": {"low": 1e-4, "high": 1e-1, "log": True, "steps": 20},
        "layers.0.units": {"low": 32, "high": 512, "steps": 20},
        "layers.1.rate": {"low": 0.0, "high": 0.6, "steps": 20},
        "layers.2.units": {"low": 32, "high": 512, "steps": 20},
        "epochs": {"low": 1, "high": 40, "steps": 20},
        "batch_size": {"low": 32, "high": 1024, "steps": 20},
    }
    return with_(method=method, trials=50, space={k: ranges[k] for k in keys})


def test_a_grid_of_64_million_points_is_refused_at_once_with_its_size():
    answers = []

    def parse() -> None:
        try:
            parse_sweep(huge_grid())
        except SweepError as exc:
            answers.append(str(exc))

    worker = threading.Thread(target=parse, daemon=True)
    worker.start()
    worker.join(timeout=5)  # a generous guard: listing the grid would never return
    assert answers and "64,000,000 points" in answers[0] and "at most 1,000,000" in answers[0]


def test_a_big_space_counts_its_grid_without_listing_it():
    sweep = parse_sweep(huge_grid("random"))  # the same space, searched at random, is fine
    assert sweep.grid_size == 64_000_000 and sweep.budget == 50
    grid = replace(sweep, method="grid")  # were it a grid: its size, a budget and a plan, drawn by index
    assert grid.budget == 50 and len(grid.grid_plan()) == 50


def test_dimension_type_hints_resolve():
    """No field shadows a builtin, so tools that read the hints (dataclass tooling, docs) work."""
    hints = typing.get_type_hints(Dimension)
    assert hints["whole"] is bool and hints["steps"] == int | None


def test_old_sweep_files_keep_their_int_key():
    sweep = parse_sweep(GOOD)
    assert sweep.dimension("layers.0.units").whole
    assert sweep.to_dict()["space"]["layers.0.units"]["int"] is True


def test_the_shipped_example_is_valid():
    sweep = parse_sweep_json((ROOT / "examples" / "sweeps" / "notebook_mlp.json").read_text())
    assert sweep.base_preset == "dropout" and sweep.method == "tpe" and sweep.budget == 24


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be a JSON object"),
        (with_(colour="red"), "Unknown sweep keys ['colour']"),
        (with_(name=""), "name must be 1-64"),
        (with_(name="a\nb"), "control characters"),
        ({k: v for k, v in GOOD.items() if k != "base"}, "base is missing"),
        (with_(base={"preset": "huge"}), "base preset 'huge' is unknown; presets: baseline"),
        (with_(base={"preset": "dropout", "spec": {}}), 'either "preset" or "spec"'),
        (
            with_(base={"spec": {"name": "x", "layers": [{"kind": "dense"}]}}),
            "base spec: Layer 1 (dense) needs 'units'",
        ),
        (with_(base=3), "base must be"),
        (with_(config={"epochs": 0}), "config: epochs is 0; allowed range is 1-200"),
        (with_(config={"colour": 1}), "config: Unknown training settings"),
        (with_(config=[1]), "config must be an object"),
        (with_(method="bayes"), "method 'bayes' is unknown; use one of: grid, random, tpe"),
        (with_(space={}), "space must name at least one setting"),
        (space(**{"layers.9.units": [1, 2]}), "'layers.9.units': the base 'dropout' has layers 0 to 3"),
        (space(**{"layers.1.units": [1, 2]}), "layer 1 is Dropout(0.3), which takes rate"),
        (space(**{"layers.x.units": [1, 2]}), "must look like layers.N.field"),
        (space(colour=[1, 2]), "'colour' is neither layers.N.field nor a training setting"),
        (space(seed=[1, 2]), "'seed' is neither"),
        (space(optimizer=["adam", "lion"]), "unknown choices ['lion']; allowed: adam, sgd, rmsprop"),
        (space(optimizer={"low": 1, "high": 2}), "must be a list of choices from: adam"),
        (space(batch_size=[]), "needs 1 to 32 choices"),
        (space(batch_size=[128, 128]), "lists a choice twice"),
        (space(batch_size=[128, "big"]), "choices must be numbers"),
        (space(batch_size=[128.5]), "choices must be whole numbers"),
        (space(**{"layers.0.units": [0, 8]}), "choice 0 is out of range 1-4096"),
        (space(**{"layers.1.rate": [0.2, 1.0]}), "choice 1.0 is out of range"),
        (space(learning_rate="fast"), "must be a list of choices or a range"),
        (space(learning_rate={"low": 0.1}), "needs numbers low and high"),
        (space(learning_rate={"low": 0.1, "high": 0.01}), "low (0.1) must be below high (0.01)"),
        (space(learning_rate={"low": 0.0, "high": 0.1, "log": True}), "a log range needs low above 0"),
        (space(learning_rate={"low": 0.01, "high": 0.1, "step": 2}), "unknown fields ['step']"),
        (
            space(learning_rate={"low": 0.01, "high": 2.0}),
            "goes from 0.01 to 2; allowed: at least 1e-12 and at most 1",
        ),
        (
            space(learning_rate={"low": 0.01, "high": 0.1, "int": True}),
            'is not a whole number; drop "int": true',
        ),
        (space(learning_rate={"low": 0.01, "high": 0.1, "log": "yes"}), "log and int must be true or false"),
        (space(**{"layers.0.units": {"low": 32.5, "high": 64}}), "an int range needs whole low and high"),
        (space(**{"layers.0.units": {"low": 32, "high": 64, "int": False}}), "is a whole number; drop"),
        (space(**{"layers.0.units": {"low": 32, "high": 9000}}), "allowed: at least 1 and at most 4096"),
        (space(**{"layers.1.rate": {"low": 0.1, "high": 1.0}}), "at least 0 and below 1"),
        (with_(method="grid", space={"learning_rate": {"low": 0.01, "high": 0.1}}), 'a grid needs "steps"'),
        (
            with_(method="grid", space={"learning_rate": {"low": 0.01, "high": 0.1, "steps": 50}}),
            "steps is 50; allowed: 2 to 20",
        ),
        (
            space(**{f"layers.{i % 4}.{'units' if i % 2 == 0 else 'rate'}x{i}": [1] for i in range(13)}),
            "at most 12 may vary",
        ),
        (with_(metric="f1"), "metric 'f1' is unknown; use one of: val_accuracy, val_loss, test_accuracy"),
        (with_(prune="sometimes"), "prune must be true, false or one of: median, halving"),
        (with_(config={"validation_split": 0}), "validation_split is 0"),
        (with_(trials=0), "trials is 0; allowed: 1 to 200"),
        (with_(trials=2.5), "trials must be a whole number"),
        (with_(seeds_per_point=9), "seeds_per_point is 9; allowed: 1 to 5"),
        (with_(trials=200, seeds_per_point=3), "at most 400 runs"),
        (with_(seed=-1), "seed is -1"),
        (with_(parallel=99), "parallel is 99; allowed: 1 to 8"),
        (with_(description=5), "description must be text"),
        (
            with_(config={"train_subset": 1000}, space={"batch_size": [128, 2048]}),
            "space['batch_size'] = 2048: batch_size 2048 is larger than the 900",
        ),
        (
            with_(
                base={
                    "spec": {
                        "name": "wide",
                        "layers": [{"kind": "dense", "units": 4096}, {"kind": "dense", "units": 1024}],
                    }
                },
                space={"layers.1.units": [1024, 2048]},
            ),
            "space['layers.1.units'] = 2048: This architecture has",
        ),
    ],
)
def test_bad_sweeps_are_refused_with_a_message_naming_the_problem(raw, message):
    with pytest.raises(SweepError) as error:
        parse_sweep(raw)
    assert message in str(error.value)


def test_bad_json_is_one_clear_error():
    with pytest.raises(SweepError, match="not valid JSON"):
        parse_sweep_json("{nope")
