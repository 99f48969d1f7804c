"""Which image sets exist, where their files are, and loading one by name.

Built-in: ``mnist`` (the package's own copy, or ``$MNISTLAB_DATA``) and ``fashion-mnist`` (Debian's
``dataset-fashion-mnist`` package). Others are added by a user and remembered in
``artifacts/datasets.json`` with their folder, class names and the sums taken when they were added.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mnistlab.data import FILES, DataError, ImageSet, TestPart, idx_sums, load_idx_folder, load_mnist, load_test_part
from mnistlab.files import artifacts_dir, atomic_write_json, read_json

DEFAULT = "mnist"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DATASETS_ENV = "MNISTLAB_DATASETS"  # a folder of sets, one sub-folder per name
SYSTEM_DIRS = (Path("/usr/share/datasets"), Path("/usr/local/share/datasets"))
FRAMINGS = ("centred", "filled")
BUILTIN_NAMES = ("mnist", "fashion-mnist")


@dataclass(frozen=True)
class Dataset:
    """One image set the lab can train on.

    ``framing`` says how a drawing is prepared for it: ``centred`` (MNIST's 20-pixel box centred by mass in a
    28x28 frame) or ``filled`` (the item fills the frame, as in Fashion-MNIST). ``item`` names one example
    ("digit", "item") in messages and on the pages.
    """

    name: str
    title: str
    class_names: tuple[str, ...]
    folders: tuple[Path, ...] = ()
    raw_sha256: dict[str, str] = field(default_factory=dict, compare=False)
    framing: str = "centred"
    item: str = "digit"
    builtin: bool = True
    how_to_get: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def folder(self) -> Path | None:
        """The first of ``folders`` that holds all four files (gz or raw), if any."""
        for folder in self.folders:
            if all((folder / f"{s}.gz").exists() or (folder / s).exists() for s in FILES.values()):
                return folder
        return None

    def class_name(self, label: int) -> str:
        return self.class_names[label] if 0 <= label < self.num_classes else str(label)


FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# SHA-256 of the decompressed IDX files of Fashion-MNIST (the same for the .gz files and raw copies).
FASHION_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def _search_folders(name: str) -> tuple[Path, ...]:
    own = os.environ.get(DATASETS_ENV)
    return ((Path(own) / name,) if own else ()) + tuple(base / name for base in SYSTEM_DIRS)


def _builtins() -> dict[str, Dataset]:
    from mnistlab.data import BUNDLED_DIR, DIGITS, RAW_SHA256

    return {
        "mnist": Dataset(
            "mnist", "MNIST", DIGITS, (BUNDLED_DIR,), RAW_SHA256, how_to_get="It ships with mnistlab."
        ),
        "fashion-mnist": Dataset(
            "fashion-mnist",
            "Fashion-MNIST",
            FASHION_CLASSES,
            _search_folders("fashion-mnist"),
            FASHION_SHA256,
            framing="filled",
            item="item",
            how_to_get=(
                "Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put its four "
                "IDX files in a folder and run `mnistlab data add fashion-mnist FOLDER`."
            ),
        ),
    }


def _registry_path() -> Path:
    return artifacts_dir() / "datasets.json"


def _added() -> dict[str, dict]:
    path = _registry_path()
    try:
        found = read_json(path) if path.exists() else {}
    except (OSError, ValueError):
        return {}  # an unreadable list loses the added sets, never the built-in ones
    return found if isinstance(found, dict) else {}


def _from_record(name: str, record: dict, builtin: Dataset | None) -> Dataset | None:
    try:
        folder = Path(record["folder"])
        if builtin is not None:  # a built-in set found in another folder: same names and pinned sums
            return replace(builtin, folders=(folder, *builtin.folders))
        return Dataset(
            name,
            str(record.get("title") or name),
            tuple(str(c) for c in record["class_names"]),
            (folder,),
            dict(record["raw_sha256"]),
            framing=str(record.get("framing", "centred")),
            item=str(record.get("item", "image")),
            builtin=False,
            how_to_get=f"It was added from {folder}; put its four IDX files back there or add it again.",
        )
    except (KeyError, TypeError, ValueError):
        return None


def known_datasets() -> list[Dataset]:
    """Every set the lab knows, built-in first (MNIST, then Fashion-MNIST), whether or not its files are here."""
    builtins = _builtins()
    found = dict(builtins)
    for name, record in sorted(_added().items()):
        if isinstance(record, dict) and (ds := _from_record(name, record, builtins.get(name))):
            found[name] = ds
    return list(found.values())


def get_dataset(name: str | None) -> Dataset:
    """The set called ``name`` (None: MNIST). An unknown name raises DataError listing the known ones."""
    name = name or DEFAULT
    for ds in known_datasets():
        if ds.name == name:
            return ds
    names = ", ".join(ds.name for ds in known_datasets())
    raise DataError(f"No dataset called {name!r}. Known: {names} (add one with `mnistlab data add`).")


def class_names_for(name: str | None, count: int | None = None) -> list[str]:
    """The class names of dataset ``name`` (a run's ``dataset``); label numbers instead when this machine no
    longer knows the set or ``count`` (e.g. a model's outputs) does not match it."""
    try:
        names = list(get_dataset(name).class_names)
    except DataError:
        names = []
    if count is not None and len(names) != count:
        return [str(i) for i in range(count)]
    return names or [str(i) for i in range(10)]


def dataset_missing(name: str | None) -> str | None:
    """None when the set's files are here; otherwise one sentence saying where they were looked for and how to
    get them. Cheap: looks for the files without reading them."""
    ds = get_dataset(name)
    if ds.name == DEFAULT or ds.folder() is not None:
        return None
    where = ", ".join(str(f) for f in ds.folders)
    return f"{ds.title} is not on this machine (looked in {where}). {ds.how_to_get}"


def load_dataset(name: str | None = None) -> ImageSet:
    """The set's four arrays, verified (sums, shapes, labels), cached per process. Raises DataError."""
    ds = get_dataset(name)
    if ds.name == DEFAULT and not _added().get(DEFAULT):
        return load_mnist()
    missing = dataset_missing(ds.name)
    if missing:
        raise DataError(missing)
    return load_idx_folder(ds.folder(), ds.raw_sha256, ds.name, ds.class_names, ds.title, ds.how_to_get)


def load_dataset_test_part(name: str | None = None) -> TestPart:
    """The set's test images and labels and its number of training images, verified, without reading its
    training images (``mnistlab.data.load_test_part``): for pages that show samples. Raises DataError."""
    ds = get_dataset(name)
    if ds.name == DEFAULT and not _added().get(DEFAULT):
        return load_test_part()
    missing = dataset_missing(ds.name)
    if missing:
        raise DataError(missing)
    return load_test_part(ds.folder(), ds.raw_sha256, ds.title, ds.num_classes, ds.how_to_get)


def add_dataset(
    name: str,
    folder: str | os.PathLike,
    class_names: list[str] | None = None,
    title: str | None = None,
    framing: str = "centred",
) -> Dataset:
    """Remember the IDX set in ``folder`` as ``name``, after reading and checking all of it.

    For a built-in name the files must be that set's (pinned sums). Otherwise the number of classes comes from
    the labels, ``class_names`` (if given) must name each of them, and the files' sums are taken now and
    checked on every later load. Nothing is written unless every check passes.
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise DataError(
            f"{name!r} is not a dataset name: 1-40 lowercase letters, digits and '-', starting with a "
            "letter or digit."
        )
    if framing not in FRAMINGS:
        raise DataError(f"Framing must be one of {', '.join(FRAMINGS)}, not {framing!r}.")
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder. Give the folder that holds the four IDX files.")
    builtin = _builtins().get(name)
    if builtin is not None:
        load_idx_folder(folder, builtin.raw_sha256 or None, name, builtin.class_names, builtin.title)
        record = {"folder": str(folder)}
    else:
        probe = load_idx_folder(
            folder, None, name, tuple(str(i) for i in range(256)), title or name, cache=False
        )
        count = int(max(probe.y_train.max(initial=0), probe.y_test.max(initial=0))) + 1
        names = list(class_names) if class_names else [str(i) for i in range(count)]
        if len(names) != count or any(not str(c).strip() for c in names):
            raise DataError(
                f"The labels in {folder} are 0..{count - 1}, so the set has {count} classes; "
                f"{len(names)} class names were given. Give one non-empty name per class, in label order."
            )
        if count < 2:
            raise DataError(f"The labels in {folder} are all 0: a set needs at least two classes.")
        record = {
            "folder": str(folder),
            "title": title or name,
            "class_names": [str(c).strip() for c in names],
            "raw_sha256": idx_sums(folder),
            "framing": framing,
            "item": "image",
        }
    added = _added()
    added[name] = record
    _registry_path().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(_registry_path(), added)
    return get_dataset(name)


def remove_dataset(name: str) -> None:
    """Forget an added set (its files stay where they are). Built-in sets cannot be removed."""
    added = _added()
    if name not in added:
        if name in _builtins():
            raise DataError(f"{name} is built in and cannot be removed.")
        raise DataError(f"No added dataset called {name!r}.")
    del added[name]
    atomic_write_json(_registry_path(), added)
