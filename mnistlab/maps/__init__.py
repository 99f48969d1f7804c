"""A map of what a network learned: the 10,000 test digits embedded in 2-D from one layer's activations.

layers.py     which layers a map can be drawn from (raw pixels, each hidden layer) and their activations,
              in NumPy through ``mnistlab.inference`` (no TensorFlow)
embedding.py  PCA and t-SNE (openTSNE) fits, and placing a new point (a drawing) into a fitted map
cache.py      maps saved per run, layer and method under ``artifacts/runs/<id>/maps/`` (atomic writes)
compute.py    one map from a run: check the request, compute the activations, fit, save
worker.py     computing a map in a separate (spawned) process, with progress in a JSON file
reading.py    what pages show: neighbours of a point, digits of a confusion cell, where a drawing lands
"""

from mnistlab.maps.layers import MapError

METHODS = ("pca", "tsne")
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE"}

__all__ = ["METHODS", "METHOD_NAMES", "MapError"]
