"""Reading a sweep: plain data (parsed JSON) -> a valid ``SweepSpec``, or a ``SweepError`` that names the key
and what is allowed. Everything is checked here, before anything runs; code holding a ``SweepSpec`` trusts it.
"""

from __future__ import annotations

import json
import math

from mnistlab.specs import (
    LIMITS,
    PARAMS,
    PRESETS,
    ArchitectureSpec,
    LayerSpec,
    SpecError,
    has_control_characters,
)
from mnistlab.specs import from_dict as spec_from_dict
from mnistlab.sweeps.grid import MAX_GRID_POINTS, grid_size
from mnistlab.sweeps.spec import (
    CATEGORICAL_ONLY,
    INTEGER_SETTINGS,
    KEYS,
    MAX_CHOICES,
    MAX_DIMENSIONS,
    MAX_PARALLEL,
    MAX_RUNS,
    MAX_SEEDS,
    MAX_STEPS,
    MAX_TRIALS,
    METHODS,
    METRICS,
    NAME_MAX,
    PRUNERS,
    TRAIN_SETTINGS,
    Dimension,
    SweepError,
    SweepSpec,
    apply_params,
)
from mnistlab.training import ConfigError, TrainConfig


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value, what: str, low: int, high: int) -> int:
    if not _is_number(value) or float(value) != int(value):
        raise SweepError(f"{what} must be a whole number from {low} to {high}, got {value!r}.")
    if not low <= value <= high:
        raise SweepError(f"{what} is {int(value)}; allowed: {low} to {high}.")
    return int(value)


def _parse_base(raw) -> tuple[ArchitectureSpec, str | None]:
    if isinstance(raw, str):
        raw = {"preset": raw}
    if not isinstance(raw, dict):
        raise SweepError(
            'base must be {"preset": NAME} or {"spec": {...}} (an architecture spec); '
            f"presets: {', '.join(PRESETS)}."
        )
    if "preset" in raw:
        if set(raw) != {"preset"}:
            raise SweepError('base takes either "preset" or "spec", not both.')
        if raw["preset"] not in PRESETS:
            raise SweepError(f"base preset {raw['preset']!r} is unknown; presets: {', '.join(PRESETS)}.")
        return PRESETS[raw["preset"]], raw["preset"]
    spec_raw = raw.get("spec", raw) if set(raw) <= {"spec"} else raw
    try:
        return spec_from_dict(spec_raw), None
    except SpecError as exc:
        raise SweepError(f"base spec: {exc}") from None


def _parse_choices(key: str, raw: list, allowed: tuple | None, kind: str) -> tuple:
    if not 1 <= len(raw) <= MAX_CHOICES:
        raise SweepError(f"space[{key!r}] needs 1 to {MAX_CHOICES} choices, got {len(raw)}.")
    if len({json.dumps(c, sort_keys=True) for c in raw}) != len(raw):
        raise SweepError(f"space[{key!r}] lists a choice twice: {raw!r}.")
    if allowed is not None:
        bad = [c for c in raw if c not in allowed]
        if bad:
            raise SweepError(f"space[{key!r}] has unknown choices {bad!r}; allowed: {', '.join(allowed)}.")
        return tuple(raw)
    if not all(_is_number(c) for c in raw):
        raise SweepError(f"space[{key!r}] choices must be numbers, got {raw!r}.")
    if kind == "int" and not all(float(c).is_integer() for c in raw):
        raise SweepError(f"space[{key!r}] choices must be whole numbers, got {raw!r}.")
    return tuple(int(c) if kind == "int" else float(c) for c in raw)


