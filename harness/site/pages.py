"""HTML pages from jinja2 templates (``harness/site/templates``, shipped as package data).

Table cells come from the same display frames as the Markdown/LaTeX reports (``harness.claims.table``,
``harness.report.render``), so the site cannot show a number the reports do not.
"""

from __future__ import annotations

from typing import Any

from harness.claims.ledger import Ledger
from harness.figures.style import VERDICT_COLOURS, short_outcome, verdict_family
from harness.report.table import mean_std
from harness.runs.record import RunRecord
from harness.site.collect import PaperResult, TaskResult, label_of
from harness.site.figures import SiteFigure
from harness.site.provenance import Footer


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("harness.site", "templates"),
                             autoescape=jinja2.select_autoescape(("html", "j2")), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["family"] = verdict_family
    env.filters["short"] = short_outcome
    env.globals["colours"] = VERDICT_COLOURS
    return env


def _frame_rows(frame: Any) -> tuple[list[str], list[list[str]]]:
    return [str(c) for c in frame.columns], [[str(x) for x in row] for row in frame.itertuples(index=False)]


def _leader(result: TaskResult) -> dict[str, str] | None:
    frame = result.board.frame
    if frame.empty:
        return None
    top, metric = frame.iloc[0], result.task.primary_metric
    return {"model": str(top["model"]), "value": mean_std(top[f"{metric}.mean"], top[f"{metric}.std"]),
            "n": str(top["n"])}


class Pages:
    """Renders the three kinds of page with one footer and one set of verdict rules."""

    def __init__(self, footer: Footer, rules: str) -> None:
        self.env = _environment()
        self.footer = footer
        self.rules = rules

    def _render(self, template: str, root: str, **context: Any) -> str:
        return self.env.get_template(template).render(root=root, footer=self.footer, rules=self.rules, **context)

    def index(self, papers: list[PaperResult], tasks: list[TaskResult]) -> str:
        rows = [{"result": t, "leader": _leader(t), "models": len(t.board.frame),
                 "failed": sum(not r.ok for r in t.records)} for t in tasks]
        return self._render("index.html.j2", "", papers=papers, tasks=rows)

    def paper(self, paper: PaperResult, figure: SiteFigure | None, runs: dict[str, list[tuple[str, RunRecord, str]]],
              ledger: Ledger, task_pages: set[str], report: str | None) -> str:
        from harness.claims.table import display_frame

        headers, rows = _frame_rows(display_frame(paper.verdicts, ledger)) if paper.verdicts else ([], [])
        verdict_column = headers.index("verdict") if headers else -1
        return self._render("paper.html.j2", "../", paper=paper, figure=figure, headers=headers, rows=rows,
                            verdict_column=verdict_column, runs=runs, task_pages=task_pages, report=report,
                            label_of=label_of)

    def task(self, result: TaskResult, figures: list[SiteFigure], links: dict[str, str]) -> str:
        from harness.report.render import display_frame

        board = result.board
        headers, rows = _frame_rows(display_frame(board)) if not board.frame.empty else ([], [])
        split, metric = result.task.splits.report, result.task.primary_metric
        runs = [{"record": r, "link": links[r.run_id],
                 "value": f"{r.metrics[split][metric]:.4f}" if r.ok and metric in r.metrics.get(split, {}) else "–"}
                for r in sorted(result.records, key=lambda r: (r.spec.model_label, r.spec.seed, r.run_id))]
        return self._render("task.html.j2", "../", result=result, board=board, headers=headers, rows=rows,
                            figures=figures, runs=runs)
