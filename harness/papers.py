"""Paper packages (reproductions): a folder with ``claims.toml`` and ``suite.toml``, found by discovery.

Adding a paper means adding a folder (``claims.toml``, ``suite.toml``, ``model.py``, recipe, ``README.md``)
under ``reproductions/`` or in any folder given with ``--include-path``; nothing central is edited.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import discovery
from harness.claims.claim import Claim, load_claims
from harness.errors import UserError
from harness.names import check_name
from harness.registry import Registry
from harness.settings import as_settings
from harness.sweep.suite import Suite, load_suite_file
from harness.tasks.registry import get_task


@dataclass(frozen=True)
class Reproduction:
    """A reproduction package on disk: its claims, the suite that produces its runs, and its README."""

    name: str
    folder: Path

    @property
    def claims_path(self) -> Path:
        return self.folder / "claims.toml"

    @property
    def suite_path(self) -> Path:
        return self.folder / "suite.toml"

    @property
    def readme_path(self) -> Path:
        return self.folder / "README.md"

    @property
    def readme_ref(self) -> str:
        """The README as tables cite it: ``<parent folder>/<paper>/README.md`` (machine-independent)."""
        return f"{self.folder.parent.name}/{self.name}/README.md"

    def claims(self) -> list[Claim]:
        """The paper's claims; a claim on a task must name one of that task's metrics."""
        claims = load_claims(self.claims_path)
        for claim in claims:
            if claim.task is None:
                continue
            try:
                task = get_task(claim.task)
            except UserError as err:
                raise UserError(f"{self.claims_path}: claim {claim.key!r}: {err}") from None
            if claim.metric not in task.metrics:
                raise UserError(f"{self.claims_path}: claim {claim.key!r}: metric {claim.metric!r} is not a metric "
                                f"of task {task.name!r} (its metrics: {', '.join(task.metrics)})")
        return claims

    def smoke_overrides(self) -> dict[str, str]:
        """Settings that make every run of the suite tiny (``[smoke] set = {...}`` in suite.toml), for tests."""
        return as_settings(tomllib.loads(self.suite_path.read_text()).get("smoke", {}).get("set", {}))

    def summary(self, verdicts: list, ledger: Any) -> str:
        """The package's own closing report section (e.g. claims combined across tasks): ``summarize(verdicts,
        ledger) -> str`` in its ``summary.py``, loaded only when a report is written; '' when it has none."""
        path = self.folder / "summary.py"
        if not path.is_file():
            return ""
        spec = importlib.util.spec_from_file_location(f"_mmrepro_summary_{self.name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.summarize(verdicts, ledger)

    def suite(self) -> Suite:
        """The package's ``suite.toml``, named ``reproduce-<name>``."""
        return dataclasses.replace(load_suite_file(self.suite_path), name=f"reproduce-{self.name}")


REPRODUCTIONS: Registry[Reproduction] = Registry("reproduction")


def _include_papers(folder: discovery.Folder) -> None:
    for paper in folder.papers:
        check_name("paper", paper.name, f"paper folder {paper}")  # it names results/reproductions/<paper>
        REPRODUCTIONS.add(paper.name, Reproduction(paper.name, paper), replace=folder.user)


discovery.subscribe(_include_papers)