def _parse_range(
    key: str, raw: dict, kind: str, limits: tuple[float, float] | None, method: str
) -> Dimension:
    unknown = set(raw) - {"low", "high", "log", "int", "steps"}
    if unknown:
        raise SweepError(
            f"space[{key!r}] has unknown fields {sorted(unknown)}; a range takes low, high, log, int, steps."
        )
    low, high = raw.get("low"), raw.get("high")
    if not (_is_number(low) and _is_number(high)):
        raise SweepError(f"space[{key!r}] needs numbers low and high, got low={low!r}, high={high!r}.")
    if not low < high:
        raise SweepError(f"space[{key!r}]: low ({low:g}) must be below high ({high:g}).")
    log, as_int = raw.get("log", False), raw.get("int", kind == "int")
    if not isinstance(log, bool) or not isinstance(as_int, bool):
        raise SweepError(f"space[{key!r}]: log and int must be true or false.")
    if kind == "int" and not as_int:
        raise SweepError(f'space[{key!r}] is a whole number; drop "int": false.')
    if kind == "float" and as_int:
        raise SweepError(f'space[{key!r}] is not a whole number; drop "int": true.')
    if as_int and not (float(low).is_integer() and float(high).is_integer()):
        raise SweepError(f"space[{key!r}]: an int range needs whole low and high, got {low!r}..{high!r}.")
    if log and low <= 0:
        raise SweepError(f"space[{key!r}]: a log range needs low above 0, got {low:g}.")
    if limits is not None:
        lo, hi = limits
        upper_ok = high < hi if key.endswith(".rate") else high <= hi
        if low < lo or not upper_ok:
            top = f"below {hi:g}" if key.endswith(".rate") else f"at most {hi:g}"
            raise SweepError(
                f"space[{key!r}] goes from {low:g} to {high:g}; allowed: at least {lo:g} and {top}."
            )
    steps = raw.get("steps")
    if steps is not None:
        steps = _whole(steps, f"space[{key!r}] steps", 2, MAX_STEPS)
    elif method == "grid":
        raise SweepError(f'space[{key!r}]: a grid needs "steps" (2-{MAX_STEPS}) for every range, or a list.')
    if as_int:
        low, high = int(low), int(high)
    else:
        low, high = float(low), float(high)
    return Dimension(key, low=low, high=high, log=log, whole=as_int, steps=steps)


def _dimension(key, raw, base: ArchitectureSpec, method: str) -> Dimension:
    """Check one ``space`` entry against the base spec's layers or the training settings."""
    if not isinstance(key, str):
        raise SweepError(f"space keys must be text, got {key!r}.")
    if key.startswith("layers."):
        parts = key.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise SweepError(f"space key {key!r} must look like layers.N.field, e.g. layers.0.units.")
        index, name = int(parts[1]), parts[2]
        if index >= len(base.layers):
            raise SweepError(
                f"space key {key!r}: the base {base.name!r} has layers 0 to {len(base.layers) - 1} "
                f"({base.summary()})."
            )
        layer: LayerSpec = base.layers[index]
        if name not in PARAMS[layer.kind]:
            takes = ", ".join(PARAMS[layer.kind]) or "nothing"
            raise SweepError(f"space key {key!r}: layer {index} is {layer.label()}, which takes {takes}.")
        kind = "choice" if name == "activation" else "float" if name == "rate" else "int"
        limits = (0.0, 1.0) if name == "rate" else LIMITS.get(name)
        allowed = CATEGORICAL_ONLY.get(name)
    elif key in TRAIN_SETTINGS:
        name = key
        kind = "choice" if key in CATEGORICAL_ONLY else "int" if key in INTEGER_SETTINGS else "float"
        limits = INTEGER_SETTINGS.get(key, (1e-12, 1.0) if key == "learning_rate" else None)
        allowed = CATEGORICAL_ONLY.get(key)
    else:
        raise SweepError(
            f"space key {key!r} is neither layers.N.field nor a training setting "
            f"({', '.join(TRAIN_SETTINGS)})."
        )
    if isinstance(raw, list):
        choices = _parse_choices(key, raw, allowed, kind)
        if allowed is None and limits is not None:
            for c in choices:
                if not limits[0] <= c <= limits[1] or (name == "rate" and c >= 1):
                    raise SweepError(
                        f"space[{key!r}] choice {c!r} is out of range {limits[0]:g}-{limits[1]:g}."
                    )
        return Dimension(key, choices=choices)
    if isinstance(raw, dict):
        if allowed is not None:
            raise SweepError(f"space[{key!r}] must be a list of choices from: {', '.join(allowed)}.")
        return _parse_range(key, raw, kind, limits, method)
    raise SweepError(f'space[{key!r}] must be a list of choices or a range {{"low": …, "high": …}}.')


