"""The chance-floor check: a leaderboard whose best row is the ``prior`` model has learned nothing from its inputs.

Why a warning and not an error: the numbers are honest, but a reader skimming rank 1 must be told that no model
beat predicting the training-label prior (the README's "Every leaderboard needs it").
"""

from __future__ import annotations

CHANCE_FLOOR = "prior"  # the model that ignores every input (baselines/prior.py)


def chance_floor_warning(board) -> str | None:
    """One line when the chance floor ranks first on the primary metric (ties count: nothing beat it), else None."""
    frame, task = board.frame, board.task
    if frame.empty or len(frame) < 2:
        return None
    column = f"{task.primary_metric}.mean"
    is_floor = frame["model"] == CHANCE_FLOOR
    if not is_floor.any():
        return None
    floor, others = frame.loc[is_floor, column].iloc[0], frame.loc[~is_floor, column]
    best = others.max() if task.higher_is_better else others.min()
    beaten = best > floor if task.higher_is_better else best < floor
    if beaten:
        return None
    return (f"{task.name}: the chance floor ({CHANCE_FLOOR}) ranks first on {task.primary_metric} "
            f"({floor:.4f}; best other model {best:.4f}): no model beat predicting the training-label prior")
