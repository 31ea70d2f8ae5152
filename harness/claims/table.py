"""The comparison table of a paper: claimed | achieved mean ± std (n) | delta | CI | verdict | source.

One frame of plain numbers (for CSV/JSON) and one display frame of formatted cells (for Markdown/LaTeX), so the
four formats can never disagree.
"""

from __future__ import annotations

import json
import math

import pandas as pd

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
    return f"{mean_std(v.achieved, v.std, _digits(v.claim.unit), signed=v.claim.kind == 'relative')} ({v.n})"


def _setting(v: Verdict) -> str:
    c = v.claim
    what = f"{c.task}" if c.task else f"dataset {c.dataset}"
    if c.kind == "absolute":
        return f"{what}: {c.arm.label if c.arm else ''}; {c.variant}"
    return f"{what}: {c.a.label if c.a else ''} − {c.b.label if c.b else ''}; {c.variant}"


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
            "achieved": v.achieved, "achieved_std": v.std, "n": v.n, "delta": v.delta,
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
            "claim": v.claim.key, "setting": _setting(v), "claimed": _claimed(v),
            "achieved mean ± std (n)": _achieved(v), "delta": _num(v.delta, v.claim.unit, signed=True),
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
        return json.dumps({"rules_version": RULES_VERSION, "claims": rows}, indent=2, ensure_ascii=False) + "\n"
    table = render_table(display_frame(verdicts, ledger), fmt)
    return f"% verdict rules v{RULES_VERSION}\n{table}\n" if fmt == "latex" else table + "\n"


def render_details(verdicts: list[Verdict]) -> str:
    """Markdown notes under the table: each claim's statement, why its verdict, and the claim's own notes."""
    lines = []
    for v in verdicts:
        c = v.claim
        lines.append(f"- **{c.key}** ({c.kind}): {c.statement} — *{v.outcome}*"
                     + (f"; {v.detail}" if v.detail else "") + (f". {c.notes}" if c.notes else ""))
    return "\n".join(lines) + "\n"
