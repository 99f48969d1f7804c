"""The image sets the lab knows by name: MNIST (bundled), Fashion-MNIST (from the system) and any 28x28 IDX
set a user adds with ``mnistlab data add``.

A set is a name, a title, its class names and a folder with the four IDX files. Built-in sets pin the SHA-256
of their decompressed files; a set a user adds has its sums taken when it is added and checked on every load
after, so a file changed behind the lab's back is noticed. Nothing is ever downloaded.

The ``mnist`` folder beside this file holds the bundled MNIST files (package data, not code).
"""

from __future__ import annotations

from mnistlab.datasets.registry import (
    DEFAULT,
    Dataset,
    add_dataset,
    class_names_for,
    dataset_missing,
    get_dataset,
    known_datasets,
    load_dataset,
    load_dataset_test_part,
    remove_dataset,
)

__all__ = [
    "DEFAULT",
    "Dataset",
    "add_dataset",
    "class_names_for",
    "dataset_missing",
    "get_dataset",
    "known_datasets",
    "load_dataset",
    "load_dataset_test_part",
    "remove_dataset",
]
