"""Claims ledger: what papers claim (``claims.toml``), with the protocol behind each number, what the run records
achieved, versioned verdict rules, and ``mmrepro diff``."""

from harness.claims.claim import Arm, Claim, Paper, Protocol, Report, Selection, Source, load_claims
from harness.claims.ledger import Ledger
from harness.claims.verdict import (
    DEFAULT_RULES,
    OUTCOMES,
    RULES,
    RULES_VERSION,
    ArmValues,
    Evidence,
    Verdict,
    absolute_verdict,
    judge,
    relative_verdict,
)

__all__ = ["DEFAULT_RULES", "OUTCOMES", "RULES", "RULES_VERSION", "Arm", "ArmValues", "Claim", "Evidence", "Ledger",
           "Paper", "Protocol", "Report", "Selection", "Source", "Verdict", "absolute_verdict", "judge",
           "load_claims", "relative_verdict"]
