"""The restricted unpickler: data round-trips, code does not run."""

from __future__ import annotations

import io
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from harness.data.safe_pickle import UnsafePickleError, safe_load, safe_loads_from
from harness.errors import UserError


class _RunsShell:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _loads(data: bytes):
    return safe_loads_from(io.BytesIO(data), "<bytes>")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_plain_data_and_numpy_round_trip(protocol: int) -> None:
    data = {"train": {"audio": np.arange(6, dtype=np.float32).reshape(2, 3), "id": np.array(["a", "b"]),
                      "n": np.int64(3), "raw": [b"x", "y", 1.5, None, (1, 2)], "o": OrderedDict(a=1)}}
    out = _loads(pickle.dumps(data, protocol=protocol))
    np.testing.assert_array_equal(out["train"]["audio"], data["train"]["audio"])
    assert out["train"]["audio"].dtype == np.float32
    assert list(out["train"]["id"]) == ["a", "b"] and out["train"]["n"] == 3
    assert out["train"]["raw"] == data["train"]["raw"] and out["train"]["o"] == {"a": 1}


def test_os_system_pickle_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"train": _RunsShell(marker)}))
    with pytest.raises(UnsafePickleError, match=r"(posix|os)\.system") as err:
        safe_load(path)
    assert str(path) in str(err.value)
    assert not marker.exists()


def test_other_callables_are_refused() -> None:
    with pytest.raises(UnsafePickleError, match="builtins.eval"):
        _loads(b"cbuiltins\neval\n(S'1+1'\ntR.")


def test_truncated_and_missing_files_are_user_errors(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps({"a": np.zeros(100)})[:50])
    with pytest.raises(UserError, match="truncated"):
        safe_load(path)
    with pytest.raises(UserError, match="not found"):
        safe_load(tmp_path / "absent.pkl")
