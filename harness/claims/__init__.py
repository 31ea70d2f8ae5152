"""Claims ledger: what papers claim (``claims.toml``), with the protocol behind each number, what the run records
achieved, versioned verdict rules, and ``mmrepro diff``.

The public names below are imported from their submodules on first use (PEP 562): importing a submodule such as
``harness.claims.commands`` (done by every CLI start) must not import the ledger's SciPy and record stack.
"""

from harness.lazy import lazy_exports

_SOURCES = {
    **dict.fromkeys(("Arm", "Claim", "Paper", "Protocol", "Report", "Selection", "Source", "load_claims"), "claim"),
    "Ledger": "ledger",
    **dict.fromkeys(("DEFAULT_RULES", "OUTCOMES", "RULES", "RULES_VERSION", "ArmValues", "Evidence", "Verdict",
                     "absolute_verdict", "judge", "relative_verdict"), "verdict"),
}

__all__ = ["DEFAULT_RULES", "OUTCOMES", "RULES", "RULES_VERSION", "Arm", "ArmValues", "Claim", "Evidence", "Ledger",
           "Paper", "Protocol", "Report", "Selection", "Source", "Verdict", "absolute_verdict", "judge",
           "load_claims", "relative_verdict"]


__getattr__ = lazy_exports(__name__, _SOURCES)
