"""The Numberbatch loader on small files in the published text format, written by the test."""

import gzip

import numpy as np
import pytest

from harness.data.dataset import DataError
from harness.data.numberbatch import load_numberbatch, term_key


def _write(path, lines, gz=False):
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_english_file_with_header_keeps_only_the_vocabulary(tmp_path):
    path = _write(tmp_path / "nb.txt", ["4 3", "dog 1 0 0", "ice_cream 0 1 0", "cat 0 0 1", "car 1 1 1"])
    vectors = load_numberbatch(path, ["Dog", "ice cream", "zebra"])
    assert sorted(vectors.vectors) == ["dog", "ice_cream"]
    np.testing.assert_array_equal(vectors.vectors["ice_cream"], [0, 1, 0])
    assert vectors.dim == 3 and vectors.missing == ("zebra",)
    assert vectors.coverage() == pytest.approx(2 / 3)


def test_multilingual_gz_file_filters_by_language(tmp_path):
    path = _write(tmp_path / "nb.txt.gz", ["/c/fr/chien 9 9", "/c/en/dog 1 2", "/c/en/rain 3 4", "/c/de/hund 5 5"],
                  gz=True)
    vectors = load_numberbatch(path, ["dog", "chien", "rain"])
    assert sorted(vectors.vectors) == ["dog", "rain"] and vectors.missing == ("chien",)
    np.testing.assert_array_equal(vectors.vectors["rain"], np.array([3, 4], dtype=np.float32))
    assert sorted(load_numberbatch(path, ["chien"], language="fr").vectors) == ["chien"]


def test_without_header_the_first_line_sets_the_dimension(tmp_path):
    path = _write(tmp_path / "nb.txt", ["dog 1 2 3", "cat 4 5 6"])
    assert load_numberbatch(path, ["cat"]).dim == 3


@pytest.mark.parametrize("lines, message", [
    (["2 3", "dog 1 2 3", "cat 1 2"], "2 values, expected 3"),
    (["dog 1 x 3"], "not a number"),
    ([""], "no vectors"),
])
def test_bad_files_fail_with_the_line(tmp_path, lines, message):
    path = _write(tmp_path / "nb.txt", lines)
    with pytest.raises(DataError, match=message):
        load_numberbatch(path, ["dog", "cat"])


def test_missing_file_says_what_to_download(tmp_path):
    with pytest.raises(DataError, match="Numberbatch release"):
        load_numberbatch(tmp_path / "absent.txt.gz", ["dog"])


def test_term_key_is_conceptnet_normalisation():
    assert term_key("  Ice Cream ") == "ice_cream"
