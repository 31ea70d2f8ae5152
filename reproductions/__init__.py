"""One package per reproduced paper, found by discovery: a sub-package with a ``claims.toml`` is a reproduction.

Adding a paper means adding a folder (``claims.toml``, ``suite.toml``, ``model.py``, recipe, ``README.md``);
nothing central is edited. Importing this package imports every reproduction, which registers its models.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from harness.registry import Registry


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

    def claims(self):
        from harness.claims.claim import load_claims

        return load_claims(self.claims_path)

    def smoke_overrides(self) -> dict[str, str]:
        """Settings that make every run of the suite tiny (``[smoke] set = {...}`` in suite.toml), for tests."""
        import tomllib

        from harness.claims.claim import as_setting

        raw = tomllib.loads(self.suite_path.read_text()).get("smoke", {}).get("set", {})
        return {k: as_setting(v) for k, v in raw.items()}

    def suite(self):
        """The package's ``suite.toml``, named ``reproduce-<name>``."""
        from harness.sweep.suite import load_suite_file

        return dataclasses.replace(load_suite_file(self.suite_path), name=f"reproduce-{self.name}")


REPRODUCTIONS: Registry[Reproduction] = Registry("reproduction")


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        folder = Path(__path__[0]) / module.name
        if module.ispkg and (folder / "claims.toml").is_file() and module.name not in REPRODUCTIONS:
            importlib.import_module(f"{__name__}.{module.name}")
            REPRODUCTIONS.add(module.name, Reproduction(module.name, folder))


_discover()
