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
from harness.runs.record import RecordError, RunRecord
from harness.runs.runner import execute
from harness.runs.spec import RunSpec
from harness.runs.store import check_writable, record_path


def _init_worker(folders: list[Path], threads: int) -> None:
    for folder in folders:
        discovery.include(folder)
    import torch

    torch.set_num_threads(threads)


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
            futures = [pool.submit(execute, spec, results, force=force) for spec in specs]
            for future in futures:
                try:
                    records.append(future.result())
                except RecordError as err:
                    unusable.append(err)
                bar.update()
    bar.close()
    if unusable:
        raise UserError(f"{len(unusable)} cached record(s) unusable (the other {len(records)} runs are done "
                        f"and saved): " + "; ".join(map(str, unusable)))
    return records
