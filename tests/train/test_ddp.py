"""DDP on CPU (gloo, 2 processes) trains ``fusion-token`` to the same model as one process.

The Trainer shards each global batch across ranks and divides the loss by the global batch size, so the
averaged gradient equals the single-process gradient; with dropout off the two runs differ only by
floating-point summation order.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from harness.models import get_model
from harness.seeding import seed_everything
from tests.train.tiny import tiny_config, tiny_msa

WORLD = 2


def _train() -> tuple[np.ndarray, dict]:
    task, data = tiny_msa()
    seed_everything(0)
    model = get_model("fusion-token").build(task, data, tiny_config("fusion-token"), 0)
    model.fit(data.split("train"), data.split("valid"))
    return model.predict(data.split("test")), {"best_epoch": model.info.best_epoch,
                                               "world_size": model.info.extras["world_size"],
                                               "losses": [h["train_loss"] for h in model.info.history]}


def _worker(rank: int, port: int, out: str) -> None:
    os.environ |= {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "LOCAL_RANK": str(rank)}
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        outputs, info = _train()
        np.save(Path(out) / f"rank{rank}.npy", outputs)
        (Path(out) / f"rank{rank}.json").write_text(json.dumps(info))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_match_single_process(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    single, single_info = _train()
    ranks = [np.load(tmp_path / f"rank{r}.npy") for r in range(WORLD)]
    infos = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]
    np.testing.assert_array_equal(ranks[0], ranks[1])  # DDP keeps the replicas identical
    assert infos[0]["world_size"] == WORLD and single_info["world_size"] == 1
    assert infos[0]["best_epoch"] == single_info["best_epoch"]
    np.testing.assert_allclose(infos[0]["losses"], single_info["losses"], rtol=1e-4)
    np.testing.assert_allclose(ranks[0], single, rtol=1e-4, atol=1e-4)
