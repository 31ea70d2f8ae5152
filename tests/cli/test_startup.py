"""Fast start: listing and showing commands import no heavy library, and plug-in code is imported on first use.

Friction (issue 19): each command took about 6 s to start, because building the parser imported the report stack
(pandas, SciPy) and plug-in discovery imported every baseline and paper (torch, scikit-learn) before any command
ran. ``benchmarks/bench_startup.py`` measures the times; these tests catch an import that brings the cost back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import discovery

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "sklearn", "pandas", "scipy", "datasets", "sentence_transformers", "matplotlib")


def _imported_after(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; return the heavy modules it left imported, and what it printed."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                          env=env or dict(os.environ), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    return {"heavy": json.loads(lines[-1]), "out": "\n".join(lines[:-1])}


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _imported_after("import harness.cli\nharness.cli.build_parser()")["heavy"] == []


@pytest.mark.parametrize("argv, shown", [
    (["tasks"], "digits-views"),
    (["models"], "fusion-token"),  # listed from the plug-in index: the torch module is not imported
    (["suites"], "default"),
])
def test_listing_commands_import_no_heavy_library(argv: list[str], shown: str) -> None:
    result = _imported_after(f"from harness.cli import main\nassert main({argv!r}) == 0")
    assert shown in result["out"] and result["heavy"] == []


def test_show_imports_no_heavy_library(tmp_path: Path) -> None:
    from harness.cli import main

    assert main(["-q", "--results", str(tmp_path), "run", "--task", "breast-cancer-views", "--model", "prior",
                 "--seeds", "0"]) == 0
    run_id = next(tmp_path.glob("runs/*/prior/*.json")).stem
    result = _imported_after(f"from harness.cli import main\nassert main(['--results', {str(tmp_path)!r}, "
                             f"'show', {run_id!r}]) == 0")
    assert run_id in result["out"] and result["heavy"] == []


def test_a_lookup_imports_only_the_module_that_registers_the_name() -> None:
    result = _imported_after("""
        import sys
        from harness.models import MODELS
        assert "fusion-token" in MODELS.names() and "baselines.neural" not in sys.modules
        assert MODELS.peek("linear-early", "defaults")["max_iter"] == 2000
        assert "baselines.sklearn_fusion" not in sys.modules
        MODELS.get("prior")
        print("baselines.prior" in sys.modules, "baselines.neural" in sys.modules)
    """)
    assert result["out"] == "True False" and "torch" not in result["heavy"]


def test_the_table_formats_spelled_for_the_parser_are_the_renderers() -> None:
    from harness.console import FORMATS
    from harness.report.table import TABLE_FORMATS

    assert FORMATS == TABLE_FORMATS


def test_the_index_records_a_deferred_modules_registrations_and_follows_its_source(tmp_path: Path) -> None:
    package = tmp_path / "lazyplug_a"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(textwrap.dedent("""
        from dataclasses import dataclass
        from harness.models import register_model

        @dataclass(frozen=True)
        class Config:
            width: int = 3

        @register_model("lazy-a", config=Config, description="a deferred model", target_kinds=("regression",))
        def build(task, data, config, seed):
            raise NotImplementedError
    """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    result = _imported_after(f"""
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from harness import discovery
        key = discovery._index_key(["lazyplug_a.models"])
        index = discovery._build_index(discovery.Path({str(tmp_path / 'index.json')!r}), ["lazyplug_a.models"])
        print(json.dumps([key, index["lazyplug_a.models"]]))
    """, env)
    key, recorded = json.loads(result["out"].splitlines()[-1])
    assert recorded == {"model": {"lazy-a": {"description": "a deferred model", "target_kinds": ["regression"],
                                             "defaults": {"width": 3}}}}
    assert json.loads((tmp_path / "index.json").read_text())["lazyplug_a.models"] == recorded
    sys.path.insert(0, str(tmp_path))
    try:
        assert discovery._index_key(["lazyplug_a.models"]) == key
        (package / "models.py").write_text((package / "models.py").read_text() + "\n# edited\n")
        assert discovery._index_key(["lazyplug_a.models"]) != key  # a changed plug-in file rebuilds the index
    finally:
        sys.path.remove(str(tmp_path))


def test_without_a_writable_cache_the_plugins_are_imported_at_once(tmp_path: Path) -> None:
    """No index can be kept: building one in every process would cost more than importing the plug-ins."""
    env = dict(os.environ, MMREPRO_CACHE=str(tmp_path / "cache"))
    result = _imported_after("""
        from harness import discovery
        discovery._writable = lambda folder: False  # as on a read-only file system
        from harness.cli import main
        assert main(["models"]) == 0
    """, env)
    assert "fusion-token" in result["out"] and "torch" in result["heavy"]
    assert not list((tmp_path / "cache").rglob("*.json"))
