"""``mmrepro data ...``: prepare, list and inspect datasets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_data(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.data import store
    from harness.data.sources import DATASETS

    if args.data_cmd == "prepare":
        manifest = store.prepare(args.name, Path(args.source))
        _out(f"prepared {args.name} ({manifest['fingerprint']}) under {store.data_root() / args.name}: "
             + ", ".join(f"{k} {v}" for k, v in manifest["splits"].items()))
    elif args.data_cmd == "list":
        rows = []
        for name in DATASETS:
            source = DATASETS.get(name)
            state = "embedded" if source.embedded else ("prepared" if store.is_prepared(name) else "not prepared")
            rows.append([name, state, source.description])
        _out(tabulate(rows, headers=["dataset", "state", "description"]))
    elif args.data_cmd == "info":
        DATASETS.get(args.name)
        _out(json.dumps(store.read_manifest(args.name), indent=2))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="prepare and inspect datasets")
    data_sub = data.add_subparsers(dest="data_cmd", required=True)
    prep = data_sub.add_parser("prepare", help="convert a source into the prepared Arrow cache")
    prep.add_argument("name")
    prep.add_argument("--from", dest="source", required=True)
    data_sub.add_parser("list", help="list datasets and their state")
    info = data_sub.add_parser("info", help="print a prepared dataset's manifest")
    info.add_argument("name")
    data.set_defaults(fn=cmd_data)
