"""The ground every store stands on: the artifacts folder, atomic writes, JSON reading, plain OSError
messages and whether a process still lives.

Every write goes to a temporary file in the same folder and is renamed into place, so a crash mid-write
leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV_VAR = "MNISTLAB_ARTIFACTS"


class StoreError(Exception):
    """A store operation that cannot be done; the message says why and what to do."""


def artifacts_dir() -> Path:
    """``$MNISTLAB_ARTIFACTS`` if set, else ``artifacts/`` in the current directory."""
    return Path(os.environ.get(ENV_VAR) or "artifacts")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes owner-only files; keep the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1, allow_nan=False).encode())


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def friendly_os_error(exc: OSError, what: str) -> StoreError:
    """A ``StoreError`` that says in words why ``what`` failed (disk full, read-only, permission)."""
    reason = {28: "the disk is full", 30: "the artifacts folder is read-only", 13: "permission denied"}.get(
        exc.errno, exc.strerror or str(exc)
    )
    return StoreError(
        f"Could not {what}: {reason}. Free some space or choose a writable folder "
        f"(set {ENV_VAR}); nothing was changed."
    )


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
