"""``mmrepro diff A B``: every field that differs between two runs, or between a claim and our runs, and the gap.

"My number differs from the paper: which setting did you use?" is answered field by field: task and version,
data fingerprint, metric and its variant, aggregation, selection, seeds, config values, code commit, package
versions, hardware and precision. Only differing fields are listed (with a count of those that agree), then the
value gap on the report split.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from typing import Any

from tabulate import tabulate

from harness.claims.claim import Claim
from harness.claims.verdict import Verdict
from harness.console import out
from harness.errors import UserError

DIFF_FORMATS = ("text", "md")


def _plain(record: Any) -> dict[str, Any]:
    """A record as JSON-plain data, whether read as a dict or as a typed record (whose ``cached`` flag, a property
    of the read, is never compared)."""
    return dataclasses.asdict(record) if dataclasses.is_dataclass(record) else dict(record)


def run_fields(record: Any) -> dict[str, Any]:
    """The settings of one run, flattened into labelled fields (``config.lr``, ``packages.torch``, ...)."""
    r = _plain(record)
    spec, prov = r["spec"], r.get("provenance") or {}
    fields: dict[str, Any] = {"task": spec["task"], "task version": spec["task_version"],
                              "task hash": spec["task_hash"], "data fingerprint": spec["data_fingerprint"],
                              "model": spec["model"], "seed": spec["seed"]}
    if spec.get("fold") is not None:  # runs of a fold task (harness.tasks.folds) differ in it, and so do their numbers
        fields["fold"] = spec["fold"]
    for key in ("device_class", "precision"):
        if key in spec:
            fields[f"{key.replace('_', ' ')} (spec)"] = spec[key]
    fields.update({f"config.{k}": v for k, v in sorted(spec["config"].items())})
    fields.update({"metric (primary)": r.get("primary_metric"), "aggregation": "single-run",
                   "selection": f"{r.get('select_split')} ({r.get('primary_metric')})",
                   "report split": r.get("report_split"), "precision": r.get("precision"),
                   "device": r.get("device"), "code commit": prov.get("git_commit"),
                   "code dirty": prov.get("git_dirty")})
    fields.update({f"packages.{k}": v for k, v in sorted((prov.get("packages") or {}).items())})
    fields.update({k: prov.get(k) for k in ("python", "platform", "cpu", "gpu")})
    return fields


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "–" if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class Difference:
    """What differs between two sides: labelled rows, how many fields agree, and the value gap rows."""

    left: str
    right: str
    rows: list[tuple[str, str, str]]
    same: int
    gap: list[tuple[str, str, str, str]]
    notes: list[str] = dataclasses.field(default_factory=list)
    sides: tuple[str, str] = ("A", "B")  # column names of the two sides

    @property
    def fields(self) -> list[str]:
        return [name for name, _, _ in self.rows]

    def render(self, fmt: str = "text") -> str:
        if fmt not in DIFF_FORMATS:
            raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(DIFF_FORMATS)}")
        table = "github" if fmt == "md" else "simple"
        title = f"## Diff: {self.left} vs {self.right}\n" if fmt == "md" else f"{self.left}  vs  {self.right}\n"
        parts = [title]
        if self.rows:
            parts.append(tabulate(self.rows, headers=["field", *self.sides], tablefmt=table, disable_numparse=True))
        else:
            parts.append("no field differs")
        parts.append(f"\n{len(self.rows)} field(s) differ, {self.same} agree.\n")
        if self.gap:
            a, b = self.sides
            parts.append(tabulate(self.gap, headers=["metric", a, b, f"{b} − {a}"], tablefmt=table,
                                  disable_numparse=True))
        parts.extend(f"\n{note}" for note in self.notes)
        return "\n".join(parts) + "\n"


def diff_runs(a: Any, b: Any) -> Difference:
    """Every setting that differs between two run records, then their report-split metrics side by side."""
    fa, fb = run_fields(a), run_fields(b)
    keys = list(dict.fromkeys([*fa, *fb]))
    rows = [(k, _fmt(fa.get(k)), _fmt(fb.get(k))) for k in keys if fa.get(k) != fb.get(k)]
    ra, rb = _plain(a), _plain(b)
    split = ra.get("report_split")
    ma, mb = (ra.get("metrics") or {}).get(split, {}), (rb.get("metrics") or {}).get(rb.get("report_split"), {})
    gap = [(f"{m} ({split})", _fmt(ma.get(m)), _fmt(mb.get(m)),
            f"{mb[m] - ma[m]:+.6g}" if m in ma and m in mb else "–") for m in dict.fromkeys([*ma, *mb])]
    return Difference(_label(ra), _label(rb), rows, len(keys) - len(rows), gap)


def _label(r: dict[str, Any]) -> str:
    return f"run {r['run_id']} ({r['spec']['task']}/{r['spec']['model']}, seed {r['spec']['seed']})"


def diff_claim(claim: Claim, records: dict[str, list[Any]], verdict: Verdict | None = None) -> Difference:
    """The claim's protocol beside our runs' (A = the paper, B = ours; ``records``: arm label -> its runs), then
    the claimed value beside our mean (relative claims: the difference of the arms' means) and, given the
    ``verdict``, beside the value the rules compared (e.g. our best seed for a best-of-n claim)."""
    p = claim.protocol
    by_arm = {label: [_plain(r) for r in runs] for label, runs in records.items()}
    empty = [label for label, runs in by_arm.items() if not runs]
    if not by_arm or empty:
        raise UserError(f"no finished runs of {', '.join(empty) or 'any arm'} for claim {claim.paper.key}:"
                        f"{claim.key}; run `mmrepro reproduce {claim.paper.key}` first")
    ours = [r for runs in by_arm.values() for r in runs]
    first = ours[0]
    seeds = sorted({r["spec"]["seed"] for r in ours})
    metric_ours = claim.metric
    try:
        from harness.metrics import get_metric

        metric_ours = f"{claim.metric}: {get_metric(claim.metric).description}"
    except KeyError:
        pass
    claimed_seeds = (", ".join(map(str, p.seed_values)) if p.seed_values else
                     f"{claim.seeds} (not listed)" if claim.seeds else "unknown")
    pairs = [
        ("task", claim.task or f"dataset {claim.dataset}", first["spec"]["task"]),
        ("data version / fingerprint", p.data_version or "unknown", first["spec"]["data_fingerprint"]),
        ("metric variant", p.metric_variant or "unknown", metric_ours),
        ("aggregation", p.aggregation_label, f"mean of {len(seeds)} (sample std)"),
        ("selection", str(p.selection), f"{first.get('select_split')} ({first.get('primary_metric')})"),
        ("seeds", claimed_seeds, ", ".join(map(str, seeds))),
        ("spread", p.spread or "unknown", "sample std"),
        ("setting", claim.variant, " − ".join(by_arm)),
    ]
    rows = [(name, str(a), str(b)) for name, a, b in pairs if str(a) != str(b)]
    split = first.get("report_split")
    means = [_mean(runs, claim, split) for runs in by_arm.values()]
    ours_value = means[0] if claim.kind == "absolute" else means[0] - means[1]
    name = claim.metric if claim.kind == "absolute" else f"{claim.metric}, a − b"
    gap = [(f"{name} ({split}, {claim.unit or 'raw'})", _fmt(claim.value), _fmt(ours_value),
            f"{ours_value - claim.value:+.4g}" if claim.value is not None else "–")]
    if verdict is not None and verdict.n and verdict.compared != "mean":
        gap.append((f"as compared by rules v{verdict.rules_version}: {verdict.compared}", _fmt(claim.value),
                    _fmt(verdict.achieved), f"{verdict.delta:+.4g}" if claim.value is not None else "–"))
    notes = [f"verdict (rules v{verdict.rules_version}): {verdict.outcome}"] if verdict is not None else []
    notes += [f"protocol differs (recorded): {d}" for d in claim.protocol_differs]
    notes += [f"third-party report: {r.who} ({r.where}): {_fmt(r.value)}, {r.protocol.aggregation_label}"
              for r in claim.reports]
    missing = p.missing()
    if missing:
        notes.append(f"the claim does not state: {', '.join(missing)}")
    return Difference(f"claim {claim.paper.key}:{claim.key}", f"our runs of {' and '.join(by_arm)}", rows,
                      len(pairs) - len(rows), gap, notes, ("claim", "ours"))


def _mean(runs: list[dict[str, Any]], claim: Claim, split: str) -> float:
    values = [r["metrics"][split][claim.metric] * claim.scale for r in runs if claim.metric in r["metrics"][split]]
    return sum(values) / len(values) if values else math.nan


def find_claim(ref: str) -> Claim | None:
    """``paper:key`` or a claim key unique across papers; None when ``ref`` names no claim (it is then a run)."""
    from harness.papers import REPRODUCTIONS

    paper, sep, key = ref.partition(":")
    found = [c for name in REPRODUCTIONS.names() if not sep or name == paper
             for c in REPRODUCTIONS.get(name).claims() if c.key == (key if sep else ref)]
    if len(found) > 1:
        raise UserError(f"claim key {ref!r} is in several papers ({', '.join(c.paper.key for c in found)}); "
                        f"write paper:{ref}")
    return found[0] if found else None


def arm_records(results, claim: Claim) -> dict[str, list[Any]]:
    """Our current finished runs of each of the claim's arms (exact resolved config), by arm label."""
    from harness.claims.ledger import Ledger, unavailable

    blocked = unavailable(claim)
    if blocked or claim.task is None:
        raise UserError(f"claim {claim.paper.key}:{claim.key} has no runs to compare: "
                        f"{blocked or f'no task runs {claim.dataset!r} yet'}")
    ledger = Ledger(results)
    return {arm.label: ledger.runs(claim, arm) for arm in claim.arms}


def cmd_diff(args: argparse.Namespace) -> int:
    from harness.runs.store import find_record

    claim = find_claim(args.a)
    if claim is None:
        if not args.b:
            raise UserError(f"{args.a!r} is no claim (paper:key); to compare runs give two run ids")
        difference = diff_runs(find_record(args.results, args.a)[1], find_record(args.results, args.b)[1])
    elif args.b:
        if claim.kind != "absolute" or claim.arm is None:
            raise UserError(f"claim {args.a} is relative: compare it with our runs of both arms (omit B)")
        difference = diff_claim(claim, {claim.arm.label: [find_record(args.results, args.b)[1]]})
    else:
        from harness.claims.ledger import Ledger

        difference = diff_claim(claim, arm_records(args.results, claim), Ledger(args.results).judge(claim))
    out(difference.render(args.format))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser("diff", help="every field that differs between two runs, or a claim and our runs")
    diff.add_argument("a", help="run id (prefix), or a claim as paper:key")
    diff.add_argument("b", nargs="?", help="run id (prefix); omit after a claim to use all our runs of its arms")
    diff.add_argument("--format", choices=DIFF_FORMATS, default="text")
    diff.set_defaults(fn=cmd_diff)
