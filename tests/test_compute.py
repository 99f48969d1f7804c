"""The precision choice: forced settings, CPUs without bfloat16, the margin, and the per-CPU memory (fake
measurements: tests never time things)."""

from __future__ import annotations

import json

import pytest

from mnistlab import compute
from mnistlab.specs import PRESETS


@pytest.fixture
def with_bfloat16(monkeypatch):
    monkeypatch.setattr(compute, "cpu_has_bfloat16", lambda: True)


def fake(float32: float, bfloat16: float):
    calls = []

    def measure(spec, batch_size):
        calls.append((spec.name, batch_size))
        return {"float32": float32, "bfloat16": bfloat16}

    return measure, calls


def test_forced_settings_win_and_unknown_ones_are_refused(monkeypatch, tmp_path):
    measure, calls = fake(1.0, 0.1)
    monkeypatch.setenv(compute.COMPUTE_ENV, "float32")
    assert compute.choose(PRESETS["tuned"], 512, measure=measure, path=tmp_path / "c.json") == "float32"
    assert compute.choose(PRESETS["tuned"], 512, "bfloat16", measure=measure) == "bfloat16"
    assert calls == []
    with pytest.raises(compute.ComputeError, match="float32"):
        compute.requested("half")


def test_no_native_bfloat16_means_float32_without_measuring(monkeypatch, tmp_path):
    monkeypatch.delenv(compute.COMPUTE_ENV, raising=False)
    monkeypatch.setattr(compute, "cpu_has_bfloat16", lambda: False)
    measure, calls = fake(1.0, 0.1)
    assert compute.choose(PRESETS["tuned"], 512, measure=measure, path=tmp_path / "c.json") == "float32"
    assert calls == []


def test_the_avx2_limit_turns_bfloat16_off(monkeypatch):
    compute.cpu_flags.cache_clear()
    monkeypatch.setattr(compute, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert compute.cpu_has_bfloat16() is False
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert compute.cpu_has_bfloat16() is True


@pytest.mark.parametrize(
    ("float32", "bfloat16", "choice"),
    [(1.0, 0.5, "bfloat16"), (1.0, 0.95, "float32"), (1.0, 1.6, "float32"), (1.1, 1.0, "bfloat16")],
)
def test_bfloat16_must_win_by_the_margin(float32, bfloat16, choice):
    assert compute.decide({"float32": float32, "bfloat16": bfloat16}) == choice


def test_measured_once_per_cpu_and_shape_then_remembered(monkeypatch, tmp_path, with_bfloat16):
    monkeypatch.delenv(compute.COMPUTE_ENV, raising=False)
    path = tmp_path / "compute.json"
    slow_small, calls = fake(1.0, 1.5)  # bfloat16 slower: the smallest net
    assert compute.choose(PRESETS["baseline"], 512, measure=slow_small, path=path) == "float32"
    assert compute.choose(PRESETS["baseline"], 512, measure=slow_small, path=path) == "float32"
    assert calls == [("baseline", 512)]
    quick_wide, wide_calls = fake(2.0, 1.0)
    assert compute.choose(PRESETS["tuned"], 512, measure=quick_wide, path=path) == "bfloat16"
    assert compute.choose(PRESETS["tuned"], 256, measure=quick_wide, path=path) == "bfloat16"
    assert len(wide_calls) == 2  # another batch size is another shape
    stored = json.loads(path.read_text())[compute.cpu_key()]
    assert len(stored) == 3 and {e["choice"] for e in stored.values()} == {"float32", "bfloat16"}


def test_short_runs_are_not_worth_measuring(monkeypatch, tmp_path, with_bfloat16):
    monkeypatch.delenv(compute.COMPUTE_ENV, raising=False)
    measure, calls = fake(2.0, 1.0)
    path = tmp_path / "compute.json"
    assert compute.choose(PRESETS["tuned"], 64, images=5_000, measure=measure, path=path) == "float32"
    assert calls == []
    compute.choose(PRESETS["tuned"], 64, images=500_000, measure=measure, path=path)  # measured, remembered
    assert compute.choose(PRESETS["tuned"], 64, images=5_000, measure=measure, path=path) == "bfloat16"


def test_a_broken_memory_file_is_measured_again(monkeypatch, tmp_path, with_bfloat16):
    monkeypatch.delenv(compute.COMPUTE_ENV, raising=False)
    path = tmp_path / "compute.json"
    path.write_text("{not json")
    measure, calls = fake(1.0, 2.0)
    assert compute.choose(PRESETS["deeper"], 512, measure=measure, path=path) == "float32"
    assert calls and json.loads(path.read_text())


def test_shape_key_ignores_the_name():
    renamed = PRESETS["dropout"].__class__("mine", PRESETS["dropout"].layers)
    assert compute.shape_key(renamed, 256) == compute.shape_key(PRESETS["dropout"], 256)
    assert compute.shape_key(PRESETS["dropout"], 256) != compute.shape_key(PRESETS["deeper"], 256)


@pytest.mark.slow
def test_time_steps_measures_both_precisions():
    seconds = compute.time_steps(PRESETS["baseline"], 16, rounds=2)
    assert set(seconds) == {"float32", "bfloat16"} and all(s > 0 for s in seconds.values())
