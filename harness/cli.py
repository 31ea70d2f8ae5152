"""The ``mmrepro`` command line. User mistakes print one clear message and exit with code 2."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

from harness.console import FORMATS, out, parse_jobs, parse_seeds
from harness.errors import UserError

log = logging.getLogger("harness")

# Each area owns its sub-commands in its own module, exposing ``add_commands(subparsers)``.
COMMAND_MODULES = ("harness.data.commands", "harness.claims.commands", "harness.robustness.commands",
                   "harness.runs.commands", "harness.claims.diff", "harness.site.commands", "harness.export.commands")


def cmd_tasks(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.data.sources import DATASETS
    from harness.data.store import dataset_available
    from harness.tasks import TASKS
    from harness.tasks.registry import schema_problems

    rows = []
    for name in TASKS:
        t = TASKS.get(name)
        state = ("yes" if dataset_available(t.dataset) else "prepare first") if t.dataset in DATASETS \
            else "unknown dataset"  # one bad task file must not hide the others
        state = "; ".join(schema_problems(t)) or state
        rows.append([t.display_name, t.version, t.dataset, t.target_kind, ",".join(t.modalities),
                     t.primary_metric, state])
    out(tabulate(rows, headers=["task", "v", "dataset", "target", "modalities", "primary", "data"]))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.models import MODELS

    # peek: read from the plug-in index, so listing does not import every model's torch code
    rows = [[m, ",".join(MODELS.peek(m, "target_kinds")), MODELS.peek(m, "description")] for m in MODELS.names()]
    out(tabulate(rows, headers=["model", "targets", "description"]))
    return 0


def _write_leaderboards(boards, results: Path) -> None:
    from harness.report.render import render
    from harness.runs.store import write_text_atomic

    folder = results / "leaderboards"
    folder.mkdir(parents=True, exist_ok=True)
    for board in boards:
        for fmt, ext in (("md", "md"), ("latex", "tex"), ("csv", "csv"), ("json", "json")):
            write_text_atomic(folder / f"{board.task.name}.{ext}", render(board, fmt))


def _boards(task_names: list[str], results: Path):
    from harness.report.leaderboard import build_leaderboard
    from harness.runs.store import current_records
    from harness.tasks import get_task

    return [build_leaderboard(get_task(name), current_records(results, get_task(name), with_failed=True),
                              results=results)
            for name in task_names]


def cmd_run(args: argparse.Namespace) -> int:
    from harness.report.render import render
    from harness.runs.runner import plan_runs
    from harness.settings import parse_overrides
    from harness.sweep.execute import execute_all
    from harness.sweep.executor_options import executor_options
    from harness.sweep.torchrun import launch, under_torchrun
    from harness.tasks import get_task

    task = get_task(args.task)
    if args.nproc > 1 and not under_torchrun():  # each rank runs this command again, without --nproc
        return launch(args.argv, args.nproc, args.executor)
    overrides = parse_overrides(args.set)
    specs = [s for model in args.model for seed in args.seeds for s in plan_runs(task, model, seed, overrides)]
    records = execute_all(specs, args.results, force=args.force, progress=not args.quiet,
                          **executor_options(args))
    for record in records:
        state = "cached" if record.cached else record.status
        extra = f" ({record.reason})" if not record.ok else ""
        fold = "" if record.spec.fold is None else f" fold {record.spec.fold}"
        log.info("%s %s/%s seed %s%s: %s%s", record.run_id, record.spec.task, record.spec.model,
                 record.spec.seed, fold, state, extra)
    board = _boards([task.name], args.results)[0]
    out(render(board, args.format))
    _warn_chance_floor(board)
    return 1 if any(not r.ok for r in records) else 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from harness.report.render import render
    from harness.sweep.execute import execute_all
    from harness.sweep.executor_options import executor_options
    from harness.sweep.suite import SUITES, plan_suite
    from harness.tasks import get_task

    suite = SUITES.get(args.suite)
    if args.task and get_task(args.task).name not in suite.tasks:
        return _records_leaderboard(args, suite.name)
    plan = plan_suite(suite, args.seeds, only_task=args.task)
    records = execute_all(plan.specs, args.results, force=args.force, progress=not args.quiet,
                          **executor_options(args))
    boards = _boards(plan.tasks, args.results)
    _write_leaderboards(boards, args.results)
    for board in boards:
        out(render(board, args.format))
        _warn_chance_floor(board)
    for task, hint in plan.unavailable.items():
        out(f"{task}: not run: data unavailable. {hint}")
    cached = sum(r.cached for r in records)
    log.info("%d runs: %d cached, %d run now, %d failed", len(records), cached, len(records) - cached,
             sum(not r.ok for r in records))
    return 1 if any(not r.ok for r in records) else 0


def _records_leaderboard(args: argparse.Namespace, suite: str) -> int:
    """``leaderboard --task T`` for a task the suite does not list: the board of the records present, nothing run."""
    from harness.report.render import render
    from harness.sweep.suite import no_records_error

    board = _boards([args.task], args.results)[0]
    if board.frame.empty and not board.failed:
        raise no_records_error(args.task, args.results)
    log.info("%s is not in suite %r: leaderboard of the records present under %s (nothing run)", args.task,
             suite, args.results / "runs" / args.task)
    _write_leaderboards([board], args.results)
    out(render(board, args.format))
    _warn_chance_floor(board)
    return 0


def _warn_chance_floor(board) -> None:
    from harness.report.floor import chance_floor_warning

    warning = chance_floor_warning(board)
    if warning:
        sys.stderr.write(f"mmrepro: warning: {warning}\n")


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.report.compare import compare_models, format_comparison
    from harness.runs.store import current_records
    from harness.tasks import get_task

    task = get_task(args.task)
    comparison = compare_models(task, current_records(args.results, task), args.a, args.b, args.results)
    out(f"{args.a} - {args.b} on {task.display_name} ({task.splits.report}), metric {task.primary_metric}")
    out(format_comparison(comparison))
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.papers import REPRODUCTIONS
    from harness.sweep.suite import SUITES

    suites = [SUITES.get(name) for name in SUITES.names()]
    suites += [REPRODUCTIONS.get(name).suite() for name in REPRODUCTIONS.names()]
    rows = [[s.name, ",".join(s.tasks), ",".join(s.models), ",".join(map(str, s.seeds)), s.source]
            for s in suites]
    out(tabulate(rows, headers=["suite", "tasks", "models", "seeds", "source"], tablefmt="plain"))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from harness.runs.store import find_record

    path, record = find_record(args.results, args.run_id)
    shown = record.to_dict()
    shown.pop("history")
    spec = record.spec
    summary = [str(path), f"run {record.run_id}: {spec.task} v{spec.task_version} / {spec.model} seed {spec.seed} "
                          f"({record.status})",
               "settings: " + (", ".join(f"{k}={v}" for k, v in sorted(spec.config.items())) or "(none)")]
    out("\n".join(summary + _selected(record)) + "\n" + json.dumps(shown, indent=2, sort_keys=True))
    return 0


def _selected(record) -> list[str]:
    """What was chosen on the selection split: the model's own report (``extras["selected"]``, e.g. the C of the
    linear baselines), else the history entry of the best step (grid value or epoch)."""
    where = f"selected on {record.select_split}"
    chosen = record.extras.get("selected")
    history, best = record.history, record.best_epoch
    entry = history[best] if best is not None and 0 <= best < len(history) else {}
    scores = ", ".join(f"{k} {v:.4g}" for k, v in entry.items() if k.startswith(record.select_split + "_")
                       and isinstance(v, float))
    scored = f" ({scores})" if scores else ""
    if chosen:
        return [f"{where}: " + ", ".join(f"{k}={v}" for k, v in chosen.items()) + scored]
    if "grid_value" in entry:
        return [f"{where}: grid value {entry['grid_value']} (step {best} of {len(history)}){scored}"]
    if best is not None:
        return [f"{where}: epoch {entry.get('epoch', best)} of {len(history)} run{scored}"]
    return [f"{where}: nothing (the model reports no selection)"]


def build_parser() -> argparse.ArgumentParser:
    from harness.sweep.executor_options import add_executor_arguments
    from harness.sweep.torchrun import parse_nproc

    parser = argparse.ArgumentParser(prog="mmrepro", description=__doc__)
    parser.add_argument("--results", type=Path, default=Path("results"), help="results folder (default ./results)")
    parser.add_argument("--include-path", type=Path, action="append", default=[],
                        help="plug-in folder: a paper package, or task/suite TOML and Python files (repeatable)")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("-j", "--jobs", type=parse_jobs, default=1, help="worker processes for runs (default 1)")
    add_executor_arguments(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tasks", help="list tasks").set_defaults(fn=cmd_tasks)
    sub.add_parser("models", help="list models").set_defaults(fn=cmd_models)

    run = sub.add_parser("run", help="run task x model(s) x seeds (cached)")
    run.add_argument("--task", required=True)
    run.add_argument("--model", required=True, action="append", help="repeatable")
    run.add_argument("--seeds", type=parse_seeds, default=(0, 1, 2))
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a model setting")
    run.add_argument("--force", action="store_true", help="rerun even if a finished record exists")
    run.add_argument("--format", choices=FORMATS, default="md")
    run.add_argument("--nproc", type=parse_nproc, default=1,
                     help="train each run with N DDP processes on this machine (torchrun; gloo on CPU, NCCL on GPUs)")
    run.set_defaults(fn=cmd_run)

    board = sub.add_parser("leaderboard", help="run a suite (cached) and print its leaderboards")
    board.add_argument("--suite", default="default", help="suite to run (default: default; see mmrepro suites)")
    board.add_argument("--task", help="one task: the suite's runs of it (cached), or, for a task the suite does "
                                      "not list, the records present")
    board.add_argument("--seeds", type=parse_seeds)
    board.add_argument("--format", choices=FORMATS, default="md")
    board.add_argument("--force", action="store_true")
    board.set_defaults(fn=cmd_leaderboard)

    compare = sub.add_parser("compare", help="paired statistics of model A vs model B on a task")
    compare.add_argument("--task", required=True)
    compare.add_argument("a")
    compare.add_argument("b")
    compare.set_defaults(fn=cmd_compare)

    sub.add_parser("suites", help="list suites: name, tasks, models, seeds, source file").set_defaults(fn=cmd_suites)

    show = sub.add_parser("show", help="print one run record")
    show.add_argument("run_id")
    show.set_defaults(fn=cmd_show)

    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `run --nproc N` starts itself again under torchrun
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        from harness import discovery

        for folder in args.include_path:
            discovery.include(folder)
        return args.fn(args)
    except UserError as err:
        sys.stderr.write(f"mmrepro: error: {err}\n")
        return 2
    except OSError as err:  # a read-only, full or missing folder is the user's to fix, not a traceback
        sys.stderr.write(f"mmrepro: error: {err.strerror or err}: {err.filename or ''}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
