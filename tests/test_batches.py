"""The training batches: every image once per epoch, a new order each epoch, the same orders for the same seed."""

import numpy as np

from mnistlab.batches import steps_per_epoch, training_batches


def _labels_per_epoch(dataset, epochs: int) -> list[list[list[int]]]:
    return [[batch[1].numpy().tolist() for batch in dataset] for _ in range(epochs)]


def test_each_epoch_is_every_image_once_in_a_new_seeded_order():
    images = np.arange(10, dtype=np.uint8)[:, None, None].repeat(28, 1).repeat(28, 2)
    labels = np.arange(10, dtype=np.int32)
    epochs = _labels_per_epoch(training_batches(images, labels, 4, seed=3), 3)
    assert [[len(batch) for batch in epoch] for epoch in epochs] == [[4, 4, 2]] * 3
    assert all(sorted(label for batch in epoch for label in batch) == list(range(10)) for epoch in epochs)
    assert len({str(epoch) for epoch in epochs}) == 3  # reshuffled every epoch
    assert _labels_per_epoch(training_batches(images, labels, 4, seed=3), 3) == epochs
    assert _labels_per_epoch(training_batches(images, labels, 4, seed=4), 1)[0] != epochs[0]
    image_of = {int(batch_labels[i]): int(batch_images[i, 0, 0]) for batch_images, batch_labels in
                training_batches(images, labels, 4, seed=3) for i in range(len(batch_labels))}  # fmt: skip
    assert image_of == {n: n for n in range(10)}  # images stay with their labels, as uint8


def test_the_pipeline_knows_its_length_so_fit_counts_steps():
    images = np.zeros((1000, 28, 28), np.uint8)
    dataset = training_batches(images, np.zeros(1000, np.int32), 256, seed=0)
    assert int(dataset.cardinality()) == steps_per_epoch(1000, 256) == 4
