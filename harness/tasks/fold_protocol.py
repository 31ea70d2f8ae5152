"""The ``[folds]`` declaration of a task (what :mod:`harness.tasks.folds` runs); a leaf module, so the task
spec can hold it without importing the fold machinery (data, records)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("kfold", "repeated")


@dataclass(frozen=True)
class FoldProtocol:
    """k folds (or k repeated random splits) of one dataset split; the rules are in :mod:`harness.tasks.folds`."""

    k: int
    kind: str = "kfold"
    split: str = "all"
    field: str | None = None
    select: float = 0.1
    test: float | None = None
    seed: int = 0

    def problems(self) -> list[str]:
        """What makes the declaration unusable, before any data is read."""
        out = []
        if self.kind not in KINDS:
            out.append(f"folds.kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 2:
            out.append(f"folds.k must be an integer >= 2, got {self.k!r}")
        if not isinstance(self.select, int | float) or not 0 < self.select < 1:
            out.append(f"folds.select must be a fraction in (0, 1), got {self.select!r}")
        if self.kind == "repeated" and (not isinstance(self.test, int | float) or not 0 < self.test < 1):
            out.append(f"folds.test must be a fraction in (0, 1) for repeated splits, got {self.test!r}")
        if self.kind == "kfold" and self.test is not None:
            out.append("folds.test applies to kind = \"repeated\" (k-fold tests on each fold in turn)")
        if self.kind == "repeated" and self.field is not None:
            out.append("folds.field applies to kind = \"kfold\" (repeated splits are drawn at random)")
        return out

    def describe(self) -> str:
        if self.kind == "repeated":
            return f"{self.k} repeated random splits (test {self.test:g})"
        return f"{self.k}-fold CV ({f'folds from {self.field!r}' if self.field else 'seeded folds'})"
