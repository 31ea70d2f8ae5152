"""``mmrepro export --to mlflow --tracking-uri DIR``: every run record into an experiment tracker."""

from __future__ import annotations

import argparse

from harness.console import out


def cmd_export(args: argparse.Namespace) -> int:
    from harness.export.mlflow_store import export_records
    from harness.names import check_name
    from harness.runs.store import iter_records

    if args.task:
        check_name("task", args.task, "--task")
    result = export_records(iter_records(args.results, args.task), args.tracking_uri, args.experiment)
    out(f"exported {result.written} runs to {args.tracking_uri} ({result.skipped} already there"
        + (f", {result.replaced} incomplete runs of an interrupted export rewritten" if result.replaced else "")
        + f"); experiments: {', '.join(result.experiments) or 'none'}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="write every run record to an experiment tracker (MLflow), idempotently")
    parser.add_argument("--to", required=True, choices=("mlflow",), help="tracker (needs the mlflow extra)")
    parser.add_argument("--tracking-uri", required=True,
                        help="a folder (an MLflow file store) or any MLflow tracking URI (sqlite:///..., http://...)")
    parser.add_argument("--experiment", default="mmrepro", help="experiment name prefix: <prefix>/<task>")
    parser.add_argument("--task", help="only this task's records")
    parser.set_defaults(fn=cmd_export)
