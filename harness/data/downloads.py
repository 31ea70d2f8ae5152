"""Pinned public copies of the sources that have one: upstream files at a fixed commit, with checksums.

The sha256 values are those of the byte-identical copies these loaders were tested on. MOSI/MOSEI (MMSA's
Baidu/Google Drive release) and IEMOCAP (licence agreement) have no scriptable public download.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.download import RemoteFile, fetch, fetch_all, fetch_tar

_GH = "https://raw.githubusercontent.com"
MELD_COMMIT = "2d2011b409d3ca2d7e94460cd007d434b1d0a102"
MMSD_COMMIT = "f42b16510208624d91fa545ca9bb64c6335f971e"
MMSD2_COMMIT = "1627811f7a1e0acedce5b9df8b58919d86dd638e"
FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
# sha256 over all 3,000 wavs concatenated in sorted file-name order (v1.0.10 recordings/).
FSDD_COMBINED_SHA256 = "ddb17656a0bca4c5ddace082be188ca630516dc2ef1110afe3c4e9cc71173de4"

MELD_FILES = [RemoteFile(f"{_GH}/declare-lab/MELD/{MELD_COMMIT}/data/MELD/{name}", f"sha256:{digest}", name) for
              name, digest in (
                  ("train_sent_emo.csv", "d2fa2d6529cf03cac2989efec05c9b27d8fd2f4c8fc5974c7ae88aa537fa02db"),
                  ("dev_sent_emo.csv", "2e89c6f8aa182d6f62f8c6331aece905ac7273ca4999660bfb5213e1d0370c1c"),
                  ("test_sent_emo.csv", "8d37103938f7067600839fe29d5a114a6cd1bcdafb75bec101e06464c5006888"))]
_MMSD_REPO = f"{_GH}/headacheboy/data-of-multimodal-sarcasm-detection/{MMSD_COMMIT}"
MMSD_FILES = [
    RemoteFile(f"{_MMSD_REPO}/text/train.txt",
               "sha256:4621567e231fe453686be4a0a030265e8f0a999e0e1b8c6b0a9fe8ee84e24f57", "train.txt"),
    RemoteFile(f"{_MMSD_REPO}/text/valid2.txt",
               "sha256:ce3136f550cb6293e4455db07fa6f9e4d3cf29e9e17a1e5c3c2759241e842c76", "valid2.txt"),
    RemoteFile(f"{_MMSD_REPO}/text/test2.txt",
               "sha256:3908a8c3c170921e6fc81bef9b404965091364792aa4b2c54b486e4b74893f56", "test2.txt"),
    RemoteFile(f"{_MMSD_REPO}/extract/extract_all",
               "sha256:9cb5e4d5bb1e206b34c025417d2c3b57420a510f9b14bc0f5125293616b42830",
               "image_attributes_extract_all.txt"),
]
MMSD2_FILES = [RemoteFile(f"{_GH}/JoeYing1019/MMSD2.0/{MMSD2_COMMIT}/data/text_json_final/{name}", f"sha256:{digest}",
                          name) for name, digest in (
    ("train.json", "5e392d6e22c5cc62ac3c00dbab6d63825b676c0b5e5bf2980b3a2b80c365c3ba"),
    ("valid.json", "2029f3a9975959344f294292f2417a3b7e8d705eabd2e9f006f53ba343eb141a"),
    ("test.json", "4c0a16e064c7e3970e0620d8590c709c1fac11be17cfb7bf8a381bfcddda09ea"))]
# The CIFAR-10 python archive and the md5 published on https://www.cs.toronto.edu/~kriz/cifar.html
CIFAR10_ARCHIVE = RemoteFile("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                             "md5:c58f30108f718f92721af3b95e74349a", "cifar-10-python.tar.gz")


def meld(folder: Path) -> Path:
    return fetch_all(MELD_FILES, folder)


def mmsd(folder: Path) -> Path:
    return fetch_all(MMSD_FILES, folder)


def mmsd2(folder: Path) -> Path:
    """MMSD 2.0 json files plus MMSD's image-attribute words (the reader finds them in the same folder)."""
    fetch_all(MMSD2_FILES, folder)
    fetch(MMSD_FILES[-1], folder)
    return folder


def fsdd(folder: Path) -> Path:
    """The 3,000 wavs, checked together against :data:`FSDD_COMBINED_SHA256` (no per-file hashes upstream)."""
    import hashlib

    from harness.errors import UserError

    names = [f"{d}_{s}_{i}.wav" for d in range(10) for s in FSDD_SPEAKERS for i in range(50)]
    base = f"{_GH}/Jakobovski/free-spoken-digit-dataset/{FSDD_COMMIT}/recordings"
    rec = folder / "recordings"
    for name in names:
        if not (rec / name).is_file():
            fetch(RemoteFile(f"{base}/{name}", "", name), rec)
    h = hashlib.sha256()
    for path in sorted(rec.glob("*.wav")):
        h.update(path.read_bytes())
    if h.hexdigest() != FSDD_COMBINED_SHA256:
        raise UserError(f"{rec}: the recordings differ from FSDD v1.0.10 (combined sha256 mismatch); delete the "
                        "folder and download again")
    return folder


def cifar10(folder: Path) -> Path:
    return fetch_tar(CIFAR10_ARCHIVE, folder, "cifar-10-batches-py")
