"""Claims ledger: what papers claim (``claims.toml``), what the run records achieved, and versioned verdict rules."""

from harness.claims.claim import Arm, Claim, Paper, load_claims
from harness.claims.ledger import Ledger
from harness.claims.verdict import OUTCOMES, RULES_VERSION, Verdict, absolute_verdict, relative_verdict

__all__ = ["OUTCOMES", "RULES_VERSION", "Arm", "Claim", "Ledger", "Paper", "Verdict", "absolute_verdict",
           "load_claims", "relative_verdict"]
