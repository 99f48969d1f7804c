"""The training batches ``train`` feeds to ``fit``: every image once per epoch, in a fresh seeded order each epoch.

Like the pipeline Keras builds for arrays (an epoch's order shuffled as one vector, each batch gathered from the
whole set held once), with one difference: tf.data's autotuning is off. With it on, on 2 cores (Zen 4), one epoch
in three or four waited 0.6-1.3 s before its first step, as Keras set up the epoch's data iterator (the
tuned net's later epochs: 1.2-2.9 s, 7.2-10.8 s for five; autotuning off: 1.16-1.49 s, 6.2-7.0 s for five, no
wait in 20 epochs). Two cores leave autotuning nothing to win: the gathers are cheap beside the training steps.
The order comes from the seed and a per-epoch draw of ``Dataset.random``, so a run repeats exactly.
"""

from __future__ import annotations

import math

import numpy as np


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Batches in one pass over ``images`` (the last one may be smaller)."""
    return math.ceil(images / batch_size)


def training_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """A ``tf.data.Dataset`` of one pass over (x, y) in batches of ``batch_size``, in a new order each time it is
    iterated (each epoch), drawn from ``seed``; ``x`` keeps its dtype (uint8 images are scaled by the model)."""
    from mnistlab.tf import tf

    count = len(x)
    steps = steps_per_epoch(count, batch_size)
    everything = tf.data.Dataset.from_tensors((x, y)).repeat()

    def order(draw):
        seeds = tf.stack([tf.constant(seed, tf.int64), draw])
        return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seeds)

    picks = (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .take(1)
        .map(order)
        .flat_map(lambda indices: tf.data.Dataset.from_tensor_slices(indices).batch(batch_size))
        .apply(tf.data.experimental.assert_cardinality(steps))
    )
    batches = tf.data.Dataset.zip((picks, everything)).map(
        lambda pick, arrays: (tf.gather(arrays[0], pick), tf.gather(arrays[1], pick)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False  # as Keras does: nothing to rewrite
    return batches.prefetch(tf.data.AUTOTUNE).with_options(options)
