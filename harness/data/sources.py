"""Registry of dataset sources: embedded ones load directly, the rest are prepared from user files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from harness.data import embedded, mfeat, mmsa_pickle, synthetic_msa
from harness.data.dataset import MultimodalDataset
from harness.data.read_result import ReadResult
from harness.registry import Registry


@dataclass(frozen=True)
class DatasetSource:
    """How to obtain one dataset: ``load`` (embedded) or ``read(path, **options)`` (prepared once, then cached).

    ``read`` returns the dataset, or a :class:`ReadResult` when it filtered or cleaned anything (the counts go
    into the manifest). ``download(folder) -> path`` fetches a public copy (URL + checksum) for ``--download``.
    """

    name: str
    description: str
    citation: str
    load: Callable[[], MultimodalDataset] | None = None
    read: Callable[..., MultimodalDataset | ReadResult] | None = None
    source_hint: str = ""
    download: Callable[[Path], Path] | None = None

    @property
    def embedded(self) -> bool:
        return self.load is not None

    def prepare_command(self) -> str:
        return f"mmrepro data prepare {self.name} --from {self.source_hint or 'PATH'}"


DATASETS: Registry[DatasetSource] = Registry("dataset")


def register_dataset(source: DatasetSource) -> DatasetSource:
    return DATASETS.add(source.name, source)


register_dataset(DatasetSource(
    name="digits",
    description="scikit-learn digits, 1,797 real 8x8 images, as left/right half views",
    citation="Alpaydin & Kaynak, UCI Optical Recognition of Handwritten Digits (1998)",
    load=embedded.digits_views,
))
register_dataset(DatasetSource(
    name="breast_cancer",
    description="Wisconsin diagnostic breast cancer, 569 real samples, mean/se/worst views",
    citation="Street, Wolberg & Mangasarian, Nuclear feature extraction for breast tumor diagnosis (1993)",
    load=embedded.breast_cancer_views,
))
register_dataset(DatasetSource(
    name="synth_msa",
    description="SYNTHETIC multimodal sentiment with CMU-MOSEI feature shapes (documented generator)",
    citation="mmrepro synthetic generator (harness/data/synthetic_msa.py)",
    load=synthetic_msa.generate,
))
register_dataset(DatasetSource(
    name="mfeat",
    description="UCI Multiple Features, 2,000 handwritten digits in 6 views",
    citation="van Breukelen et al., Handwritten digit recognition by combined classifiers, Kybernetika 1998",
    read=mfeat.read,
    source_hint="DIR_WITH_mfeat-fou...mfeat-mor",
))

register_dataset(DatasetSource(
    name="mosi",
    description="CMU-MOSI in MMSA's pickle layout (aligned_50.pkl or unaligned_50.pkl), 2,199 clips",
    citation="Zadeh et al., MOSI, IEEE Intelligent Systems 2016; layout of thuiar/MMSA (Yu et al. 2021)",
    read=partial(mmsa_pickle.read, name="mosi"),
    source_hint="MOSI/Processed/unaligned_50.pkl (MMSA release)",
))
register_dataset(DatasetSource(
    name="mosei",
    description="CMU-MOSEI in MMSA's pickle layout (aligned_50.pkl or unaligned_50.pkl), 22,856 clips",
    citation="Zadeh et al., CMU-MOSEI, ACL 2018; layout of thuiar/MMSA (Yu et al. 2021)",
    read=partial(mmsa_pickle.read, name="mosei"),
    source_hint="MOSEI/Processed/unaligned_50.pkl (MMSA release)",
))


@lru_cache(maxsize=8)
def load_embedded(name: str) -> MultimodalDataset:
    """Embedded datasets are deterministic, so one in-process copy serves every run."""
    source = DATASETS.get(name)
    assert source.load is not None, f"{name} is not embedded"
    return source.load()
