"""Cross-modal retrieval metrics: Recall@K and median rank from a similarity matrix.

Follows the standard R@K protocol of image-text / video-text retrieval (VSE++, Faghri et al. 2018;
CLIP-style zero-shot retrieval, Radford et al. 2021): row ``i`` of the similarity matrix scores query ``i``
against every gallery item, the query has exactly one ground-truth gallery item, and R@K is the fraction
of queries whose ground truth ranks in the top K. Hand-written in vectorised numpy because no library
function fixes the one thing implementations disagree on -- ties -- and reference code ranks via
``argsort``, whose tie order is an accident of the sort algorithm.

Tie convention (pessimistic): the rank of the ground truth is the number of gallery items scoring
*greater than or equal to* it, itself included, i.e. ``1 + #(strictly higher) + #(other items tied with
it)``. Without ties this is the usual rank. The optimistic alternative (count only strictly higher items)
would let a degenerate model that outputs a constant matrix score R@1 = 1.0; pessimistic counting gives
it the worst rank instead.
"""

import numpy as np


def retrieval_ranks(similarity: np.ndarray, targets: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each query's ground-truth gallery item (pessimistic ties; see module docstring).

    ``similarity`` has shape (n_query, n_gallery), higher meaning more similar. ``targets`` has shape
    (n_query,) and gives each query's ground-truth gallery index; ``None`` means the diagonal
    (query ``i`` matches gallery item ``i``), the usual layout for paired test sets.
    """
    s = np.asarray(similarity, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"similarity must have shape (n_query, n_gallery) with both >= 1, got {s.shape}")
    if np.isnan(s).any():
        raise ValueError("similarity contains nan")
    n_query, n_gallery = s.shape
    if targets is None:
        if n_gallery < n_query:
            raise ValueError(
                f"diagonal targets need n_gallery >= n_query, got similarity shape {s.shape}; pass targets"
            )
        idx = np.arange(n_query)
    else:
        t = np.asarray(targets)
        if t.shape != (n_query,):
            raise ValueError(f"targets must have shape (n_query,) = ({n_query},), got {t.shape}")
        if not np.issubdtype(t.dtype, np.integer):
            if not np.issubdtype(t.dtype, np.floating) or not np.all(t == np.round(t)):
                raise ValueError(f"targets must be integer gallery indices, got dtype {t.dtype}")
        idx = t.astype(np.int64)
        if idx.min() < 0 or idx.max() >= n_gallery:
            raise ValueError(
                f"targets must lie in [0, n_gallery) = [0, {n_gallery}), got [{idx.min()}, {idx.max()}]"
            )
    target_scores = s[np.arange(n_query), idx]
    return np.count_nonzero(s >= target_scores[:, None], axis=1)


def recall_at_k(similarity: np.ndarray, k: int, targets: np.ndarray | None = None) -> float:
    """R@K: fraction of queries whose ground truth has rank <= ``k`` (see :func:`retrieval_ranks`)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return float(np.mean(retrieval_ranks(similarity, targets) <= k))


def median_rank(similarity: np.ndarray, targets: np.ndarray | None = None) -> float:
    """Median over queries of the 1-based ground-truth rank (lower is better; 1.0 is perfect).

    ``np.median``, so an even number of queries can give a half-integer, as in CLIP4Clip-style
    ``np.median(ranks) + 1``; VSE++ additionally floors the 0-based median, which we do not.
    """
    return float(np.median(retrieval_ranks(similarity, targets)))
