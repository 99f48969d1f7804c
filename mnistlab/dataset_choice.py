"""Which dataset a page shows, and how its classes read: the pages' plain-Python side of ``mnistlab.datasets``.

Every page that lists runs keeps runs of different datasets apart (a 91 % on Fashion-MNIST and a 98 % on MNIST
are not one ranking), names classes by the run's dataset ("Trouser", not "1"), and scores a run only on its own
test set. No Streamlit here; ``mnistlab.app`` draws the widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistlab.data import DIGITS, DataError
from mnistlab.datasets import DEFAULT, Dataset, dataset_missing, get_dataset, known_datasets


@dataclass(frozen=True)
class DatasetOption:
    """One choice in a dataset picker: ``missing`` is None when its files are here, else the sentence that
    says how to get them."""

    name: str
    title: str
    missing: str | None

    @property
    def available(self) -> bool:
        return self.missing is None

    @property
    def label(self) -> str:
        return self.title if self.available else f"{self.title} (not installed)"


def dataset_options() -> list[DatasetOption]:
    """Every known set, MNIST first, each with whether its files are on this machine (cheap: no reading)."""
    options = []
    for ds in known_datasets():
        try:
            missing = dataset_missing(ds.name)
        except DataError as exc:
            missing = str(exc)
        options.append(DatasetOption(ds.name, ds.title, missing))
    return options


def dataset_of(name: str | None) -> Dataset:
    """The set called ``name``; a set no longer known (an added set removed since) is described from its name,
    with digits as class names, so an old run still shows."""
    try:
        return get_dataset(name)
    except DataError:
        return Dataset(str(name), str(name), DIGITS, builtin=False, item="image")


def title(name: str | None) -> str:
    return dataset_of(name).title


def class_names(name: str | None) -> tuple[str, ...]:
    return dataset_of(name).class_names


def item_word(name: str | None) -> str:
    """What one example is called: "digit" for MNIST, "item" for Fashion-MNIST, "image" otherwise."""
    return dataset_of(name).item


def class_label(name: str | None, label: int) -> str:
    """The class ``label`` of dataset ``name`` as a user reads it: "7" on MNIST, "Sneaker" on Fashion-MNIST."""
    return dataset_of(name).class_name(int(label))


def class_choice(name: str | None, label: int) -> str:
    """A class in a picker: the name, with the label number when the name is a word ("1 · Trouser")."""
    text = class_label(name, label)
    return text if text == str(label) else f"{label} · {text}"


def shown_names(class_names, count: int) -> list[str]:
    """The names of ``count`` output classes: ``class_names`` when they fit, else the numbers ("0" to "9")."""
    if class_names and len(class_names) == count:
        return [str(name) for name in class_names]
    return [str(d) for d in range(count)]


def are_digits(names) -> bool:
    """Whether ``names`` are just the class numbers (MNIST's "0" to "9")."""
    return list(names) == [str(d) for d in range(len(names))]


def mistake_caption(names, true: int, predicted: int, confidence: float) -> str:
    """A mistake under its picture: "7→1 · 95%" for digits; "Dress → Trouser · 17%" for words, spaced so a
    narrow caption breaks between words, never inside one."""
    arrow = "→" if are_digits(names) else " → "
    return f"{names[true]}{arrow}{names[predicted]} · {confidence:.0%}"


def with_article(word: str) -> str:
    """ "a 7", "an 8", "a Trouser", "an Ankle boot", "an item"."""
    return f"an {word}" if word[:1].lower() in "aeio8" or word in ("11", "18") else f"a {word}"


def prediction_text(name: str | None, probabilities) -> str:
    """The top class and its probability: "Trouser, 93 %" (or "7, 99 %")."""
    probabilities = np.asarray(probabilities, dtype=float)
    best = int(probabilities.argmax())
    return f"{class_label(name, best)}, {probabilities[best]:.0%}".replace("%", " %")


# ------------------------------------------------------------------------------------------ runs by dataset


def run_dataset(run) -> str:
    return getattr(run, "dataset", None) or DEFAULT


def datasets_in(runs: list) -> list[str]:
    """The names of the sets ``runs`` were trained on, MNIST first, then in order of first appearance."""
    found = list(dict.fromkeys(run_dataset(run) for run in runs))
    return sorted(found, key=lambda name: name != DEFAULT)


def runs_on(runs: list, name: str) -> list:
    """The runs of ``runs`` trained on dataset ``name`` (order kept)."""
    return [run for run in runs if run_dataset(run) == name]


def default_dataset(runs: list, wanted_run: str | None = None) -> str:
    """The dataset a page opens with: the run a link names, else the newest run with a model (runs come
    newest first), else the newest run, else MNIST. What someone just trained is what they want to see."""
    for run in runs:
        if wanted_run is not None and run.id == wanted_run:
            return run_dataset(run)
    with_model = [run for run in runs if getattr(run, "has_model", False)]
    if with_model or runs:
        return run_dataset((with_model or runs)[0])
    return DEFAULT


def _titled(label: str, own_name: str | None, dataset: str) -> str:
    """``label`` and `` · <dataset's title>`` for a set other than MNIST, unless the name already ends with it
    (the study's "baseline seed 0 · Fashion-MNIST")."""
    if dataset == DEFAULT or str(own_name or "").endswith(f" · {title(dataset)}"):
        return label
    return f"{label} · {title(dataset)}"


def run_label(run) -> str:
    """A run in a picker that spans datasets: its label, and its dataset's title when that is not MNIST."""
    return _titled(run.label, getattr(run, "name", None), run_dataset(run))


def job_dataset(job) -> str:
    """The set a training job trains on (its config's ``dataset``; MNIST for a job from before there were two)."""
    config = getattr(job, "config", None)
    name = config.get("dataset") if isinstance(config, dict) else getattr(config, "dataset", None)
    return name or DEFAULT


def job_label(job) -> str:
    """A job in a picker: its label, and its dataset's title when that is not MNIST (as ``run_label``)."""
    return _titled(job.label, getattr(job, "name", None), job_dataset(job))


def dataset_note(name: str | None, count: int) -> str:
    """A short line for a table caption: "3 runs on Fashion-MNIST"."""
    noun = "run" if count == 1 else "runs"
    return f"{count} {noun} on {title(name)}"


# ----------------------------------------------------------------------------------------------- pictures


def sample_rows(images: np.ndarray, labels: np.ndarray, num_classes: int, rows: int = 2) -> list[list]:
    """``rows`` rows of one test image per class, class 0 first: [[image of class 0, 1, ...], ...].

    A class with fewer than ``rows`` examples repeats its last one; a class with none is left out."""
    labels = np.asarray(labels)
    out = []
    for k in range(rows):
        row = []
        for label in range(num_classes):
            found = np.flatnonzero(labels == label)
            if len(found):
                row.append(images[found[min(k, len(found) - 1)]])
        out.append(row)
    return out


def samples_caption(name: str | None, train: int, test: int) -> str:
    """The caption under the sample rows: which class is where, and how many images the set has."""
    ds = dataset_of(name)
    if ds.class_names == DIGITS:
        order = "0 to 9 in each row"
    else:
        order = "left to right: " + ", ".join(ds.class_names)
    where = "bundled with mnistlab" if ds.name == DEFAULT else f"{ds.title}, read from this machine"
    return f"Two test {ds.item}s per class, {order}. {train:,} training and {test:,} test images, {where}."


def training_note(name: str | None) -> str:
    """What the Train page trains on, in one line."""
    ds = dataset_of(name)
    classes = ", ".join(ds.class_names) if ds.class_names != DIGITS else "the digits 0 to 9"
    return f"Training on **{ds.title}**: 28×28 grey images in {ds.num_classes} classes ({classes})."


def augment_words(name: str | None) -> tuple[str, str]:
    """The Train page's augment checkbox for a training on ``name``: (label, help).

    MNIST's words describe the digit variations and point to the Learn lesson about drawn digits; another set's
    say only what holds for any set (which variations it gets is ``mnistlab.augment``'s business)."""
    ds = dataset_of(name)
    if ds.name == DEFAULT:
        return (
            "Augment: tilt, slant, resize and thicken digits during training",
            "Half of every batch is varied at random (up to 20° tilt, 0.3 slant, ±8 % size, a thicker pen "
            "for some), so the model learns to read drawn digits. Only training changes: the saved model and "
            'its predictions work exactly as without. See Learn → "Why does it misread my 7?".',
        )
    return (
        f"Augment: vary the {ds.item}s at random during training",
        f"Part of every batch is varied at random, so the model sees each {ds.item} in more ways than "
        f"{ds.title} shows it. Only training changes: the saved model and its predictions work exactly as "
        "without.",
    )


def draw_link(name: str | None) -> str:
    """The link from a finished run to Draw: "Draw a digit for it" on MNIST, "Draw an item for it" on
    Fashion-MNIST."""
    return f"Draw {with_article(item_word(name))} for it"


def draw_hint(name: str | None) -> str:
    """What to draw for a model of a set that is not digits."""
    ds = dataset_of(name)
    return (
        f"This model knows {ds.title}: {', '.join(ds.class_names)}. Draw one {ds.item} large (a closed outline "
        "is filled in), or upload a photo of one on a plain background."
        if ds.framing == "filled"
        else f"This model knows {ds.title}: {', '.join(ds.class_names)}. Draw one {ds.item}, large."
    )


def framing_note(name: str | None) -> str:
    """How a drawing is prepared for a model of this set, in one sentence for the Draw page."""
    ds = dataset_of(name)
    if ds.framing == "filled":
        return (
            f"Prepared like {ds.title}: the {ds.item} is cropped to its ink and scaled so it fills the 28×28 "
            "frame (longer side 28 px, centred); closed outlines are filled in, as the set's photos are "
            "solid shapes."
        )
    return (
        f"Prepared like {ds.title}: the ink is cropped, scaled into a 20-pixel box and placed by its centre of "
        "mass in the 28×28 frame."
    )
