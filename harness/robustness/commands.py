"""``mmrepro robustness``: run (or reuse) a suite's runs of one task and write its robustness table."""

from __future__ import annotations

import argparse
import sys

from harness.console import parse_seeds
from harness.errors import UserError


def cmd_robustness(args: argparse.Namespace) -> int:
    from harness.robustness.report import render_markdown
    from harness.runs.store import current_records, write_text_atomic
    from harness.sweep.execute import execute_all
    from harness.sweep.executor_options import executor_options
    from harness.sweep.suite import SUITES, no_records_error, plan_suite
    from harness.tasks import get_task

    task = get_task(args.task)
    suite = SUITES.get(args.suite)
    if task.name in suite.tasks:  # the suite's runs of the task (cached)
        plan = plan_suite(suite, args.seeds, only_task=task.name)
        if task.name in plan.unavailable:
            raise UserError(f"{task.name}: data unavailable. {plan.unavailable[task.name]}")
        execute_all(plan.specs, args.results, force=args.force, progress=not args.quiet,
                    **executor_options(args))
        wanted = {s.run_id for s in plan.specs}
        records = [r for r in current_records(args.results, task) if r.run_id in wanted]
    else:  # a task the suite does not list: the records present, nothing run
        records = current_records(args.results, task)
        if not records:
            raise no_records_error(task.name, args.results)
    text = render_markdown(task, records)
    out = args.results / "robustness" / f"{task.name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, text)
    sys.stdout.write(text + f"\nwritten to {out}\n")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:

    parser = sub.add_parser("robustness", help="modality-removal and noise robustness table of a task's runs")
    parser.add_argument("--task", required=True)
    parser.add_argument("--suite", default="default", help="which suite's runs to score (default: default); a task "
                        "the suite does not list is scored from the records present")
    parser.add_argument("--seeds", type=parse_seeds)
    parser.add_argument("--force", action="store_true", help="rerun even if finished records exist")
    parser.set_defaults(fn=cmd_robustness)
