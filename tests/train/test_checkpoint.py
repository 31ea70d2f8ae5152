"""Stage checkpoints: atomic safetensors files keyed by the stage's settings; a stage resumes in a new process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

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

REPO = Path(__file__).resolve().parents[2]


def test_config_hash_is_stable_and_sensitive() -> None:
    assert config_hash({"a": 1, "b": (1, 2)}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    assert stage_seed(0, "s1") != stage_seed(0, "s2") and stage_seed(0, "s1") == stage_seed(0, "s1")


def test_chained_keys_change_downstream_of_a_changed_stage() -> None:
    base = chain_keys({"s1": {"lr": 1}, "s2": {"lr": 2}, "s3": {"lr": 3}}, 0)
    changed = chain_keys({"s1": {"lr": 9}, "s2": {"lr": 2}, "s3": {"lr": 3}}, 0)
    assert all(base[s] != changed[s] for s in base)  # stage 1 changed: no later stage may resume
    later = chain_keys({"s1": {"lr": 1}, "s2": {"lr": 2}, "s3": {"lr": 4}}, 0)
    assert later["s1"] == base["s1"] and later["s2"] == base["s2"] and later["s3"] != base["s3"]
    assert chain_keys({"s1": {"lr": 1}}, 1)["s1"] != base["s1"]  # the seed is part of the key


def test_save_is_atomic_and_loads_tensors_only(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    save_checkpoint(path, {"w": torch.arange(3.0)}, {"note": "hi"}, {"mean": torch.ones(2)})
    state, extra = load_checkpoint(path)
    assert torch.equal(state["w"], torch.arange(3.0)) and torch.equal(extra["mean"], torch.ones(2))
    assert checkpoint_metadata(path)["note"] == "hi"
    assert [p.name for p in tmp_path.iterdir()] == ["x.safetensors"]  # no temporary file left behind


def test_a_pickle_is_refused_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "evil.safetensors"
    torch.save({"w": torch.zeros(1)}, path)  # a pickle, not a safetensors file
    with pytest.raises(UserError, match="cannot read checkpoint"):
        load_checkpoint(path)


def test_store_resumes_and_refuses_a_module_that_does_not_fit(tmp_path: Path) -> None:
    store = StageStore(tmp_path)
    net = nn.Linear(2, 2)
    calls = []

    def train() -> dict:
        calls.append(1)
        with torch.no_grad():
            net.weight.fill_(3.0)
        return {"loss": 0.5}

    first = store.run("s1", "k", net, train)
    fresh = nn.Linear(2, 2)
    again = store.run("s1", "k", fresh, lambda: pytest.fail("a saved stage must not train again"))
    assert calls == [1] and not first.resumed and again.resumed and again.record["loss"] == 0.5
    assert torch.equal(fresh.weight, torch.full((2, 2), 3.0))
    assert store.run("s1", "other", nn.Linear(2, 2), lambda: {}).resumed is False  # another key trains
    with pytest.raises(UserError, match="does not fit"):
        store.run("s1", "k", nn.Linear(3, 2), lambda: {})
    assert store.keys("s1") == ["k", "other"]


# ---- two stages on the shared Trainer, interrupted in stage 2, resumed in a fresh process -------------------

SCRIPT = textwrap.dedent('''
    import numpy as np
    import torch
    from torch import nn
    from harness.train import Phase, ShuffledBatches, StepOutput, TensorRows, TrainConfig, Trainer, adamw
    from harness.train.checkpoint import StageStore, chain_keys, stage_seed

    class Boom(RuntimeError):
        pass

    def step(net, x, ctx):
        noise = torch.randn(x.shape) * 0.1  # global torch RNG: seeded per stage, so a resumed stage agrees
        return StepOutput(((net(x + noise) - x.sum(1, keepdim=True)) ** 2).mean())

    def staged(root, fail_in=None):
        torch.set_num_threads(1)
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        x = torch.as_tensor(np.random.default_rng(0).standard_normal((64, 4)), dtype=torch.float32)
        stages = {"pre": {"lr": 0.01}, "fine": {"lr": 0.003}}
        keys = chain_keys(stages, 0)
        store = StageStore(root)
        for name, settings in stages.items():
            def train(name=name, settings=settings):
                if name == fail_in:
                    raise Boom(name)
                seed = stage_seed(0, name)
                with torch.random.fork_rng():
                    torch.manual_seed(seed)
                    phase = Phase(name, TensorRows(x), step, 3, ShuffledBatches(16), adamw(settings["lr"], 0.0))
                    info = Trainer(TrainConfig(precision="fp32"), None, None, seed, device="cpu",
                                   progress=False).run(net, [phase])
                return {"history": info.history}
            store.run(name, keys[name], net, train)
        return torch.cat([p.detach().flatten() for p in net.parameters()])
''')


def _load_script():
    namespace: dict = {}
    exec(compile(SCRIPT, "staged", "exec"), namespace)  # the same code runs here and in the fresh process
    return namespace


def test_interrupted_run_resumes_in_a_new_process_bit_identically(tmp_path: Path) -> None:
    ns = _load_script()
    straight = ns["staged"](tmp_path / "straight")
    with pytest.raises(ns["Boom"]):
        ns["staged"](tmp_path / "resumed", fail_in="fine")
    store = StageStore(tmp_path / "resumed")
    assert store.keys("pre") and not store.keys("fine")  # stage 1 saved, stage 2 not
    out = tmp_path / "out.npy"
    code = SCRIPT + textwrap.dedent(f'''
        import numpy as np
        np.save({str(out)!r}, staged({str(tmp_path / "resumed")!r}).numpy())
    ''')
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    assert np.array_equal(np.load(out), straight.numpy())  # bit-identical to the uninterrupted run
    assert store.keys("fine")

