"""The architecture builder's list editing: add, remove, move, edit, to spec, summary."""

import pytest

from mnistlab.app import builder
from mnistlab.specs import PRESETS, SpecError, count_params


def test_preset_round_trips_through_a_draft():
    draft = builder.from_spec(PRESETS["dropout"])
    assert [layer["kind"] for layer in draft] == ["dense", "dropout", "dense", "dropout"]
    assert builder.to_spec(draft, name="dropout").layers == PRESETS["dropout"].layers


def test_add_remove_and_move_keep_uids_unique_and_order_right():
    draft = builder.from_spec(PRESETS["baseline"])
    draft = builder.add_layer(draft, "dropout")
    draft = builder.add_layer(draft, "dense", position=0)
    assert [layer["kind"] for layer in draft] == ["dense", "dense", "dropout"]
    assert len({layer["uid"] for layer in draft}) == 3
    first_uid = draft[0]["uid"]
    draft = builder.move_layer(draft, 0, 1)
    assert draft[1]["uid"] == first_uid
    assert builder.move_layer(draft, 2, 5)[-1] == draft[2]  # clamped at the end
    draft = builder.remove_layer(draft, 1)
    assert first_uid not in {layer["uid"] for layer in draft}
    assert builder.add_layer(draft, "flatten")[-1]["uid"] not in {layer["uid"] for layer in draft}


def test_original_draft_is_never_mutated():
    draft = builder.from_spec(PRESETS["deeper"])
    before = [dict(layer) for layer in draft]
    builder.add_layer(draft, "dense")
    builder.remove_layer(draft, 0)
    builder.move_layer(draft, 0, 1)
    builder.set_value(draft, draft[0]["uid"], "units", 7)
    assert draft == before


@pytest.mark.parametrize(
    ("param", "value", "message"), [("units", 0, "units is 0"), ("rate", 1.5, "below 1")]
)
def test_bad_values_raise_spec_errors_naming_the_layer(param, value, message):
    draft = builder.add_layer(builder.from_spec(PRESETS["baseline"]), "dropout")
    target = draft[0] if param == "units" else draft[1]
    draft = builder.set_value(draft, target["uid"], param, value)
    with pytest.raises(SpecError, match=message):
        builder.to_spec(draft)


def test_conv_after_dense_is_refused():
    draft = builder.add_layer(builder.from_spec(PRESETS["baseline"]), "conv2d")
    with pytest.raises(SpecError, match="flattened"):
        builder.to_spec(draft)


def test_unknown_kind_is_refused():
    with pytest.raises(SpecError, match="Unknown layer kind"):
        builder.add_layer([], "lstm")


def test_summary_rows_match_the_parameter_count():
    spec = PRESETS["cnn"]
    rows = builder.summary_rows(spec)
    assert rows[0] == {"Layer": "Input", "Output shape": "(28, 28)", "Parameters": 0}
    assert rows[1]["Output shape"] == "(24, 24, 16)" and rows[1]["Parameters"] == 416
    assert rows[-1]["Layer"] == "Dense(10, softmax)"
    assert sum(row["Parameters"] for row in rows) == count_params(spec) == builder.total_params(spec)
    assert len(rows) == len(spec.layers) + 2
