"""The one place TensorFlow and Keras are imported, quietly and once.

Importing this module costs a few seconds; the app and the CLI import it only when they need a model.
"""

from __future__ import annotations

import logging
import os

# Keep TensorFlow's C++ start-up chatter (CPU feature notes, oneDNN banners) out of the user's terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_quietly():
    # Some of the banners are written by C++ code straight to file descriptor 2, before any Python logging
    # setting can apply, so stderr is pointed at /dev/null for the import and the first device scan.
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()
        (
            tf.constant(0.0) + 1.0
        )  # creates the eager context, whose CUDA probe logs an error on CPU-only machines
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    tf.get_logger().setLevel(logging.ERROR)
    return tf, keras


tf, keras = _import_quietly()

__all__ = ["keras", "tf"]
