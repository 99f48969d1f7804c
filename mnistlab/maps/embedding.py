"""Embed activations in 2-D (PCA or t-SNE) and place new points into a fitted map.

Both methods first reduce the activations to at most ``REDUCED`` principal components (exact for PCA, and the
usual first step before t-SNE: it removes noise and makes neighbour search cheap, also for conv layers with
thousands of values). A ``Embedding`` keeps that projection, so a new digit (a drawing) is placed:

- PCA: exactly, by the same projection (its first two components);
- t-SNE: at the median map position of its ``K_PLACE`` nearest test digits in the reduced activation space.
  openTSNE's own ``transform`` optimises the point for ~0.8 s on 2 cores; the median of the neighbours takes
  a few ms and lands in the same cluster (``tests/test_embedding.py`` checks it against the fitted positions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnistlab.maps.layers import MapError

REDUCED = 50
EXACT_MAX = 2048  # values per digit up to which PCA is exact (a 2048 x 2048 covariance)
K_PLACE = 10
# Half openTSNE's default iterations: on 10,000 activations of a saved baseline run (AMD EPYC Zen 4, 2 threads)
# 125 + 250 took 25 CPU s against 74 for 250 + 500, and the map separates the digits as well (10-nearest-neighbour
# label agreement in 2-D 0.944 both; 100 + 150: 16 CPU s, 0.943). See benchmarks/map_speed.py.
TSNE_EARLY_ITER, TSNE_ITER = 125, 250
Progress = Callable[[float, str], None]


@dataclass
class Embedding:
    """A fitted map: ``coords`` (N, 2) float32 for the N reference digits, and how to place new ones.

    ``mean`` (D,) and ``components`` (R, D) project activations to ``reduced`` (N, R), R <= REDUCED."""

    method: str
    coords: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    reduced: np.ndarray

    def project(self, activations: np.ndarray) -> np.ndarray:
        """(M, D) activations -> (M, R) in the reduced space."""
        a = np.asarray(activations, dtype=np.float32)
        if a.ndim == 1:
            a = a[None]
        if a.shape[1] != self.mean.shape[0]:
            raise MapError(f"Expected activations with {self.mean.shape[0]} values, got {a.shape[1]}.")
        return (a - self.mean) @ self.components.T

    def nearest(self, reduced_point: np.ndarray, k: int) -> np.ndarray:
        """Indices of the ``k`` reference digits nearest to one reduced point, nearest first."""
        d = ((self.reduced - reduced_point) ** 2).sum(axis=1)
        k = min(int(k), len(d))
        part = np.argpartition(d, k - 1)[:k]
        return part[np.argsort(d[part], kind="stable")]

    def place(self, activations: np.ndarray) -> np.ndarray:
        """Map positions (M, 2) of new digits' activations (M, D): exact for PCA, kNN median for t-SNE."""
        z = self.project(activations)
        if self.method == "pca":
            return z[:, :2].astype(np.float32)
        return np.array(
            [np.median(self.coords[self.nearest(p, K_PLACE)], axis=0) for p in z], dtype=np.float32
        )


def reduce(activations: np.ndarray, seed: int = 0, n: int = REDUCED) -> tuple[np.ndarray, ...]:
    """PCA to at most ``n`` components: (mean (D,), components (R, D), reduced (N, R)), float32.

    In NumPy (importing scikit-learn takes seconds): the covariance's eigenvectors for up to ``EXACT_MAX``
    values per digit, a randomized range finder (seeded) beyond. Signs are fixed (largest loading positive),
    so the same data always gives the same picture."""
    x = np.asarray(activations, dtype=np.float32)
    if x.ndim != 2 or len(x) < 3:
        raise MapError(f"Need activations of shape (N >= 3, D), got {x.shape}.")
    mean = x.mean(axis=0)
    centred = x - mean
    r = max(1, min(n, x.shape[0] - 1, x.shape[1]))
    if x.shape[1] <= EXACT_MAX:
        cov = centred.T.astype(np.float64) @ centred.astype(np.float64)
        _, vectors = np.linalg.eigh(cov)
        components = vectors[:, ::-1][:, :r].T
    else:
        rng = np.random.default_rng(seed)
        q = centred @ rng.standard_normal((x.shape[1], r + 10)).astype(np.float32)
        for _ in range(3):  # power iterations sharpen the leading directions
            q, _ = np.linalg.qr(centred @ (centred.T @ q))
        _, _, vt = np.linalg.svd(q.T @ centred, full_matrices=False)
        components = vt[:r]
    components = np.asarray(components, dtype=np.float32)
    if components.shape[0] < 2:  # a layer with one value: the map is a line
        components = np.vstack([components, np.zeros_like(components)])
    flip = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components *= np.where(flip == 0, 1, flip)[:, None]
    return mean, components, (centred @ components.T).astype(np.float32)


def fit(
    activations: np.ndarray,
    method: str,
    seed: int = 0,
    progress: Progress | None = None,
    n_jobs: int = 2,
) -> Embedding:
    """Fit a map of ``activations`` (N, D). ``progress(fraction, text)`` is called as it goes."""
    progress = progress or (lambda fraction, text: None)
    if method not in ("pca", "tsne"):
        raise MapError(f"Unknown map method {method!r}: use pca or tsne.")
    progress(0.0, "Principal components")
    mean, components, reduced = reduce(activations, seed)
    if method == "pca":
        coords = reduced[:, :2].copy()
    else:
        coords = np.asarray(tsne_embedding(reduced, seed, progress, n_jobs), dtype=np.float32)
    progress(1.0, "Done")
    return Embedding(method, coords.astype(np.float32), mean, components, reduced)


def tsne_embedding(reduced: np.ndarray, seed: int = 0, progress: Progress | None = None, n_jobs: int = 2):
    """openTSNE's fitted ``TSNEEmbedding`` of ``reduced`` (N, R): an (N, 2) array with a ``transform``."""
    from openTSNE import TSNE

    progress = progress or (lambda fraction, text: None)

    total = TSNE_EARLY_ITER + TSNE_ITER
    done = {"iters": 0}

    def callback(iteration, error, embedding):  # openTSNE counts each phase from 0
        done["iters"] += 25
        progress(
            min(0.99, 0.05 + 0.95 * done["iters"] / total), f"t-SNE iteration {done['iters']} of {total}"
        )
        return False

    progress(0.05, "t-SNE: nearest neighbours")
    perplexity = min(30.0, max(2.0, (len(reduced) - 1) / 3.5))
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        initialization="pca",
        early_exaggeration_iter=TSNE_EARLY_ITER,
        n_iter=TSNE_ITER,
        n_jobs=n_jobs,
        random_state=seed,
        callbacks=callback,
        callbacks_every_iters=25,
        verbose=False,
    )
    return tsne.fit(reduced)
