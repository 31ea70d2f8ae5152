"""One results folder of written records and the site built from it, shared by the site tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.site.records import write_results


@pytest.fixture(scope="session")
def site_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("site") / "results"
    with pytest.MonkeyPatch.context() as mp:  # no prepared dataset of this machine may change a verdict
        mp.setenv("MMREPRO_DATA", str(tmp_path_factory.mktemp("site-data")))
        write_results(results)
    return results


@pytest.fixture(scope="session")
def built_site(site_results: Path, tmp_path_factory: pytest.TempPathFactory):
    from harness.site.build import build_site

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MMREPRO_DATA", str(tmp_path_factory.mktemp("site-data")))
        return build_site(site_results, site_results.parent / "site")
