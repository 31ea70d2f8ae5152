"""``mmrepro report`` (the static results site) and ``mmrepro figure`` (one figure for a paper: PDF/PNG/SVG)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from harness.console import out
from harness.errors import UserError

log = logging.getLogger(__name__)

FIGURE_KINDS = {"task": ("leaderboard", "robustness", "efficiency"), "paper": ("claims",)}


def cmd_report(args: argparse.Namespace) -> int:
    from harness.site.build import build_site

    start = time.perf_counter()
    site = build_site(args.results, args.out or args.results / "site", args.rules, args.as_of, args.jobs)
    if args.screenshots:
        from harness.site.browser import take_screenshots

        for path in take_screenshots(site):
            log.info("screenshot %s", path)
    log.info("built %d pages in %.1f s", len(site.pages), time.perf_counter() - start)
    out(f"site: {(site.out / 'index.html').resolve()}")
    for paper in site.papers:
        out(paper.summary())
    return 0


def _task_figure(args: argparse.Namespace):
    from harness.report.leaderboard import build_leaderboard
    from harness.runs.store import current_records
    from harness.tasks import get_task

    task = get_task(args.task)
    records = current_records(args.results, task)
    if not records:
        raise UserError(f"no finished runs of task {task.name!r} under {args.results}/runs; run it first "
                        f"(`mmrepro run --task {task.name} --model ...`)")
    board = build_leaderboard(task, records, results=args.results)
    if args.kind == "leaderboard":
        from harness.figures.leaderboard import leaderboard_figure

        return leaderboard_figure(board, records)
    if args.kind == "efficiency":
        from harness.figures.efficiency import efficiency_figure

        return efficiency_figure(board)
    from harness.figures.robustness import robustness_figure

    fig = robustness_figure(task, records)
    if fig is None:
        raise UserError(f"no run of task {task.name!r} has robustness scores; rerun its runs with --force")
    return fig


def _paper_figure(args: argparse.Namespace):
    from harness.claims.ledger import Ledger
    from harness.figures.claims import claims_figure
    from harness.papers import REPRODUCTIONS

    ledger = Ledger(args.results)
    verdicts = [ledger.judge(c, args.rules) for c in REPRODUCTIONS.get(args.paper).claims()]
    return claims_figure(verdicts, f"{args.paper}: claimed vs achieved (95% interval), verdict rules {args.rules}")


def cmd_figure(args: argparse.Namespace) -> int:
    from harness.figures.style import FORMATS, save

    if (args.task is None) == (args.paper is None):
        raise UserError("give exactly one of --task T (kinds: leaderboard, robustness, efficiency) or --paper P "
                        "(kind: claims)")
    scope = "task" if args.task else "paper"
    if args.kind not in FIGURE_KINDS[scope]:
        raise UserError(f"--kind {args.kind!r} is not a {scope} figure; choose one of "
                        f"{', '.join(FIGURE_KINDS[scope])}")
    fig = _task_figure(args) if args.task else _paper_figure(args)
    stem = Path(args.out or args.results / "figures") / f"{scope}-{args.task or args.paper}-{args.kind}"
    formats = tuple(args.format) if args.format else FORMATS
    for path in save(fig, stem, formats).values():
        out(str(path))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from harness.claims.verdict import DEFAULT_RULES, RULES

    report = sub.add_parser("report", help="build the static results site (papers, tasks, figures) from records")
    report.add_argument("--out", type=Path, help="site folder (default <results>/site); replaced whole")
    report.add_argument("--rules", choices=list(RULES), default=DEFAULT_RULES, help="verdict rules version")
    report.add_argument("--as-of", help="the footer's 'as of' time (default: the newest run record's finish time)")
    report.add_argument("--screenshots", action="store_true",
                        help="also save screenshots/index.png and one per paper with headless chromium")
    report.set_defaults(fn=cmd_report)

    figure = sub.add_parser("figure", help="one figure as PDF, PNG and SVG (the site's look), for papers")
    figure.add_argument("--task", help="a task: --kind leaderboard | robustness | efficiency")
    figure.add_argument("--paper", help="a reproduction package: --kind claims")
    figure.add_argument("--kind", required=True, choices=sorted({k for kinds in FIGURE_KINDS.values() for k in kinds}))
    figure.add_argument("--out", type=Path, help="folder (default <results>/figures)")
    figure.add_argument("--format", action="append", choices=("svg", "pdf", "png"), help="repeatable; default all")
    figure.add_argument("--rules", choices=list(RULES), default=DEFAULT_RULES, help="verdict rules (claims figure)")
    figure.set_defaults(fn=cmd_figure)
