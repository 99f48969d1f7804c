import json
import math

import pytest

from mnistlab import specs
from mnistlab.specs import PRESETS, SpecError, count_params, from_dict, from_json, validate


def kinds_and_settings(spec):
    return [layer.to_dict() for layer in spec.layers]


def test_presets_have_the_notebook_layers():
    assert list(PRESETS) == ["baseline", "deeper", "dropout", "tuned", "cnn"]
    relu = "relu"
    assert kinds_and_settings(PRESETS["baseline"]) == [{"kind": "dense", "units": 128, "activation": relu}]
    assert kinds_and_settings(PRESETS["deeper"]) == [
        {"kind": "dense", "units": 256, "activation": relu},
        {"kind": "dense", "units": 128, "activation": relu},
    ]
    assert kinds_and_settings(PRESETS["dropout"]) == [
        {"kind": "dense", "units": 256, "activation": relu},
        {"kind": "dropout", "rate": 0.3},
        {"kind": "dense", "units": 128, "activation": relu},
        {"kind": "dropout", "rate": 0.2},
    ]
    assert kinds_and_settings(PRESETS["tuned"]) == [
        {"kind": "dense", "units": 512, "activation": relu},
        {"kind": "dropout", "rate": 0.3},
        {"kind": "dense", "units": 256, "activation": relu},
        {"kind": "dropout", "rate": 0.2},
        {"kind": "dense", "units": 128, "activation": relu},
    ]
    assert any(layer.kind == "conv2d" for layer in PRESETS["cnn"].layers)


@pytest.mark.parametrize(
    "name, params", [("baseline", 101_770), ("deeper", 235_146), ("dropout", 235_146), ("tuned", 567_434)]
)
def test_preset_parameter_counts(name, params):
    assert count_params(PRESETS[name]) == params


def test_specs_round_trip_through_json():
    for spec in PRESETS.values():
        again = from_json(json.dumps(spec.to_dict()))
        assert again == spec


def test_summary_reads_like_the_notebook():
    assert PRESETS["dropout"].summary() == "Dense(256) → Dropout(0.3) → Dense(128) → Dropout(0.2)"


def layer(**kw):
    return {"name": "x", "layers": [kw]}


@pytest.mark.parametrize(
    "raw, message",
    [
        (layer(kind="dense", units=0), r"Layer 1 \(dense\) units is 0; allowed range is 1-4096"),
        (layer(kind="dense", units=5000), "allowed range is 1-4096"),
        (layer(kind="dense", units=12.5), "whole number"),
        (layer(kind="dense", units="128"), "must be a number"),
        (layer(kind="dense", units=True), "must be a number"),
        (layer(kind="dense", units=math.nan), "finite"),
        (layer(kind="dense", units=128, activation="softmaxx"), "activation 'softmaxx' is unknown"),
        (layer(kind="dropout", rate=1.0), r"rate is 1; it must be at least 0 and below 1"),
        (layer(kind="dropout", rate=-0.1), "at least 0"),
        (layer(kind="dropout"), "needs 'rate'"),
        (layer(kind="pool"), "unknown kind 'pool'"),
        (layer(kind="dense", units=8, bias=False), "unknown settings"),
        (layer(kind="conv2d", filters=1000), "filters is 1000; allowed range is 1-512"),
        (layer(kind="conv2d", filters=8, kernel_size=9), "kernel_size is 9; allowed range is 1-7"),
        (layer(kind="max_pool", size=5), "size is 5; allowed range is 2-4"),
        (
            {"name": "x", "layers": [{"kind": "dense", "units": 8}, {"kind": "conv2d", "filters": 4}]},
            r"Layer 2 \(conv2d\) comes after the image was flattened",
        ),
        (
            {"name": "x", "layers": [{"kind": "dense", "units": 4096}, {"kind": "dense", "units": 4096}]},
            "trainable parameters; the limit is 8,000,000",
        ),
        ({"name": "x", "layers": [{"kind": "max_pool", "size": 4}] * 3}, "shrinks the image to nothing"),
        ({"name": "x", "layers": [{"kind": "dense", "units": 1}] * 25}, "at most 24 hidden layers"),
        ({"name": "x", "layers": "dense"}, "needs 'layers'"),
        ({"name": "", "layers": []}, "name must be"),
        ({"name": "a\nb", "layers": []}, "control characters"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_validation_errors_name_the_layer_and_range(raw, message):
    with pytest.raises(SpecError, match=message):
        from_dict(raw)


def test_malformed_json_is_refused():
    with pytest.raises(SpecError, match="not valid JSON"):
        from_json("{layers: [")
    with pytest.raises(SpecError, match="nested too deeply"):
        from_json("[" * 100_000)


def test_validate_accepts_presets_and_empty_spec():
    for spec in PRESETS.values():
        assert validate(spec) is spec
    assert count_params(from_dict({"name": "softmax regression", "layers": []})) == 7850


def test_layer_shapes_and_per_layer_params_of_the_cnn():
    cnn = PRESETS["cnn"]
    assert specs.layer_shapes(cnn)[:5] == [(24, 24, 16), (12, 12, 16), (8, 8, 32), (4, 4, 32), (512,)]
    params = specs.layer_params(cnn)
    assert params[0] == 5 * 5 * 16 + 16 and params[2] == (5 * 5 * 16 + 1) * 32
    assert params[5] == (512 + 1) * 128 and params[-1] == 128 * 10 + 10
    assert sum(params) == count_params(cnn)


def test_unknown_preset():
    with pytest.raises(SpecError, match="presets: baseline"):
        specs.preset("nope")
