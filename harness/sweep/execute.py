"""Run a list of RunSpecs, serially, in worker processes or on a Ray cluster, with a progress bar.

Cached runs cost one file read. With ``jobs > 1`` each worker is a fresh (spawned) process that
re-registers the user's ``--include-path`` folders and gets ``cpu_count // jobs`` torch threads, so
workers do not oversubscribe the cores. CPU results are reproducible for a given thread count.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

from harness import discovery
from harness.errors import UserError
from harness.models import get_model
from harness.runs.record import RecordError, RunRecord
from harness.runs.runner import execute
from harness.runs.spec import RunSpec
from harness.runs.store import check_writable, record_path


def _init_worker(folders: list[Path], threads: int) -> None:
    for folder in folders:
        discovery.include(folder)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    # NumPy/SciPy's BLAS too (scikit-learn's solvers): left at its default, every worker's BLAS spins one
    # thread per core and the workers fight over the cores (most of a cold suite's time on 2 cores).
    threadpool_limits(threads)


def _execute_group(specs: list[RunSpec], results: Path, force: bool) -> list[RunRecord | RecordError]:
    """Run one group (see :func:`_groups`) in one worker: its runs share the loaded data and any seed-free fit."""
    out: list[RunRecord | RecordError] = []
    for spec in specs:
        try:
            out.append(execute(spec, results, force=force))
        except RecordError as err:
            out.append(err)
    return out


def _groups(specs: list[RunSpec]) -> list[list[int]]:
    """Indices of ``specs`` grouped by task and model config class, in first-appearance order: a model's seeds,
    and models built on one config (linear-early/-late), whose fits a worker can reuse (bit-identical)."""
    groups: dict[tuple[str, type], list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault((spec.task, get_model(spec.model).config_cls), []).append(i)
    return list(groups.values())


def _pending(specs: list[RunSpec], results: Path, force: bool) -> bool:
    return force or any(not record_path(results, s).exists() for s in specs)


def execute_all(specs: list[RunSpec], results: Path, *, force: bool = False, progress: bool = True,
                jobs: int = 1, executor: str = "local", ray_address: str | None = None,
                ray_resources: dict[str, float] | None = None) -> list[RunRecord]:
    """Records of ``specs`` in their order, computing the ones not cached: serially, in ``jobs`` local worker
    processes, or as Ray tasks (``executor="ray"``, see :mod:`harness.sweep.ray_executor`)."""
    if executor == "ray":
        from harness.sweep.ray_executor import require_ray

        require_ray()  # before anything runs, even when all is cached: the flag is refused the same way
    if specs and _pending(specs, results, force):  # all cached: a read-only results folder is fine
        check_writable(results)
    bar = tqdm(total=len(specs), desc="runs", unit="run", disable=not progress or len(specs) < 2)
    records: list[RunRecord] = []
    unusable: list[RecordError] = []  # one bad cached record must not stop the other runs
    if executor == "ray":
        from harness.sweep.ray_executor import run_on_ray

        records, problems = run_on_ray(specs, results, force=force, address=ray_address, override=ray_resources,
                                       folders=discovery.user_folders(), done=lambda _: bar.update())
        bar.close()
        if problems:
            raise UserError(f"{len(problems)} run(s) not done (the other {len(records)} are done and saved; "
                            "rerun to retry them): " + "; ".join(problems))
        return records
    if jobs <= 1 or not _pending(specs, results, force):
        for spec in specs:
            bar.set_postfix_str(f"{spec.task}/{spec.model}/s{spec.seed}")
            try:
                records.append(execute(spec, results, force=force))
            except RecordError as err:
                unusable.append(err)
            bar.update()
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(discovery.user_folders(), threads)) as pool:
            groups = _groups(specs)
            futures = [pool.submit(_execute_group, [specs[i] for i in group], results, force) for group in groups]
            done: dict[int, RunRecord | RecordError] = {}
            for group, future in zip(groups, futures, strict=True):
                done |= dict(zip(group, future.result(), strict=True))
                bar.update(len(group))
            for i in range(len(specs)):  # records in the order of specs
                (unusable if isinstance(done[i], RecordError) else records).append(done[i])
    bar.close()
    if unusable:
        raise UserError(f"{len(unusable)} cached record(s) unusable (the other {len(records)} runs are done "
                        f"and saved): " + "; ".join(map(str, unusable)))
    return records
