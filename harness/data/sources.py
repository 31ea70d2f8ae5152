"""Registry of dataset sources: embedded ones load directly, the rest are prepared from user files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from harness.data import (
    av_digits,
    cifar10,
    conversation,
    downloads,
    embedded,
    meld,
    mfeat,
    mmsa_pickle,
    mmsd,
    synthetic_conversation,
    synthetic_msa,
)
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
    name="digits_image",
    description="scikit-learn digits, 1,797 real 8x8 images, as one (1, 8, 8) image modality in [0, 1]",
    citation="Alpaydin & Kaynak, UCI Optical Recognition of Handwritten Digits (1998)",
    load=embedded.digits_image,
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
    name="synth_conversation",
    description="SYNTHETIC conversations (dialogues, speakers, turns); labels need context and cross-modal fusion",
    citation="mmrepro synthetic generator (harness/data/synthetic_conversation.py)",
    load=synthetic_conversation.generate,
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

for _target, _n in (("emotion", 7), ("sentiment", 3)):
    register_dataset(DatasetSource(
        name=f"meld_{_target}",
        description=f"MELD utterances ({_n} {_target} classes), MiniLM text embeddings; optional audio/visual npz",
        citation="Poria et al., MELD, ACL 2019 (declare-lab/MELD data/MELD/*_sent_emo.csv)",
        read=partial(meld.read, target=_target),
        source_hint="DIR_WITH_train/dev/test_sent_emo.csv",
        download=downloads.meld,
    ))
register_dataset(DatasetSource(
    name="mmsd",
    description="Twitter multimodal sarcasm (MMSD), keyword-filtered; text + image-attribute embeddings",
    citation="Cai, Cai & Wan, Multi-Modal Sarcasm Detection in Twitter, ACL 2019",
    read=mmsd.read_mmsd,
    source_hint="DIR_WITH_train.txt/valid2.txt/test2.txt/image_attributes_extract_all.txt",
    download=downloads.mmsd,
))
register_dataset(DatasetSource(
    name="mmsd2",
    description="MMSD 2.0 (debiased, re-annotated sarcasm); text + MMSD image-attribute embeddings",
    citation="Qin et al., MMSD2.0: Towards a Reliable Multi-modal Sarcasm Detection System, Findings ACL 2023",
    read=mmsd.read_mmsd2,
    source_hint="DIR_WITH_train/valid/test.json --option attributes=MMSD/image_attributes_extract_all.txt",
    download=downloads.mmsd2,
))
register_dataset(DatasetSource(
    name="av_digits",
    description="FSDD spoken digits (log-mel) paired with scikit-learn digit images; speaker-disjoint test",
    citation="Jackson et al., Free Spoken Digit Dataset v1.0.10 (Zenodo); Alpaydin & Kaynak UCI optdigits",
    read=av_digits.read,
    source_hint="FSDD_DIR (holding recordings/)",
    download=downloads.fsdd,
))
register_dataset(DatasetSource(
    name="av_digits_retrieval",
    description="AV-digits with one distinct image per clip, for audio->image retrieval (target = paired image)",
    citation="Jackson et al., Free Spoken Digit Dataset v1.0.10 (Zenodo); Alpaydin & Kaynak UCI optdigits",
    read=partial(av_digits.read, retrieval=True),
    source_hint="FSDD_DIR (holding recordings/)",
    download=downloads.fsdd,
))

for _classes in (6, 4):
    register_dataset(DatasetSource(
        name=f"iemocap_{_classes}",
        description=f"IEMOCAP conversations, {_classes} emotions, utterance text/audio/visual vectors (CORECT pickle)",
        citation="Busso et al., IEMOCAP, LRE 2008; feature pickles of DialogueRNN (Majumder et al. 2019) / "
                 "COGMEN / CORECT (Nguyen et al. 2023)",
        read=partial(conversation.read, name=f"iemocap_{_classes}"),
        source_hint="IEMOCAP_features.pkl" if _classes == 6 else "IEMOCAP_features_4.pkl",
    ))
register_dataset(DatasetSource(
    name="cifar10",
    description="CIFAR-10 python batches (60,000 32x32 colour images, 10 classes)",
    citation="Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009",
    read=cifar10.read,
    source_hint="cifar-10-batches-py",
    download=downloads.cifar10,
))


@lru_cache(maxsize=8)
def load_embedded(name: str) -> MultimodalDataset:
    """Embedded datasets are deterministic, so one in-process copy serves every run."""
    source = DATASETS.get(name)
    assert source.load is not None, f"{name} is not embedded"
    return source.load()
