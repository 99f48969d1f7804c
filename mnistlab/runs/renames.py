"""Who hears that a run was renamed: the job runners of the same store, so a job training that run shows the new
name at once (a job's ``name`` is the name its run was created with).

The store cannot import the runner (the runner imports the store), so runners register a callback here, per
store folder, held weakly: a runner that is gone is simply not called.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path

_watchers: dict[Path, list[weakref.WeakMethod]] = {}
_lock = threading.Lock()


def watch(root: str | Path, callback: Callable[[str, str], None]) -> None:
    """Call the bound method ``callback(run_id, new_name)`` whenever a run under ``root`` is renamed."""
    key = Path(root).resolve()
    with _lock:
        alive = [ref for ref in _watchers.get(key, []) if ref() is not None]
        _watchers[key] = [*alive, weakref.WeakMethod(callback)]


def announce(root: str | Path, run_id: str, new_name: str) -> None:
    """Tell every live watcher of ``root`` that ``run_id`` is now called ``new_name``."""
    with _lock:
        callbacks = [ref() for ref in _watchers.get(Path(root).resolve(), [])]
    for callback in callbacks:
        if callback is not None:
            callback(run_id, new_name)