def parse_sweep(raw) -> SweepSpec:
    """Build a ``SweepSpec`` from plain data (parsed JSON); raises ``SweepError`` naming the problem."""
    if not isinstance(raw, dict):
        raise SweepError("A sweep must be a JSON object with base, space, method and trials.")
    unknown = set(raw) - set(KEYS)
    if unknown:
        raise SweepError(f"Unknown sweep keys {sorted(unknown)}; known: {', '.join(KEYS)}.")
    name = raw.get("name", "sweep")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX or has_control_characters(name):
        raise SweepError(f"name must be 1-{NAME_MAX} characters of text without control characters.")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SweepError("description must be text.")
    if "base" not in raw:
        raise SweepError(
            f'base is missing: give {{"preset": NAME}} ({", ".join(PRESETS)}) or {{"spec": {{...}}}}.'
        )
    base, preset = _parse_base(raw["base"])
    config_raw = raw.get("config", {})
    if not isinstance(config_raw, dict):
        raise SweepError('config must be an object of training settings, e.g. {"epochs": 4}.')
    if "dataset" in raw:  # top-level "dataset": the image set every trial trains and is scored on
        if "dataset" in config_raw and config_raw["dataset"] != raw["dataset"]:
            raise SweepError("dataset is given twice (top level and in config), with different names.")
        config_raw = {**config_raw, "dataset": raw["dataset"]}
    try:
        config = TrainConfig.from_dict(config_raw)
    except (ConfigError, TypeError) as exc:
        raise SweepError(f"config: {exc}") from None
    method = raw.get("method", "tpe")
    if method not in METHODS:
        raise SweepError(f"method {method!r} is unknown; use one of: {', '.join(METHODS)}.")
    space_raw = raw.get("space")
    if not isinstance(space_raw, dict) or not space_raw:
        raise SweepError(
            'space must name at least one setting to vary, e.g. {"learning_rate": [0.001, 0.005]}.'
        )
    if len(space_raw) > MAX_DIMENSIONS:
        raise SweepError(f"space has {len(space_raw)} settings; at most {MAX_DIMENSIONS} may vary.")
    space = tuple(_dimension(key, value, base, method) for key, value in space_raw.items())
    if method == "grid" and (size := grid_size(space)) > MAX_GRID_POINTS:
        # Only ``trials`` points of a grid ever run; one this big is a random search in disguise.
        raise SweepError(
            f"This grid has {size:,} points; a grid sweep may have at most {MAX_GRID_POINTS:,}. Use fewer "
            'steps or choices, or method "random" or "tpe" over the same space.'
        )
    metric = raw.get("metric", "val_accuracy")
    if metric not in METRICS:
        raise SweepError(f"metric {metric!r} is unknown; use one of: {', '.join(METRICS)}.")
    prune = raw.get("prune", False)
    if prune is True:
        prune = "median"
    if prune not in (False, None, *PRUNERS):
        raise SweepError(f"prune must be true, false or one of: {', '.join(PRUNERS)}; got {prune!r}.")
    prune = prune or None
    needs_validation = metric.startswith("val_") or prune
    if needs_validation and config.validation_split == 0:
        raise SweepError(
            f"config validation_split is 0, but metric {metric!r}{' and pruning' if prune else ''} read the "
            "validation set; use a validation_split above 0 (e.g. 0.1)."
        )
    trials = _whole(raw.get("trials", 12), "trials", 1, MAX_TRIALS)
    seeds = _whole(raw.get("seeds_per_point", 1), "seeds_per_point", 1, MAX_SEEDS)
    if trials * seeds > MAX_RUNS:
        raise SweepError(
            f"trials × seeds_per_point is {trials * seeds}; a sweep may train at most {MAX_RUNS} runs."
        )
    seed = _whole(raw.get("seed", 0), "seed", 0, 2**31 - 1)
    parallel = raw.get("parallel")
    if parallel is not None:
        parallel = _whole(parallel, "parallel", 1, MAX_PARALLEL)
    sweep = SweepSpec(
        name=name.strip(),
        base=base,
        base_preset=preset,
        config=config,
        method=method,
        trials=trials,
        space=space,
        metric=metric,
        prune=prune,
        seed=seed,
        seeds_per_point=seeds,
        parallel=parallel,
        description=description,
    )
    _check_ends(sweep)
    return sweep


def _check_ends(sweep: SweepSpec) -> None:
    """Each dimension's extreme values must make a valid training on their own (others at the base)."""
    for dim in sweep.space:
        ends = dim.choices if dim.is_categorical else (dim.low, dim.high)
        for value in ends:
            try:
                apply_params(sweep.base, sweep.config, {dim.key: value})
            except SweepError as exc:
                raise SweepError(f"space[{dim.key!r}] = {value!r}: {str(exc).split(': ', 1)[-1]}") from None


def parse_sweep_json(text: str) -> SweepSpec:
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise SweepError(f"The sweep is not valid JSON: {exc}.") from None
    except RecursionError:
        raise SweepError("The sweep is not valid JSON: it is nested too deeply.") from None
    return parse_sweep(raw)
