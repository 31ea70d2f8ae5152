"""``mmrepro report``: build the static site from run records and claims.

Layout: ``index.html``, ``papers/<paper>.html``, ``tasks/<task>.html``, ``figures/<name>.{pdf,png}`` (the SVG of
each figure is inside its page), and optionally ``screenshots/``. The site is built in a temporary folder beside
``out`` and swapped in whole, so a reader never sees half a site and no page of a removed task lingers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.claims.ledger import Ledger
from harness.claims.verdict import DEFAULT_RULES
from harness.errors import UserError
from harness.runs.record import RunRecord
from harness.runs.store import record_path, write_text_atomic
from harness.site.collect import PaperResult, TaskResult, collect_papers, collect_tasks
from harness.site.figures import SiteFigure, place
from harness.site.provenance import footer

log = logging.getLogger(__name__)


@dataclass
class Site:
    """What was built: the folder, its pages and the papers (for the verdict summary)."""

    out: Path
    papers: list[PaperResult]
    tasks: list[TaskResult]
    pages: list[Path] = field(default_factory=list)


def _link(target: Path, page_dir: Path) -> str:
    """A relative URL from a page's folder (works from file:// and any static host)."""
    return Path(os.path.relpath(Path(target).resolve(), page_dir.resolve())).as_posix()


def paper_figure(paper: PaperResult, folder: Path) -> SiteFigure:
    from harness.figures.claims import claims_figure

    title = f"{paper.name}: claimed vs achieved (95% interval), verdict rules v{paper.verdicts[0].rules_version}"
    return place(claims_figure(paper.verdicts, title), f"paper-{paper.name}-claims", title, folder)


def task_figures(result: TaskResult, folder: Path) -> list[SiteFigure]:
    from harness.figures.efficiency import efficiency_figure
    from harness.figures.leaderboard import leaderboard_figure
    from harness.figures.robustness import robustness_figure

    name, figures = result.task.name, []
    if result.board.frame.empty:
        return figures
    figures.append(place(leaderboard_figure(result.board, result.ok_records), f"task-{name}-leaderboard",
                         f"{name}: leaderboard, mean with 95% interval and every seed", folder))
    figures.append(place(efficiency_figure(result.board), f"task-{name}-efficiency",
                         f"{name}: primary metric against parameters and training time", folder))
    robust = robustness_figure(result.task, result.ok_records)
    if robust is not None:
        figures.append(place(robust, f"task-{name}-robustness",
                             f"{name}: robustness to noise and to a removed modality", folder))
    return figures


def _records_shown(tasks: list[TaskResult]) -> list[RunRecord]:
    return [r for t in tasks for r in t.records]


_WORK: list[tuple[str, PaperResult | TaskResult, Path]] = []  # set before forking: workers get an index, not a copy


def _figure_job(job: tuple[str, PaperResult | TaskResult, Path] | int) -> list[SiteFigure]:
    kind, item, folder = _WORK[job] if isinstance(job, int) else job
    if kind == "paper":
        assert isinstance(item, PaperResult)
        return [paper_figure(item, folder)] if item.verdicts else []
    assert isinstance(item, TaskResult)
    return task_figures(item, folder)


def draw_figures(papers: list[PaperResult], tasks: list[TaskResult], folder: Path,
                 jobs: int = 1) -> dict[tuple[str, str], list[SiteFigure]]:
    """Every page's figures, keyed by ("paper" | "task", name); with ``jobs`` > 1 drawn in forked worker
    processes, largest first (drawing is nearly all of the build's time; each figure's bytes do not depend on
    which process drew it)."""
    work = [("paper", p.name, len(p.verdicts), ("paper", p, folder)) for p in papers]
    work += [("task", t.task.name, len(t.records), ("task", t, folder)) for t in tasks]
    work.sort(key=lambda w: -w[2])
    if jobs <= 1:
        drawn = [_figure_job(w[3]) for w in work]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _WORK[:] = [w[3] for w in work]  # inherited by the forked workers: the records are not pickled per job
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                drawn = list(pool.map(_figure_job, range(len(work))))
        finally:
            _WORK.clear()
    return {(kind, name): figures for (kind, name, _, _), figures in zip(work, drawn, strict=True)}


def build_site(results: Path, out: Path, rules: str = DEFAULT_RULES, as_of: str | None = None,
               jobs: int = 1) -> Site:
    """Build the whole site into ``out`` (replaced); same records and claims give the same bytes."""
    from harness.site.pages import Pages

    results, out = Path(results), Path(out)
    check_replaceable(out)
    ledger = Ledger(results)
    papers, tasks = collect_papers(ledger, rules), collect_tasks(results)
    site = Site(out, papers, tasks)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        figures_dir = tmp / "figures"
        figures_dir.mkdir()
        figures = draw_figures(papers, tasks, figures_dir, jobs)
        pages = Pages(footer(_records_shown(tasks), as_of), rules)
        task_pages = {t.task.name for t in tasks}
        reports = results / "reproductions"

        def write(relative: str, html: str) -> None:
            write_text_atomic(tmp / relative, html)
            site.pages.append(out / relative)

        write("index.html", pages.index(papers, tasks))
        for paper in papers:
            page_dir = out / "papers"
            figure = next(iter(figures[("paper", paper.name)]), None)
            runs = {key: [(arm, r, _link(record_path(results, r.spec), page_dir)) for arm, r in found]
                    for key, found in paper.runs.items()}
            report = reports / f"{paper.name}.md"
            write(f"papers/{paper.name}.html",
                  pages.paper(paper, figure, runs, ledger, task_pages,
                              _link(report, page_dir) if report.is_file() else None))
        for result in tasks:
            page_dir = out / "tasks"
            links = {r.run_id: _link(record_path(results, r.spec), page_dir) for r in result.records}
            write(f"tasks/{result.task.name}.html", pages.task(result, figures[("task", result.task.name)], links))
        write_text_atomic(tmp / MARKER, "A site written by `mmrepro report`, which replaces this folder whole.\n")
        _keep_screenshots(out, tmp)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return site


MARKER = ".mmrepro-site"


def _keep_screenshots(old: Path, new: Path) -> None:
    """Carry the old site's screenshots into the new one only while every page they show is byte-identical; a
    screenshot of a page that changed would misreport the site, so it is dropped (``--screenshots`` retakes them)."""
    from harness.site.browser import SHOTS_MANIFEST, page_hashes

    manifest = old / "screenshots" / SHOTS_MANIFEST
    if not manifest.is_file():
        return
    taken = json.loads(manifest.read_text())
    if all((new / page).is_file() for page in taken) and page_hashes(new, list(taken)) == taken:
        shutil.copytree(old / "screenshots", new / "screenshots")
    else:
        log.info("screenshots left out: pages changed since they were taken (rerun with --screenshots)")


def check_replaceable(out: Path) -> None:
    """The site folder is replaced whole, so it must be new, empty, or a site this command wrote (its marker file):
    ``--out ~`` must not delete a home folder."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise UserError(f"--out {out}: not a site written by mmrepro report (no {MARKER}), and the site folder is "
                        "replaced whole; give a new or empty folder")


def _swap(new: Path, out: Path) -> None:
    """Replace ``out`` by ``new``: the old site is set aside first and removed only once the new one is in place."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, old / out.name)
    for folder, _, files in os.walk(new):  # mkdtemp and atomic writes make them private; a site is for reading
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old)
