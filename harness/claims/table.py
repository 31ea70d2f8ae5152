"""The comparison table of a paper: claim | protocol | claimed | others' reports | achieved | delta | CI | verdict.

The protocol cell says how the claimed number was obtained (aggregation; selection; what the source leaves
unstated; whether its sources disagree); third parties' reports of the same number sit between the paper's value
and ours. One frame of plain numbers (for CSV/JSON) and one display frame of formatted cells (for Markdown/LaTeX),
so the four formats can never disagree; every format names the verdict rules' version.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from harness.claims.claim import Report
from harness.claims.ledger import Ledger
from harness.claims.verdict import RULES_VERSION, Verdict
from harness.errors import UserError
from harness.report.table import json_rows, mean_std, render_table

TABLE_FORMATS = ("md", "latex", "csv", "json")


def _digits(unit: str) -> int:
    return 2 if unit == "%" else 4


def _num(x: float, unit: str, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:+.{_digits(unit)}f}" if signed else f"{x:.{_digits(unit)}f}"


def _claimed(v: Verdict) -> str:
    c = v.claim
    # claimed numbers keep the precision the paper printed (67.6, not 67.60)
    if c.kind == "absolute":
        return f"{c.value:g}{c.unit}" + (f" ± {c.std:g}" if c.std is not None else "")
    if c.value is None:
        return f"a − b {'>' if c.sign == '+' else '<'} 0"
    return f"{c.value:+g}" + (" pts" if c.unit == "%" else "")


def _achieved(v: Verdict) -> str:
    if v.n == 0:
        return "–"
    digits, relative = _digits(v.claim.unit), v.claim.kind == "relative"
    if v.compared.startswith("best") or v.compared == "median":  # the compared value, the mean ± std beside it
        return (f"{_num(v.achieved, v.claim.unit)} {v.compared} (mean {mean_std(v.mean, v.std, digits)}, "
                f"n {v.n})")
    return f"{mean_std(v.achieved, v.std, digits, signed=relative)} ({v.n})"


def _protocol(v: Verdict) -> str:
    """How the claimed number was obtained, and what its source leaves unstated."""
    c, p = v.claim, v.claim.protocol
    parts = [p.aggregation_label, f"sel. {p.selection}"]
    unstated = [m for m in p.missing() if m not in ("aggregation", "selection")]
    if unstated:
        parts.append("unstated: " + ", ".join(unstated))
    if c.sources_disagree:
        parts.append("sources disagree")
    return "; ".join(parts)


def _reported(r: Report, unit: str) -> str:
    """A third party's value with its spread and protocol (``67.3% ± 0.4 (mean of 5, sel. valid)``)."""
    spread = f" ± {r.std:g}" if r.std is not None else ""
    return f"{r.value:g}{unit}{spread} ({r.protocol.aggregation_label}, sel. {r.protocol.selection})"


def _report(r: Report, unit: str) -> str:
    return f"{r.who}: {_reported(r, unit)}"


def rules_versions(verdicts: list[Verdict]) -> str:
    """The rules version(s) the verdicts were decided under, as printed in every report (``v2``)."""
    return ", ".join(f"v{n}" for n in sorted({v.rules_version for v in verdicts}) or [RULES_VERSION])


def _setting(v: Verdict) -> str:
    """Task (or dataset), arm(s) and variant; ``load_claims`` gives every absolute claim an arm and every relative
    one both a and b."""
    c = v.claim
    what = f"{c.task}" if c.task else f"dataset {c.dataset}"
    if c.kind == "absolute":
        return f"{what}: {c.arm.label}; {c.variant}"
    return f"{what}: {c.a.label} − {c.b.label}; {c.variant}"


def _arms(v: Verdict, ledger: Ledger) -> str:
    c = v.claim
    if c.task is None or v.n == 0:
        return ""
    parts = []
    for arm in (*c.arms, *([c.floor] if c.floor else [])):
        s = ledger.summary(c, arm)
        name = "floor " + arm.label if arm is c.floor else arm.label
        parts.append(f"{name} " + ("– (0)" if s is None else f"{mean_std(s.mean, s.std, _digits(c.unit))} ({s.n})"))
    return "; ".join(parts)


