"""Handwriting sets: keep drawings with the digit meant, share them as zips, and score any model on them.

    store = HandwritingStore()              # artifacts/handwriting/
    store.create("class-4b")
    store.add("class-4b", canvas_rgba, 7, image28)
    metrics = score_drawings(model, store.drawings("class-4b"))

See ``store`` (sets and drawings), ``archive`` (zip export and checked import) and ``folder`` (the folder
format, reading it, scoring a model on it).
"""

from mnistlab.handwriting.archive import export_set, import_name, import_set, read_archive
from mnistlab.handwriting.folder import (
    LABELS,
    Drawings,
    HandwritingError,
    check_label,
    read_folder,
    score_drawings,
)
from mnistlab.handwriting.store import (
    HandwritingSet,
    HandwritingStore,
    check_set_name,
    suggest_set_name,
)

__all__ = [
    "LABELS",
    "Drawings",
    "HandwritingError",
    "HandwritingSet",
    "HandwritingStore",
    "check_label",
    "check_set_name",
    "export_set",
    "import_name",
    "import_set",
    "read_archive",
    "read_folder",
    "score_drawings",
    "suggest_set_name",
]
