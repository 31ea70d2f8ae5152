"""``mmrepro records migrate`` / ``records predictions``: bring stored run records to the current schema, and
give old records their per-item predictions file."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.console import out


def cmd_migrate(args: argparse.Namespace) -> int:
    from harness.runs.migrate import migrate_results

    results = args.migrate_results or args.results
    report = migrate_results(results, dry_run=args.dry_run)
    out(("dry run: " if args.dry_run else "") + f"{results}/runs: " + report.summary())
    return 1 if report.refused else 0


def cmd_predictions(args: argparse.Namespace) -> int:
    from harness.runs.backfill import backfill_predictions

    results = args.predictions_results or args.results
    report = backfill_predictions(results, dry_run=args.dry_run)
    out(("dry run: " if args.dry_run else "") + f"{results}/runs: " + report.summary())
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    records = sub.add_parser("records", help="maintain stored run records")
    actions = records.add_subparsers(dest="records_command", required=True)
    migrate = actions.add_parser("migrate", help="rewrite schema-1 run records as schema 2 under their new run ids "
                                                 "(idempotent; refusals are listed and left untouched)")
    migrate.add_argument("--results", dest="migrate_results", type=Path,
                         help="results folder (default: the global --results, ./results)")
    migrate.add_argument("--dry-run", action="store_true", help="check every record, write nothing")
    migrate.set_defaults(fn=cmd_migrate)
    predictions = actions.add_parser(
        "predictions", help="give records written before per-item predictions were named their <run_id>.pred.npz, "
                            "converted from the old <run_id>.npz (no retraining; groups from the current data)")
    predictions.add_argument("--results", dest="predictions_results", type=Path,
                             help="results folder (default: the global --results, ./results)")
    predictions.add_argument("--dry-run", action="store_true", help="check every record, write nothing")
    predictions.set_defaults(fn=cmd_predictions)
