"""``synth-conversation``: a SYNTHETIC emotion-in-conversation dataset whose labels need context and fusion.

Why it exists: the conversation data we can run (MELD) has text only, so the multimodal parts of conversation
models (CORECT's per-modality graph nodes and its pairwise cross-modal block P-CM) would have nothing to find.
Here each part has a known job. The generative process, all seeded:

1. Dialogues of ``L ~ U{MIN_TURNS .. MAX_TURNS}`` utterances between two speakers ``A``/``B``; the first
   speaker is drawn at random, then the floor passes to the other speaker with probability ``SWITCH``.
2. Per utterance ``i``, independent factors ``z_text, z_audio, z_visual ~ N(0, 1)``. Its *own* signal is
   ``u_i = z_text + 0.5 z_audio``; its *cross-modal* signal is ``z_audio * z_visual`` (a product: neither
   modality alone carries it, and no additive late or linear early fusion can express it).
3. *Context*: over the ``WINDOW`` preceding utterances of the same dialogue, ``same_i`` = mean of ``u_j`` of
   the same speaker and ``other_i`` = mean of ``u_j`` of the other speaker (0 when there is none).
4. Score ``s_i = u_i + z_audio z_visual + W_SAME same_i + W_OTHER other_i + NOISE eps``; the class is the
   quartile of ``s`` among the train split's scores (4 balanced classes, same cut points for every split).
5. Features per utterance and modality: ``x_m = SIGNAL z_m w_m + STYLE c_d v_m + N(0, I)`` with fixed
   orthonormal directions ``w_m, v_m`` (seed ``DIRECTION_SEED``) and a per-dialogue style ``c_d ~ N(0, 1)``
   that carries no label information (a nuisance a dialogue-level model may learn to ignore).

So a context-free utterance model can at best use ``u_i`` and the product (its ceiling is below a model
that also reads the window of preceding utterances and who spoke them); a model without cross-modal
interaction loses the product term. The dataset has group fields ``dialogue``, ``turn`` and ``speaker``.
Modality names and kinds follow IEMOCAP's conversation pickles (utterance vectors ``text``, ``audio``,
``visual``), at small sizes so CPU runs are short. :func:`oracle_parts` returns the latent terms, for tests
and for measuring how much of the signal each term carries.
"""

from __future__ import annotations

import numpy as np

from harness.data.dataset import MultimodalDataset, Split

DIMS = {"text": 32, "audio": 24, "visual": 16}
DIALOGUES = {"train": 240, "valid": 40, "test": 80}
MIN_TURNS, MAX_TURNS = 6, 16
SWITCH = 0.7
WINDOW = 4
W_SAME, W_OTHER = 1.0, 0.7
NOISE = 0.3
SIGNAL, STYLE = 3.0, 1.5
CLASSES = 4
DATA_SEED = 0
DIRECTION_SEED = 2023


def _directions(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for m, dim in DIMS.items():
        q, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
        out[m] = q[:, 0], q[:, 1]
    return out


def _speakers(rng: np.random.Generator, n: int) -> np.ndarray:
    switch = rng.random(n) < SWITCH
    switch[0] = rng.random() < 0.5  # who opens
    return np.cumsum(switch) % 2


def _context(own: np.ndarray, speaker: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means of ``own`` over the ``WINDOW`` preceding turns, of the same and of the other speaker."""
    same, other = np.zeros(len(own)), np.zeros(len(own))
    for i in range(len(own)):
        lo = max(0, i - WINDOW)
        prev, who = own[lo:i], speaker[lo:i]
        if (who == speaker[i]).any():
            same[i] = prev[who == speaker[i]].mean()
        if (who != speaker[i]).any():
            other[i] = prev[who != speaker[i]].mean()
    return same, other


def _draw_split(rng: np.random.Generator, n_dialogues: int, first_dialogue: int) -> dict[str, np.ndarray]:
    lengths = rng.integers(MIN_TURNS, MAX_TURNS + 1, size=n_dialogues)
    n = int(lengths.sum())
    z = {m: rng.standard_normal(n) for m in DIMS}
    own = z["text"] + 0.5 * z["audio"]
    cross = z["audio"] * z["visual"]
    dialogue = np.repeat(np.arange(first_dialogue, first_dialogue + n_dialogues), lengths)
    turn = np.concatenate([np.arange(length) for length in lengths])
    speaker = np.concatenate([_speakers(rng, int(length)) for length in lengths])
    same, other = np.zeros(n), np.zeros(n)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for start, length in zip(starts, lengths, strict=True):
        rows = slice(start, start + length)
        same[rows], other[rows] = _context(own[rows], speaker[rows])
    style = np.repeat(rng.standard_normal(n_dialogues), lengths)
    score = own + cross + W_SAME * same + W_OTHER * other + NOISE * rng.standard_normal(n)
    return {"z": z, "own": own, "cross": cross, "same": same, "other": other, "score": score, "style": style,
            "dialogue": dialogue, "turn": turn, "speaker": speaker}


def oracle_parts(dialogues: dict[str, int] = DIALOGUES, seed: int = DATA_SEED) -> dict[str, dict[str, np.ndarray]]:
    """Per split, the latent terms of every utterance (``own``, ``cross``, ``same``, ``other``, ``score``...)."""
    rng = np.random.default_rng(seed)
    parts, first = {}, 0
    for split, count in dialogues.items():
        parts[split] = _draw_split(rng, count, first)
        first += count
    return parts


def generate(dialogues: dict[str, int] = DIALOGUES, seed: int = DATA_SEED) -> MultimodalDataset:
    """Draw the dataset; the same ``seed`` always gives byte-identical arrays. The first split sets the cut points."""
    directions = _directions(np.random.default_rng(DIRECTION_SEED))
    parts = oracle_parts(dialogues, seed)
    noise_rng = np.random.default_rng([seed, 1])
    cuts = np.quantile(next(iter(parts.values()))["score"], np.linspace(0, 1, CLASSES + 1)[1:-1])
    splits = {}
    for split, p in parts.items():
        n = len(p["score"])
        features = {}
        for m, dim in DIMS.items():
            w, v = directions[m]
            x = SIGNAL * p["z"][m][:, None] * w + STYLE * p["style"][:, None] * v
            features[m] = (x + noise_rng.standard_normal((n, dim))).astype(np.float32)
        names = np.array([f"synth-conv-{d}" for d in p["dialogue"]])
        speaker = np.array(["A", "B"])[p["speaker"]]
        ids = np.array([f"{d}#{t}#{s}" for d, t, s in zip(names, p["turn"], speaker, strict=True)])
        splits[split] = Split(ids=ids, labels=np.searchsorted(cuts, p["score"]).astype(np.int64), features=features,
                              groups={"dialogue": names, "turn": p["turn"].astype(np.int64), "speaker": speaker})
    return MultimodalDataset(name="synth_conversation", splits=splits, synthetic=True)
