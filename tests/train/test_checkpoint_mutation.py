"""Checkpoint files as a contract (issue 20): what a file holds, how a bad one is refused, and stage keys and seeds
that stay the same across releases (a changed key silently retrains every saved stage; a changed seed breaks
resumed-equals-uninterrupted).

The golden values below were computed by this code when the format was fixed; a change to them is a format change.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

import harness.train.checkpoint as checkpoint
from harness.errors import UserError
from harness.train.checkpoint import (
    StageStore,
    chain_keys,
    checkpoint_metadata,
    config_hash,
    load_checkpoint,
    save_checkpoint,
    stage_seed,
)


def _linear(fill: float) -> nn.Linear:
    net = nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.fill_(fill)
        net.bias.fill_(-fill)
    return net


def test_stage_keys_and_seeds_are_stable_across_releases() -> None:
    assert config_hash({"lr": 0.01, "epochs": (3, 4)}, 0) == "db996eac3ca9c50d"
    assert config_hash({"epochs": [3, 4], "lr": 0.01}, 0) == "db996eac3ca9c50d"  # key order, tuple vs list
    assert chain_keys({"pre": {"lr": 0.01}, "fine": {"lr": 0.003}}, 0) == {"pre": "c66f2394d0297f51",
                                                                           "fine": "17351295bc09af16"}
    assert (stage_seed(0, "pre"), stage_seed(7, "fine")) == (3928657469, 3911252593)


def test_a_setting_json_cannot_hold_is_hashed_by_its_text() -> None:
    assert config_hash({"root": Path("/data/x")}) == config_hash({"root": "/data/x"})


def test_the_file_layout_weights_under_model_extras_as_named(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "net.safetensors"  # missing folders are made
    weights = torch.arange(6.0).reshape(2, 3).t()  # not contiguous: saved as its values
    save_checkpoint(path, {"w": weights}, {"note": "hi"}, {"stats.mean": torch.ones(2)})
    with safe_open(str(path), framework="pt") as f:
        assert sorted(f.keys()) == ["model.w", "stats.mean"] and f.metadata() == {"note": "hi"}
    state, extra = load_checkpoint(path)
    assert list(state) == ["w"] and torch.equal(state["w"], weights)
    assert list(extra) == ["stats.mean"] and torch.equal(extra["stats.mean"], torch.ones(2))
    save_checkpoint(path, {"w": torch.zeros(1)})  # overwriting, without extras or metadata
    assert sorted(p.name for p in path.parent.iterdir()) == ["net.safetensors"]
    state, extra = load_checkpoint(path)
    assert list(state) == ["w"] and extra == {} and checkpoint_metadata(path) == {}


def test_a_file_written_by_safetensors_itself_loads(tmp_path: Path) -> None:
    # the format is plain safetensors: a file from another writer (or an older release) reads the same way
    path = tmp_path / "other.safetensors"
    save_file({"model.layer.w": torch.ones(2), "model_like": torch.zeros(1)}, str(path), metadata={"a": "b"})
    state, extra = load_checkpoint(path)
    assert list(state) == ["layer.w"] and list(extra) == ["model_like"]
    assert checkpoint_metadata(path) == {"a": "b"}


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":1}"])
def test_a_corrupt_file_is_refused_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    for read in (load_checkpoint, checkpoint_metadata):
        with pytest.raises(UserError, match=rf"^cannot read checkpoint {path}: "):
            read(path)


def test_a_truncated_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.safetensors"
    save_checkpoint(path, {"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(UserError, match=rf"^cannot read checkpoint {path}: "):
        load_checkpoint(path)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.safetensors"
    for read in (load_checkpoint, checkpoint_metadata):
        with pytest.raises(UserError, match=rf"^cannot read checkpoint {path}: "):
            read(path)


def test_a_pickled_checkpoint_is_refused_without_running_it(tmp_path: Path) -> None:
    path = tmp_path / "evil.safetensors"
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    torch.save({"w": torch.zeros(1), "x": Payload()}, path)
    for read in (load_checkpoint, checkpoint_metadata):
        with pytest.raises(UserError, match="cannot read checkpoint"):
            read(path)
    assert not marker.exists()


class _Clock:
    """Fake time module: each clock advances by a fixed step per reading."""

    def __init__(self) -> None:
        self.wall, self.cpu = 100.0, 10.0

    def perf_counter(self) -> float:
        self.wall += 2.5
        return self.wall

    def process_time(self) -> float:
        self.cpu += 0.5
        return self.cpu


def test_a_stage_saves_its_record_with_its_time_and_resumes_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checkpoint, "time", _Clock())
    store = StageStore(tmp_path)
    net = _linear(0.0)

    def train() -> dict:
        with torch.no_grad():
            net.weight.fill_(3.0)
        return {"loss": np.float32(0.5)}  # numpy scalars (a Trainer's history) are saved as floats

    first = store.run("pre", "k1", net, train)
    assert (first.name, first.key, first.resumed) == ("pre", "k1", False)
    assert first.record == {"loss": 0.5, "seconds": 2.5, "cpu_seconds": 0.5}
    path = tmp_path / "pre-k1.safetensors"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    meta = checkpoint_metadata(path)
    assert (meta["stage"], meta["key"]) == ("pre", "k1")
    assert json.loads(meta["record"]) == {"loss": 0.5, "seconds": 2.5, "cpu_seconds": 0.5}
    fresh = _linear(0.0)
    again = store.run("pre", "k1", fresh, lambda: pytest.fail("a saved stage must not train again"))
    assert (again.name, again.key, again.resumed, again.record) == ("pre", "k1", True, first.record)
    assert torch.equal(fresh.weight, net.weight) and torch.equal(fresh.bias, net.bias)


def test_a_stage_that_times_itself_keeps_its_own_times(tmp_path: Path) -> None:
    result = StageStore(tmp_path).run("s", "k", _linear(1.0), lambda: {"seconds": 7.0, "cpu_seconds": 6.0})
    assert result.record == {"seconds": 7.0, "cpu_seconds": 6.0}


def test_keys_lists_one_stages_checkpoints_only(tmp_path: Path) -> None:
    store = StageStore(tmp_path)
    for stage, key in (("pre", "b2"), ("pre", "a1"), ("fine", "c3"), ("pre-x", "d4")):
        store.run(stage, key, _linear(1.0), dict)
    assert store.keys("pre") == ["a1", "b2", "x-d4"]  # '-' separates stage and key: name stages without it
    assert store.keys("fine") == ["c3"] and store.keys("none") == []
    assert store.path("fine", "c3") == tmp_path / "fine-c3.safetensors"


def test_a_checkpoint_from_a_tool_without_stage_metadata_resumes_with_an_empty_record(tmp_path: Path) -> None:
    store = StageStore(tmp_path)
    save_checkpoint(store.path("pre", "k"), _linear(2.0).state_dict(), {"stage": "pre", "key": "k"})
    net = _linear(0.0)
    result = store.run("pre", "k", net, lambda: pytest.fail("must resume"))
    assert result.resumed and result.record == {} and net.weight.tolist() == [[2.0, 2.0]]


@pytest.mark.parametrize(("stage", "key"), [("pre", "other"), ("fine", "k"), ("fine", "other")])
def test_a_checkpoint_whose_metadata_names_another_stage_is_refused(tmp_path: Path, stage: str, key: str) -> None:
    store = StageStore(tmp_path)
    path = store.path("pre", "k")
    save_checkpoint(path, _linear(2.0).state_dict(), {"stage": stage, "key": key})
    with pytest.raises(UserError) as err:
        store.run("pre", "k", _linear(0.0), lambda: pytest.fail("must not train over it"))
    assert str(err.value) == f"checkpoint {path} names stage {stage!r} key {key!r}, not 'pre' 'k'; delete it"


def test_a_checkpoint_that_does_not_fit_the_module_is_refused_saying_why(tmp_path: Path) -> None:
    store = StageStore(tmp_path)
    store.run("pre", "k", _linear(1.0), dict)
    with pytest.raises(UserError) as err:
        store.run("pre", "k", nn.Linear(3, 1), lambda: pytest.fail("must not train over it"))
    path = store.path("pre", "k")
    assert str(err.value) == (
        f"checkpoint {path} does not fit the module: size mismatch for weight: copying a param with shape "
        "torch.Size([1, 2]) from checkpoint, the shape in current model is torch.Size([1, 3]).")
    with pytest.raises(UserError) as err:
        store.run("pre", "k", nn.Sequential(nn.Linear(2, 1)), lambda: pytest.fail("must not train over it"))
    assert str(err.value) == (f'checkpoint {path} does not fit the module: Missing key(s) in state_dict: "0.weight", '
                              '"0.bias".; Unexpected key(s) in state_dict: "bias", "weight".')


def test_a_modules_own_one_line_refusal_is_passed_on_whole(tmp_path: Path) -> None:
    class Strict(nn.Linear):
        def load_state_dict(self, state, strict=True, assign=False):
            raise RuntimeError("weights of an older layout")

    store = StageStore(tmp_path)
    store.run("pre", "k", _linear(1.0), dict)
    with pytest.raises(UserError) as err:
        store.run("pre", "k", Strict(2, 1), lambda: pytest.fail("must not train over it"))
    assert str(err.value) == f"checkpoint {store.path('pre', 'k')} does not fit the module: weights of an older layout"
