"""TEMPLATE paper package: copy this folder to ``reproductions/<paper>/`` (or anywhere, then ``--include-path``).

Importing the package runs its registrations; list every module that registers something here. Relative
imports keep the package working under any folder name.
"""

from . import model  # noqa: F401
