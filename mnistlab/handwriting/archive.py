"""Handwriting sets as zip files: export one to share it, import one a colleague or another class made.

An import is checked completely before anything is written: the zip itself (size, number of entries, no
encrypted members), every member's path (no absolute paths, no '..', no links, nothing but ``labels.csv``,
the images it lists and the ``seen/`` copies), the labels (digits 0-9) and every image (PNG or JPEG, at most
5 MB and 4096x4096 pixels, a digit in it). The set is then built in a hidden folder and renamed into place
in one step, so a refused or failed import leaves the store exactly as it was. The ``seen/`` images in a zip
are never trusted: they are made again from the originals.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from mnistlab.drawing import MAX_IMAGE_BYTES
from mnistlab.files import atomic_write_bytes
from mnistlab.handwriting.folder import (
    LABELS,
    MAX_DRAWINGS,
    SEEN,
    HandwritingError,
    format_labels,
    parse_labels,
    prepare,
    seen_png,
)
from mnistlab.handwriting.store import HandwritingStore, check_set_name

MAX_ZIP_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # all members, uncompressed
MAX_ENTRIES = 2 * MAX_DRAWINGS + 16
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # what zipping a folder on a laptop adds


def export_set(store: HandwritingStore, name: str) -> bytes:
    """The set as zip bytes: ``labels.csv``, the originals and ``seen/`` at the top level."""
    path = store.path(name)
    rows = store.rows(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(LABELS, format_labels(rows))
        for row in rows:
            archive.write(path / row["file"], row["file"])
            seen = path / SEEN / f"{row['file']}.png"
            if seen.is_file():
                archive.write(seen, f"{SEEN}/{row['file']}.png")
    return out.getvalue()


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    """A member's path, refusing anything that could land outside the set's folder."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise HandwritingError(f"The zip holds a link ({name}); only plain files can be imported.")
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise HandwritingError(f"The zip holds an absolute or Windows path ({name}); refusing it.")
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts) or path.is_absolute():
        raise HandwritingError(f"The zip holds a path leaving its folder ({name}); refusing it.")
    if info.flag_bits & 0x1:
        raise HandwritingError(
            f"The zip holds an encrypted file ({name}); export it again without a password."
        )
    return path


def read_archive(data: bytes) -> tuple[list[dict], dict[str, bytes]]:
    """Check a zip completely; returns its rows and ``{file: original bytes}``. Raises ``HandwritingError``."""
    if len(data) > MAX_ZIP_BYTES:
        raise HandwritingError(f"The zip is larger than {MAX_ZIP_BYTES // 2**20} MB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise HandwritingError("This file is not a zip archive.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise HandwritingError(f"The zip holds more than {MAX_ENTRIES:,} files.")
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise HandwritingError(f"The zip unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB.")
        files = {}
        for info in infos:
            path = _member_path(info)
            if info.is_dir() or any(part in IGNORED or str(path).startswith(IGNORED) for part in path.parts):
                continue
            files[path] = info
        files = _strip_common_folder(files)
        if LABELS not in files:
            raise HandwritingError(f"The zip has no {LABELS} (columns file,label) at its top level.")
        rows = parse_labels(_read(archive, files[LABELS], 1024 * 1024))
        listed = {row["file"] for row in rows}
        for key in files:
            top = key.split("/")[0]
            if key != LABELS and key not in listed and not (top == SEEN and key.count("/") == 1):
                raise HandwritingError(f"The zip holds {key}, which {LABELS} does not list.")
        originals = {}
        for row in rows:
            if row["file"] not in files:
                raise HandwritingError(f"{row['file']} is listed in {LABELS} but is not in the zip.")
            originals[row["file"]] = _read(archive, files[row["file"]], MAX_IMAGE_BYTES)
    return rows, originals


def _strip_common_folder(files: dict) -> dict[str, zipfile.ZipInfo]:
    """``{"myset/labels.csv": ...}`` -> ``{"labels.csv": ...}`` when everything sits in one folder."""
    tops = {path.parts[0] for path in files if len(path.parts) > 1}
    if len(tops) == 1 and all(len(path.parts) > 1 for path in files):
        return {"/".join(path.parts[1:]): info for path, info in files.items()}
    return {str(path): info for path, info in files.items()}


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise HandwritingError(f"{info.filename} is larger than {limit // 2**20 or 1} MB.")
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)  # never trust the declared size alone
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise HandwritingError(f"{info.filename} cannot be read from the zip: {exc}.") from None
    if len(data) > limit:
        raise HandwritingError(f"{info.filename} is larger than {limit // 2**20 or 1} MB.")
    return data


def import_set(store: HandwritingStore, data: bytes, name: str) -> str:
    """Check the zip ``data`` and add it as the set ``name``; returns the name. Nothing is written unless
    every part is good and no set has that name yet."""
    check_set_name(name)
    if store.exists(name) or store.path(name).exists():
        raise HandwritingError(f"A handwriting set named {name!r} already exists; choose another name.")
    rows, originals = read_archive(data)
    seen = {file: seen_png(prepare(raw, file)) for file, raw in originals.items()}  # every image decodes

    with store._locked():
        staging = store._staging()
        try:
            for file, raw in originals.items():
                atomic_write_bytes(staging / file, raw)
                atomic_write_bytes(staging / SEEN / f"{file}.png", seen[file])
            atomic_write_bytes(staging / LABELS, format_labels(rows))
            target = store.path(name)
            if target.exists():
                raise HandwritingError(
                    f"A handwriting set named {name!r} already exists; choose another name."
                )
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return name


def import_name(store: HandwritingStore, file_name: str) -> str:
    """A free set name for a zip called ``file_name`` (``Class 4B.zip`` -> ``class-4b``)."""
    return store.unused_name(Path(str(file_name)).stem)
