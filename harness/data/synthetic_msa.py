"""``synth-msa``: a SYNTHETIC multimodal-sentiment dataset with CMU-MOSEI's feature shapes.

Why it exists: the real CMU-MOSEI cannot be downloaded here, yet the MSA pipeline (variable-length
text/audio/vision sequences, labels in [-3, 3], the MSA metric suite) must run end to end, and a
fusion benchmark is only informative if fusion matters. The generative process, all seeded:

1. Per sample, three independent latent factors ``z_text, z_audio, z_vision ~ N(0, 1)`` and a
   nuisance "topic" factor ``c ~ N(0, 1)``.
2. Sentiment ``y_raw = 1.0 z_text + 0.5 z_audio + 1.0 z_audio * z_vision + 0.3 eps``. The product term
   is signal that no single modality carries and no additive (linear late/early) model can express:
   vision alone is uninformative on average, it only flips the meaning of audio.
3. Label ``y = clip(round(3 y_raw) / 3, -3, 3)``: thirds like MOSEI's averaged ratings, so exact
   zeros occur and the Has0/Non0 conventions of the metrics differ as they do on the real data.
4. Each modality m is a sequence of length ``L_m ~ U{T_m/4 .. T_m}`` (zero-padded to ``T_m``); step t is
   ``z_m g_t w_m + 2 c u_m + N(0, I)``, with ``g_t ~ Bernoulli(1/2)`` marking sentiment-bearing steps
   and fixed unit directions ``w_m``, ``u_m`` (drawn once from ``DIRECTION_SEED``).

Feature sizes are MOSEI's (text 300 GloVe, audio 74 COVAREP, vision 35 Facet); sequence lengths are
scaled down from MMSA's unaligned layout (50/500/375) to 20/40/30 to keep CPU runs short.
"""

from __future__ import annotations

import numpy as np

from harness.data.dataset import MultimodalDataset, Split

DIMS = {"text": 300, "audio": 74, "vision": 35}
MAX_LEN = {"text": 20, "audio": 40, "vision": 30}
SPLIT_SIZES = {"train": 1400, "valid": 300, "test": 300}
DATA_SEED = 0
DIRECTION_SEED = 12345


def _directions(dim: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    q, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    return q[:, 0], q[:, 1]


def generate(sizes: dict[str, int] = SPLIT_SIZES, seed: int = DATA_SEED) -> MultimodalDataset:
    """Draw the dataset; the same ``seed`` always gives byte-identical arrays."""
    dir_rng = np.random.default_rng(DIRECTION_SEED)
    directions = {m: _directions(d, dir_rng) for m, d in DIMS.items()}
    rng = np.random.default_rng(seed)
    splits: dict[str, Split] = {}
    offset = 0
    for split_name, n in sizes.items():
        z = {m: rng.standard_normal(n) for m in DIMS}
        topic = rng.standard_normal(n)
        y_raw = z["text"] + 0.5 * z["audio"] + z["audio"] * z["vision"] + 0.3 * rng.standard_normal(n)
        labels = np.clip(np.round(3 * y_raw) / 3, -3, 3).astype(np.float32)
        features, lengths = {}, {}
        for m, dim in DIMS.items():
            t_max = MAX_LEN[m]
            length = rng.integers(t_max // 4, t_max + 1, size=n)
            gate = rng.random((n, t_max)) < 0.5
            w, u = directions[m]
            x = (z[m][:, None, None] * gate[..., None]) * w + 2.0 * topic[:, None, None] * u
            x = x + rng.standard_normal((n, t_max, dim))
            x[np.arange(t_max)[None, :] >= length[:, None]] = 0.0
            features[m], lengths[m] = x.astype(np.float32), length.astype(np.int64)
        ids = np.array([f"synth-msa-{offset + i}" for i in range(n)])
        offset += n
        splits[split_name] = Split(ids=ids, labels=labels, features=features, lengths=lengths)
    return MultimodalDataset(name="synth_msa", splits=splits, synthetic=True)
