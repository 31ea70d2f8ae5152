"""``mmrepro reproduce PAPER`` and ``mmrepro claims``: run a paper's suite, then judge its claims from records."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from harness.console import out, parse_seeds
from harness.errors import UserError

log = logging.getLogger(__name__)


def write_tables(name: str, markdown: str, verdicts, ledger, results: Path) -> list[Path]:
    """``<results>/reproductions/<name>.{md,tex,csv,json}``."""
    from harness.claims.table import render_claims
    from harness.runs.store import write_text_atomic

    folder = Path(results) / "reproductions"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {"md": markdown, "tex": render_claims(verdicts, ledger, "latex"),
              "csv": render_claims(verdicts, ledger, "csv"), "json": render_claims(verdicts, ledger, "json")}
    for ext, text in tables.items():
        path = folder / f"{name}.{ext}"
        write_text_atomic(path, text)
        written.append(path)
    return written


def cmd_reproduce(args: argparse.Namespace) -> int:
    from harness.claims.document import paper_markdown
    from harness.claims.ledger import Ledger
    from harness.papers import REPRODUCTIONS
    from harness.sweep.execute import execute_all
    from harness.sweep.executor_options import executor_options
    from harness.sweep.suite import plan_suite

    reproduction = REPRODUCTIONS.get(args.paper)
    claims = reproduction.claims()
    suite = reproduction.suite()
    plan = plan_suite(suite, args.seeds)
    records = execute_all(plan.specs, args.results, force=args.force, progress=not args.quiet,
                          **executor_options(args))
    for task, hint in plan.unavailable.items():
        log.info("%s: not run: data unavailable. %s", task, hint)
    ledger = Ledger(args.results)
    verdicts = [ledger.judge(c, args.rules) for c in claims]
    markdown = paper_markdown(claims, verdicts, ledger, {s.run_id for s in plan.specs},
                              reproduction.readme_ref)
    summary = reproduction.summary(verdicts, ledger)
    markdown += f"\n{summary}" if summary else ""
    for path in write_tables(reproduction.name, markdown, verdicts, ledger, args.results):
        log.info("wrote %s", path)
    out(markdown)
    failed = [r for r in records if not r.ok]
    cached = sum(r.cached for r in records)
    log.info("%d runs: %d cached, %d run now, %d failed", len(records), cached, len(records) - cached, len(failed))
    return 1 if failed else 0


def cmd_claims(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.claims.ledger import Ledger
    from harness.claims.table import display_frame, rules_versions
    from harness.claims.verdict import OUTCOMES
    from harness.papers import REPRODUCTIONS

    if args.verdict and not any(o.startswith(args.verdict) for o in OUTCOMES):
        raise UserError(f"--verdict {args.verdict!r} matches no outcome; outcomes: {'; '.join(OUTCOMES)}")
    papers = [args.paper] if args.paper else REPRODUCTIONS.names()
    ledger = Ledger(args.results)
    frames, judged = [], []
    for name in papers:
        verdicts = [ledger.judge(c, args.rules) for c in REPRODUCTIONS.get(name).claims()]
        if args.verdict:
            verdicts = [v for v in verdicts if v.outcome.startswith(args.verdict)]
        judged += verdicts
        if verdicts:
            frame = display_frame(verdicts, ledger).drop(columns=["arms (floor)"])
            frame.insert(0, "paper", name)
            frames.append(frame)
    if not frames:
        out("no claims match")
        return 0
    import pandas as pd

    out(tabulate(pd.concat(frames), headers="keys", tablefmt="github", showindex=False, disable_numparse=True))
    out(f"\nVerdict rules {rules_versions(judged)} (harness/claims/verdict.py).")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from harness.claims.verdict import DEFAULT_RULES, RULES

    rules_help = f"verdict rules version (default {DEFAULT_RULES}; see harness/claims/verdict.py)"
    reproduce = sub.add_parser("reproduce", help="run a paper's reproduction suite (cached) and judge its claims")
    reproduce.add_argument("paper", help="reproduction package name, e.g. essl")
    reproduce.add_argument("--seeds", type=parse_seeds, help="override the suite's seeds, e.g. 0,1,2,3,4")
    reproduce.add_argument("--force", action="store_true", help="rerun even if finished records exist")
    reproduce.add_argument("--rules", choices=list(RULES), default=DEFAULT_RULES, help=rules_help)
    reproduce.set_defaults(fn=cmd_reproduce)

    claims = sub.add_parser("claims", help="list every claim of every paper with its current verdict")
    claims.add_argument("--paper", help="only this reproduction package")
    claims.add_argument("--verdict", help="only claims whose verdict starts with this, e.g. 'supported', 'not run'")
    claims.add_argument("--rules", choices=list(RULES), default=DEFAULT_RULES, help=rules_help)
    claims.set_defaults(fn=cmd_claims)
