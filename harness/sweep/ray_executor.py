"""Run a sweep's runs as Ray tasks: any machine of the cluster computes, the driver alone reads the cache and
writes records.

One Ray task computes the runs of one (task, model, seed), in one process, so settings variants share what
the process memoises for that seed (see :func:`groups`). A worker receives the RunSpecs and the user's
``--include-path`` folders as values (zipped once and put in the object store), so it needs no shared
filesystem, only the installed package (whose entry points it loads as any process does) and the prepared data
of the runs' dataset, whose fingerprint it checks against the specs. It returns one
:class:`~harness.runs.runner.RunOutcome` (record + per-item predictions) per run; the driver writes them
atomically as each task finishes, so the local executor's cache rules hold: a finished run is never
recomputed, a task whose worker died is retried by Ray, and a run that cannot be finished leaves no record, so
the next invocation runs it again.

``ray`` is imported inside the functions: it is an optional extra (``pip install 'mmrepro[ray]'``).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import UserError

if TYPE_CHECKING:
    from harness.runs.record import RunRecord
    from harness.runs.runner import RunOutcome
    from harness.runs.spec import RunSpec

RETRIES = 3  # attempts after a worker or node dies mid-run; a run's own exception is a failed record, not retried
EXTRA = "pip install 'mmrepro[ray]'"


def require_ray() -> None:
    """Refuse ``--executor ray`` up front, naming the extra, when Ray is not installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise UserError(f"--executor ray needs Ray, which is not installed: {EXTRA}")


def resources(spec: RunSpec, override: dict[str, float] | None = None) -> dict[str, float]:
    """Ray task options for one run: one CPU (runs train on one thread, see ``harness.train.device.one_thread``),
    one GPU when the run was planned on CUDA; ``override`` (``--ray-resources``) replaces any of them."""
    return {"num_cpus": 1.0, "num_gpus": 1.0 if spec.device_class == "cuda" else 0.0} | (override or {})


def pack_folder(folder: Path) -> bytes:
    """A plug-in folder as zip bytes (Python caches and hidden files left out), to travel to the workers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if path.is_file() and "__pycache__" not in parts and not any(p.startswith(".") for p in parts):
                archive.write(path, Path(*parts).as_posix())
    return buffer.getvalue()


def unpack_folder(name: str, blob: bytes) -> Path:
    """Extract a packed plug-in folder once per machine, under its own name (a paper's name is its folder's);
    the content hash in the path keeps two versions of one plug-in apart."""
    base = Path(tempfile.gettempdir()) / "mmrepro-plugins" / hashlib.sha256(blob).hexdigest()[:16]
    target = base / name
    if not target.is_dir():
        base.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=base))
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            archive.extractall(staging)
        try:
            os.replace(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.is_dir():  # else another worker won the race, and its copy is the same
                raise
    return target


def run_remote(specs: list[RunSpec], plugins: list[tuple[str, bytes]], threads: int) -> list[RunOutcome]:
    """The Ray task: include the plug-ins, check the data is the runs', compute them in order and return them."""
    import torch
    from threadpoolctl import threadpool_limits

    from harness import discovery
    from harness.data.store import dataset_available
    from harness.runs.runner import compute
    from harness.runs.store import data_fingerprint
    from harness.tasks.registry import get_task

    for name, blob in plugins:
        discovery.include(unpack_folder(name, blob))
    node = os.uname().nodename
    for spec in specs:
        dataset = get_task(spec.task).dataset
        if not dataset_available(dataset):
            raise UserError(f"dataset {dataset!r} is not prepared on Ray node {node}: prepare it there (or set "
                            "MMREPRO_DATA to a folder every node shares)")
        if data_fingerprint(dataset) != spec.data_fingerprint:
            raise UserError(f"dataset {dataset!r} on Ray node {node} is not the data the run was planned on "
                            f"(fingerprint {data_fingerprint(dataset)} vs {spec.data_fingerprint}): prepare it "
                            "from the same source")
    torch.set_num_threads(threads)
    threadpool_limits(threads)  # BLAS too, as the local workers do (harness.sweep.execute)
    return [compute(spec) for spec in specs]


def groups(specs: list[RunSpec], indices: list[int]) -> list[list[int]]:
    """``indices`` grouped by (task, model, seed): runs that differ only in settings share one task, hence one
    process and whatever it memoises for that seed (E-SSL's pre-trained encoder); seeds spread over the cluster."""
    found: dict[tuple[str, str, int], list[int]] = {}
    for i in indices:
        found.setdefault((specs[i].task, specs[i].model, specs[i].seed), []).append(i)
    return list(found.values())


def _connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (else $RAY_ADDRESS, else start a local instance); True if we joined."""
    import ray

    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as err:
        raise UserError(f"cannot reach a Ray cluster at {address or '$RAY_ADDRESS'}: {err} (is it running? if "
                        "its `ray start` said token authentication is enabled, export RAY_AUTH_MODE=token)") from None
    return True


def _why_lost(err: Exception) -> str:
    cause = getattr(err, "cause", None)
    return str(cause) if isinstance(cause, UserError) else f"{type(err).__name__}: {str(err).splitlines()[0]}"


def run_on_ray(specs: list[RunSpec], results: Path, *, force: bool, address: str | None,
               override: dict[str, float] | None, folders: list[Path],
               done: Callable[[RunSpec], None]) -> tuple[list[RunRecord], list[str]]:
    """Records of ``specs`` in their order (cached ones read here, the rest computed on the cluster and written
    here as they finish), and one line per unusable cached record or lost run; ``done`` ticks per run."""
    import ray

    from harness.runs.record import RecordError
    from harness.runs.runner import cached_record
    from harness.runs.store import record_path, write_record

    found: dict[int, RunRecord] = {}
    problems: list[str] = []
    todo = []
    for index, spec in enumerate(specs):
        try:
            cached = cached_record(spec, results, force=force)
        except RecordError as err:
            problems.append(str(err))
            done(spec)
            continue
        if cached is not None:
            found[index] = cached
            done(spec)
        else:
            todo.append(index)
    if todo:
        joined = _connect(address)
        try:
            plugins = ray.put([(folder.name, pack_folder(folder)) for folder in folders])
            task = ray.remote(run_remote)
            pending = {}
            for group in groups(specs, todo):
                options = {key: max(resources(specs[i], override)[key] for i in group)
                           for key in resources(specs[group[0]], override)}
                threads = max(1, int(options["num_cpus"]))
                ref = task.options(max_retries=RETRIES, retry_exceptions=False, **options).remote(
                    [specs[i] for i in group], plugins, threads)
                pending[ref] = group
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                group = pending.pop(ready[0])
                try:
                    outcomes: list[RunOutcome] = ray.get(ready[0])
                except ray.exceptions.RayError as err:  # retries spent, or refused on its node: no record
                    problems += [f"run {specs[i].run_id} ({specs[i].task}/{specs[i].model} seed {specs[i].seed}) "
                                 f"not done: {_why_lost(err)}" for i in group]
                else:
                    for i, outcome in zip(group, outcomes, strict=True):
                        write_record(record_path(results, specs[i]), outcome.record, outcome.predictions)
                        found[i] = outcome.record
                for i in group:
                    done(specs[i])
        finally:
            if joined:
                ray.shutdown()
    return [found[i] for i in sorted(found)], problems

