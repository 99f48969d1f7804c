"""The architecture builder's list editing, as plain data the Train page keeps in session state.

A draft is a list of layer dicts (``{"uid": 3, "kind": "dense", "units": 128, "activation": "relu"}``). The
``uid`` never changes while a layer lives, so widgets keyed by it keep their values when layers are moved. The
page hands out uids from one counter and never reuses one: a browser remembers a widget's value by its key, so a
new layer under an old uid would show the old layer's settings.
Drafts may hold invalid values (units 0, rate 1.5): ``to_spec`` turns one into an ``ArchitectureSpec`` or raises
``SpecError`` with the message the page shows inline.
"""

from __future__ import annotations

from mnistlab.specs import (
    INPUT_SHAPE,
    NUM_CLASSES,
    PARAMS,
    ArchitectureSpec,
    SpecError,
    count_params,
    from_dict,
    layer_params,
    layer_shapes,
)

DEFAULTS = {
    "dense": {"units": 128, "activation": "relu"},
    "dropout": {"rate": 0.2},
    "conv2d": {"filters": 32, "kernel_size": 3, "activation": "relu"},
    "max_pool": {"size": 2},
    "flatten": {},
}


def _next_uid(draft: list[dict]) -> int:
    return max((layer["uid"] for layer in draft), default=0) + 1


def new_layer(kind: str, draft: list[dict], uid: int | None = None) -> dict:
    """A layer of ``kind`` with sensible settings and ``uid`` (default: one above any in ``draft``)."""
    if kind not in DEFAULTS:
        raise SpecError(f"Unknown layer kind {kind!r}; choose one of {', '.join(DEFAULTS)}.")
    return {"uid": _next_uid(draft) if uid is None else uid, "kind": kind, **DEFAULTS[kind]}


def add_layer(
    draft: list[dict], kind: str, position: int | None = None, uid: int | None = None
) -> list[dict]:
    """A new draft with a ``kind`` layer inserted at ``position`` (default: at the end)."""
    layer = new_layer(kind, draft, uid)
    position = len(draft) if position is None else max(0, min(position, len(draft)))
    return [*draft[:position], layer, *draft[position:]]


def remove_layer(draft: list[dict], index: int) -> list[dict]:
    """A new draft without the layer at ``index`` (out of range: unchanged)."""
    return [layer for i, layer in enumerate(draft) if i != index]


def move_layer(draft: list[dict], index: int, offset: int) -> list[dict]:
    """A new draft with layer ``index`` moved by ``offset`` places (clamped to the ends)."""
    if not 0 <= index < len(draft):
        return list(draft)
    target = max(0, min(len(draft) - 1, index + offset))
    moved = list(draft)
    moved.insert(target, moved.pop(index))
    return moved


def set_value(draft: list[dict], uid: int, param: str, value) -> list[dict]:
    """A new draft where the layer with ``uid`` has ``param`` set to ``value``."""
    return [{**layer, param: value} if layer["uid"] == uid else layer for layer in draft]


def from_spec(spec: ArchitectureSpec, first_uid: int = 1) -> list[dict]:
    """A draft holding ``spec``'s layers (to start editing from a preset), uids from ``first_uid`` on."""
    return [{"uid": first_uid + i, **layer.to_dict()} for i, layer in enumerate(spec.layers)]


def to_spec(draft: list[dict], name: str = "custom", description: str = "") -> ArchitectureSpec:
    """The validated spec for ``draft``; raises ``SpecError`` naming the first bad layer."""
    layers = [{p: layer.get(p) for p in ("kind", *PARAMS.get(layer.get("kind"), ()))} for layer in draft]
    return from_dict({"name": name, "description": description, "layers": layers})


def summary_rows(spec: ArchitectureSpec, num_classes: int = NUM_CLASSES) -> list[dict]:
    """Keras-style summary without TensorFlow: one row per layer (input, hidden layers, the output layer of
    ``num_classes`` units: the dataset's classes)."""
    shapes = layer_shapes(spec)
    params = layer_params(spec, num_classes)
    # Parameters before the shape: in a narrow column the last column is the one that scrolls out of sight.
    rows = [{"Layer": "Input", "Parameters": 0, "Output shape": _shape(INPUT_SHAPE)}]
    for layer, shape, count in zip(spec.layers, shapes, params, strict=False):
        rows.append({"Layer": layer.label(), "Parameters": count, "Output shape": _shape(shape)})
    rows.append(
        {
            "Layer": f"Dense({num_classes}, softmax)",
            "Parameters": params[-1],
            "Output shape": _shape((num_classes,)),
        }
    )
    return rows


def total_params(spec: ArchitectureSpec, num_classes: int = NUM_CLASSES) -> int:
    return count_params(spec, num_classes)


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"
