"""AV-digits: spoken digits (FSDD recordings) paired with handwritten digits (scikit-learn ``load_digits``).

An AV-MNIST-style task (Vielzeuf et al. 2018 pair MNIST images with FSDD/TIDIGITS audio) built from real data
on both sides. Sources of truth: Jakobovski/free-spoken-digit-dataset v1.0.10 ``recordings/`` (3,000 8 kHz
mono 16-bit wavs named ``{digit}_{speaker}_{index}.wav``) and scikit-learn's bundled UCI optdigits test set
(1,797 8x8 images, grey levels 0..16). The pairing is mmrepro's construction, not part of either source:

- Split by speaker, so test voices are never heard in training: valid = ``nicolas``, test = ``theo``, train =
  george, jackson, lucas, yweweler (2000/500/500 clips).
- Each digit's images are shuffled (seed :data:`PAIR_SEED`) and cut into disjoint train/valid/test pools in
  the 4:1:1 proportion of the audio splits, so no image appears in two splits.
- Within a split, the clips of a digit (sorted by file name) take that digit's pool images in the shuffled
  order, cycling when clips outnumber images (each image then serves 1-2 clips).

``audio``: log-mel spectrogram sequence, 40 bands over 0-4 kHz, 32 ms Hann window, 10 ms hop (numpy/scipy),
``log(mel power + 1e-6)``, one step per frame, variable length. ``image``: the 64 grey levels / 16.
Group fields: ``speaker`` (FSDD speaker) and ``pair`` (the ``load_digits`` index of the paired image; clips
that share an image share a pair id, so a contrastive loss can avoid treating them as negatives).

The retrieval variant keeps, per split and digit, only as many clips as there are pool images, so every
gallery image is distinct; query i's ground truth is gallery item i (``labels = arange(n)``).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult

SAMPLE_RATE = 8000
N_FFT, HOP, N_MELS = 256, 80, 40
SPEAKERS = {"valid": ("nicolas",), "test": ("theo",)}
SPLITS = ("train", "valid", "test")
PAIR_SEED = 0
NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters equally spaced on the HTK mel scale from 0 to sr/2."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(0.0), mel(sr / 2), n_mels + 2))
    bins = np.linspace(0, sr / 2, n_fft // 2 + 1)
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (center - lower)
    falling = (upper - bins[None, :]) / (upper - center)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel(signal: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """(frames, n_mels) log-mel power of a float signal; short signals are zero-padded to one window."""
    if len(signal) < N_FFT:
        signal = np.pad(signal, (0, N_FFT - len(signal)))
    frames = np.lib.stride_tricks.sliding_window_view(signal, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1)) ** 2
    return np.log(power @ filters.T + 1e-6).astype(np.float32)


def _recordings(root: Path) -> list[tuple[Path, int, str]]:
    folder = root / "recordings" if (root / "recordings").is_dir() else root
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise DataError(f"av_digits: no .wav files in {folder}; point --from at FSDD (with recordings/)")
    out = []
    for path in files:
        match = NAME.match(path.name)
        if not match:
            raise DataError(f"av_digits: {path.name} is not named digit_speaker_index.wav as in FSDD")
        out.append((path, int(match[1]), match[2]))
    return out


def _read_wav(path: Path) -> np.ndarray:
    try:
        from scipy.io import wavfile  # SciPy only when recordings are read, not at start-up

        rate, data = wavfile.read(path)
    except (ValueError, OSError, struct.error) as err:
        raise DataError(f"av_digits: cannot read {path} ({err}); the file is truncated or not a WAV") from err
    if rate != SAMPLE_RATE or data.ndim != 1 or data.dtype != np.int16:
        raise DataError(f"av_digits: {path} is {rate} Hz, shape {data.shape}, {data.dtype}; FSDD is 8 kHz mono int16")
    return data.astype(np.float32) / 32768.0


def _image_pools(images_y: np.ndarray, audio_counts: dict[str, int]) -> dict[tuple[str, int], np.ndarray]:
    """Disjoint per-split, per-digit image index pools in the proportion of the audio splits."""
    rng = np.random.default_rng(PAIR_SEED)
    total = sum(audio_counts.values())
    pools = {}
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(images_y == digit))
        cuts = np.cumsum([round(len(idx) * audio_counts[s] / total) for s in SPLITS[:-1]])
        for split, part in zip(SPLITS, np.split(idx, cuts), strict=True):
            pools[split, digit] = part
    return pools


def _pairs(root: Path, limit_per_split: int | None) -> tuple[dict[str, dict], dict]:
    recordings = _recordings(Path(root))
    split_of = {sp: s for s, speakers in SPEAKERS.items() for sp in speakers}
    by_split: dict[str, list] = {s: [] for s in SPLITS}
    for path, digit, speaker in recordings:
        by_split[split_of.get(speaker, "train")].append((path, digit, speaker))
    for split, items in by_split.items():
        if not items:
            raise DataError(f"av_digits: split {split!r} has no recordings (speakers {SPEAKERS}); is FSDD complete?")
    from sklearn.datasets import load_digits  # scikit-learn only when the data is prepared

    bunch = load_digits()
    pools = _image_pools(bunch.target, {s: len(v) for s, v in by_split.items()})
    filters = mel_filterbank()
    out = {}
    for split, items in by_split.items():
        used = {d: 0 for d in range(10)}
        rows = []
        for path, digit, speaker in items:
            pool = pools[split, digit]
            rows.append((path, digit, speaker, int(pool[used[digit] % len(pool)]), used[digit] < len(pool)))
            used[digit] += 1
        rows = rows[:limit_per_split] if limit_per_split else rows
        out[split] = {
            "ids": np.array([p.stem for p, *_ in rows]),
            "digit": np.array([d for _, d, *_ in rows], dtype=np.int64),
            "spec": [log_mel(_read_wav(p), filters) for p, *_ in rows],
            "image": (bunch.data[[i for *_, i, _ in rows]] / 16.0).astype(np.float32),
            "image_index": np.array([i for *_, i, _ in rows], dtype=np.int64),
            "speaker": np.array([sp for _, _, sp, *_ in rows], dtype=np.str_),
            "first_use": np.array([f for *_, f in rows]),
        }
    notes = {"speakers": {s: sorted({sp for _, _, sp in v}) for s, v in by_split.items()},
             "image_pool_sizes": {s: int(sum(len(pools[s, d]) for d in range(10))) for s in SPLITS},
             "pair_seed": PAIR_SEED, "limit_rows_per_split": limit_per_split,
             "audio": f"log-mel {N_MELS} bands, n_fft {N_FFT}, hop {HOP} at {SAMPLE_RATE} Hz"}
    return out, notes


def _split(part: dict, keep: np.ndarray, labels: np.ndarray, t_max: int) -> Split:
    specs = [part["spec"][i] for i in np.flatnonzero(keep)]
    lengths = np.array([len(s) for s in specs], dtype=np.int64)
    audio = np.zeros((len(specs), t_max, N_MELS), dtype=np.float32)
    for i, s in enumerate(specs):
        audio[i, :len(s)] = s
    return Split(ids=part["ids"][keep], labels=labels, features={"audio": audio, "image": part["image"][keep]},
                 lengths={"audio": lengths},
                 groups={"speaker": part["speaker"][keep], "pair": part["image_index"][keep]})


def read(root: Path, *, retrieval: bool = False, limit: str | int | None = None) -> ReadResult:
    """Classification pairs (label = digit) or, with ``retrieval``, distinct-image pairs (label = gallery index)."""
    parts, notes = _pairs(root, int(limit) if limit else None)
    t_max = max(len(s) for p in parts.values() for s in p["spec"])
    splits = {}
    for split, part in parts.items():
        keep = part["first_use"] if retrieval else np.ones(len(part["ids"]), dtype=bool)
        labels = np.arange(int(keep.sum())) if retrieval else part["digit"]
        splits[split] = _split(part, keep, labels, t_max)
        notes.setdefault("counts", {})[split] = {"clips": len(part["ids"]), "kept": int(keep.sum()),
                                                 "distinct_images": len(set(part["image_index"][keep]))}
    notes["protocol"] = ("retrieval: query = audio i, gallery = the split's images in order, target = i"
                         if retrieval else "classification: label = spoken and written digit")
    name = "av_digits_retrieval" if retrieval else "av_digits"
    return ReadResult(MultimodalDataset(name=name, splits=splits), notes)