def numeric_frame(verdicts: list[Verdict], ledger: Ledger) -> pd.DataFrame:
    rows = []
    for v in verdicts:
        c = v.claim
        rows.append({
            "paper": c.paper.key, "claim": c.key, "kind": c.kind, "task": c.task, "dataset": c.dataset,
            "metric": c.metric, "variant": c.variant, "unit": c.unit,
            "arm": c.arm.label if c.arm else None, "a": c.a.label if c.a else None,
            "b": c.b.label if c.b else None, "sign": c.sign if c.kind == "relative" else None,
            "claimed": c.value, "claimed_std": c.std, "claimed_seeds": c.seeds, "tolerance": c.tolerance,
            "aggregation": c.protocol.aggregation, "aggregated_n": c.protocol.n,
            "selection_split": c.protocol.selection.split or None,
            "selection_criterion": c.protocol.selection.criterion or None,
            "metric_variant": c.protocol.metric_variant or None, "data_version": c.protocol.data_version or None,
            "spread": c.protocol.spread or None, "source_quality": c.source_quality,
            "sources": [{"where": x.where, "quality": x.quality, "value": x.value} for x in c.sources],
            "sources_disagree": c.sources_disagree, "protocol_differs": list(c.protocol_differs),
            "reports": [{"who": r.who, "where": r.where, "value": r.value, "std": r.std,
                         "aggregation": r.protocol.aggregation, "n": r.protocol.n,
                         "selection": str(r.protocol.selection), "quality": r.quality} for r in c.reports],
            "achieved": v.achieved, "compared": v.compared, "achieved_mean": v.mean, "achieved_std": v.std,
            "n": v.n, "delta": v.delta,
            "ci_low": v.ci_low, "ci_high": v.ci_high, "verdict": v.outcome, "detail": v.detail,
            "arms": _arms(v, ledger), "source": c.source, "rules_version": v.rules_version,
        })
    return pd.DataFrame(rows)


def display_frame(verdicts: list[Verdict], ledger: Ledger) -> pd.DataFrame:
    rows = []
    for v in verdicts:
        ci = (f"[{_num(v.ci_low, v.claim.unit)}, {_num(v.ci_high, v.claim.unit)}]"
              if not math.isnan(v.ci_low) else "–")
        rows.append({
            "claim": v.claim.key, "setting": _setting(v), "protocol": _protocol(v), "claimed": _claimed(v),
            "reported by others": "; ".join(_report(r, v.claim.unit) for r in v.claim.reports) or "–",
            "achieved (n)": _achieved(v), "delta": _num(v.delta, v.claim.unit, signed=True),
            "95% CI": ci, "verdict": v.outcome, "arms (floor)": _arms(v, ledger), "source": v.claim.source,
        })
    return pd.DataFrame(rows)


def render_claims(verdicts: list[Verdict], ledger: Ledger, fmt: str) -> str:
    """The claims table in ``fmt`` (md, latex, csv or json)."""
    if fmt not in TABLE_FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(TABLE_FORMATS)}")
    if fmt == "csv":
        return render_table(numeric_frame(verdicts, ledger), fmt)
    if fmt == "json":
        rows = json_rows(numeric_frame(verdicts, ledger))
        versions = sorted({v.rules_version for v in verdicts}) or [RULES_VERSION]
        return json.dumps({"rules_version": versions[0] if len(versions) == 1 else versions, "claims": rows},
                          indent=2, ensure_ascii=False) + "\n"
    table = render_table(display_frame(verdicts, ledger), fmt)
    return f"% verdict rules {rules_versions(verdicts)}\n{table}\n" if fmt == "latex" else table + "\n"


def render_details(verdicts: list[Verdict]) -> str:
    """Markdown notes under the table: each claim's statement, why its verdict, the claim's own notes, then its
    sources (with the value each gives when they disagree), recorded protocol differences and third-party
    reports (who, where, value, protocol)."""
    lines = []
    for v in verdicts:
        c = v.claim
        lines.append(f"- **{c.key}** ({c.kind}): {c.statement} — *{v.outcome}*"
                     + (f"; {v.detail}" if v.detail else "") + (f". {c.notes}" if c.notes else ""))
        if len(c.sources) > 1:
            given = [f"{x.where} [{x.quality}]" + (f": {x.value:g}" if x.value is not None else "")
                     for x in c.sources]
            flag = "sources disagree" if c.sources_disagree else "sources"
            lines.append(f"  - {flag}: " + "; ".join(given))
        lines += [f"  - protocol differs: {d}" for d in c.protocol_differs]
        lines += [f"  - reported by {r.who} ({r.where}) [{r.quality}]: {_reported(r, c.unit)}"
                  + (f". {r.notes}" if r.notes else "") for r in c.reports]
    return "\n".join(lines) + "\n"
