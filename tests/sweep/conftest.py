"""A real Ray head on 127.0.0.1 for the executor tests: 2 CPUs, a 100 MB object store, no dashboard.

Started with ``ray start --head --block`` in its own session and stopped by terminating that process (it drains
and stops every Ray process it started), so the tests never run ``ray stop``, which would stop other users' Ray.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.sweep.ray_executor import _connect

START_TIMEOUT_S = 120  # ray start takes ~8 s on an idle machine; CI cores may be shared


@dataclass(frozen=True)
class RayHead:
    address: str
    pids: Path  # the sleepy-prior test plug-in leaves <seed>-<pid> files here (MMREPRO_TEST_PIDS on the head)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli() -> str:
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.exists() else (shutil.which("ray") or "ray")


@pytest.fixture(scope="session")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'mmrepro[ray]')")
    pids = tmp_path_factory.mktemp("ray-pids")
    temp = Path(tempfile.mkdtemp(prefix="mmr-ray-"))  # short: Ray's socket paths must stay under 108 characters
    port = _free_port()
    # RAY_AUTH_MODE: a token in ~/.ray (left by any local ray.init) would otherwise turn token auth on for this head.
    env = os.environ | {"MMREPRO_TEST_PIDS": str(pids), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
                        "MMREPRO_DATA": str(tmp_path_factory.mktemp("ray-data"))}
    log = temp / "head.log"
    with open(log, "wb") as sink:
        head = subprocess.Popen(
            [_ray_cli(), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
             "--num-cpus", "2", "--num-gpus", "0", "--object-store-memory", str(100 * 10**6),
             "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(temp)],
            stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start failed (exit {head.poll()}):\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        address = f"127.0.0.1:{port}"
        # This process joins the head once, as `mmrepro --ray-address` does, and stays joined: the executor then
        # leaves the connection open, so Ray's worker processes (and their imports) serve every test here.
        assert _connect(address)
        yield RayHead(address, pids)
    finally:
        import ray

        ray.shutdown()
        head.terminate()  # --block: the head drains, then stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)  # our own session only
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)
