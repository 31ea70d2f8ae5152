"""One package per reproduced paper: every sub-folder with a ``claims.toml`` is a paper (``_template`` is not).

This package is a plug-in (entry point ``reproductions`` in the ``mmrepro.plugins`` group): importing it hands
its own folder to :func:`harness.discovery.include`, which imports each paper (its models register) and
registers its claims, suite and any task or suite files it holds. Adding a paper means adding a folder;
nothing here or in ``harness/`` is edited.
"""

from __future__ import annotations

from pathlib import Path

from harness import discovery

discovery.include(Path(__file__).parent, package=__name__, user=False)
