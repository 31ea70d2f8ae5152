"""``mmrepro data ...``: prepare, list, inspect, verify and export datasets."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.console import out
from harness.settings import parse_overrides


def _options(pairs: list[str] | None, nonfinite: str | None) -> dict[str, str]:
    options = parse_overrides(pairs, flag="--option", example="limit=100")
    if nonfinite:
        options["nonfinite"] = nonfinite
    return options


def cmd_data(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.data import store
    from harness.data.sources import DATASETS

    if args.data_cmd == "prepare":
        manifest = store.prepare(args.name, Path(args.source) if args.source else None,
                                 options=_options(args.option, args.nonfinite), fmt=args.format,
                                 download=args.download, overlap=args.overlap)
        out(f"prepared {args.name} ({manifest['fingerprint']}) under {store.data_root() / args.name}: "
             + ", ".join(f"{k} {v}" for k, v in manifest["splits"].items()))
    elif args.data_cmd == "list":
        rows = []
        for name in sorted(set(DATASETS) | set(store.prepared_names())):
            source = DATASETS.get(name) if name in DATASETS else None
            if source and source.embedded:
                state = "embedded"
            else:
                state = "prepared" if store.is_prepared(name) else "not prepared"
            rows.append([name, state, source.description if source else "(prepared, not registered here)"])
        for folder in store.stale_temp_folders():
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
            rows.append([folder.name, f"interrupted prepare ({size:.0f} MB)",
                         f"{folder}: removed by the next prepare of that dataset, or delete it"])
        out(tabulate(rows, headers=["dataset", "state", "description"]))
    elif args.data_cmd == "info":
        out(json.dumps(store.read_manifest(args.name), indent=2))
    elif args.data_cmd == "verify":
        problems = store.verify(args.name)
        for problem in problems:
            out(f"{args.name}: {problem}")
        if problems:
            out(f"{args.name}: NOT intact; prepare it again with: mmrepro data prepare {args.name} --from PATH")
            return 1
        out(f"{args.name}: intact (sources re-hashed, prepared fingerprint matches)")
    elif args.data_cmd == "export":
        from harness.data import mmsa_pickle

        path = mmsa_pickle.write(store.load_dataset(args.name), Path(args.to))
        out(f"wrote {args.name} in MMSA pickle layout to {path}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="prepare and inspect datasets")
    data_sub = data.add_subparsers(dest="data_cmd", required=True)
    prep = data_sub.add_parser("prepare", help="convert a source into the prepared Arrow cache")
    prep.add_argument("name")
    prep.add_argument("--from", dest="source", help="file or folder holding the source as published")
    prep.add_argument("--download", action="store_true", help="fetch the public copy (checksum-verified) first")
    prep.add_argument("--format", choices=["generic"], help="generic: your own npz/parquet/HF folder + dataset.toml")
    prep.add_argument("--nonfinite", choices=["error", "zero"],
                      help="NaN/inf in features: refuse (default) or set to 0, counted in the manifest")
    prep.add_argument("--overlap", choices=["warn", "error"], default="warn",
                      help="item ids shared between splits: warn and record them (default) or refuse the data")
    prep.add_argument("--option", action="append", metavar="KEY=VALUE", help="reader option (repeatable)")
    data_sub.add_parser("list", help="list datasets and their state")
    info = data_sub.add_parser("info", help="print a prepared dataset's manifest")
    info.add_argument("name")
    verify = data_sub.add_parser("verify", help="re-hash a prepared dataset's sources and data")
    verify.add_argument("name")
    export = data_sub.add_parser("export", help="write a dataset in MMSA's pickle layout (e.g. synth_msa)")
    export.add_argument("name")
    export.add_argument("--to", required=True, help="output .pkl path")
    data.set_defaults(fn=cmd_data)
