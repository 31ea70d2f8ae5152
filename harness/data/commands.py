"""``mmrepro data ...``: prepare, list, inspect, verify and export datasets."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from harness.console import out
from harness.errors import UserError
from harness.settings import parse_overrides


def _options(pairs: list[str] | None, nonfinite: str | None) -> dict[str, str]:
    options = parse_overrides(pairs, flag="--option", example="limit=100")
    if nonfinite:
        options["nonfinite"] = nonfinite
    return options


def prepare_command(name: str, manifest: dict) -> str:
    """The command that prepares ``name`` again as it was prepared: its source, format and reader options."""
    parts = ["mmrepro", "data", "prepare", name, "--from", str(manifest.get("source") or "PATH")]
    if manifest.get("format") not in (None, "native"):
        parts += ["--format", manifest["format"]]
    for key, value in (manifest.get("options") or {}).items():
        parts += ["--nonfinite", str(value)] if key == "nonfinite" else ["--option", f"{key}={value}"]
    return shlex.join(parts)


def _refuse_format_change(name: str, fmt: str | None) -> None:
    """Re-preparing a generic dataset without ``--format generic`` would record it as native: the next process
    would no longer know the name, and every task on it would say "unknown dataset"."""
    from harness.data import store

    if not store.is_prepared(name):
        return
    try:
        manifest = store.read_manifest(name)
    except UserError:
        return  # a damaged manifest: preparing again is the fix
    before, after = manifest.get("format") or "native", fmt or "native"
    if before == after or before != "generic":
        return
    from harness.tasks import TASKS

    tasks = [t for t in TASKS if TASKS.get(t).dataset == name]
    orphaned = f"; its tasks ({', '.join(tasks)}) would then find no dataset" if tasks else ""
    raise UserError(f"dataset {name!r} was prepared with --format {before} (its manifest) and a prepare without "
                    f"--format {before} would record it as {after}, a format no reader of that name has"
                    f"{orphaned}. Prepare it as before: {prepare_command(name, manifest)}")


def cmd_data(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.data import store
    from harness.data.sources import DATASETS

    if args.data_cmd == "prepare":
        _refuse_format_change(args.name, args.format)
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
            out(f"{args.name}: NOT intact; prepare it again with: "
                f"{prepare_command(args.name, store.read_manifest(args.name))}")
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
