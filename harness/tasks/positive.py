"""A task's ``positive_class`` against its prepared data: why here and not in the data layer -- the check reads
the manifest (the data store), which the label rules used by prepare must not import."""

from __future__ import annotations


def positive_class_problems(positive: str | None, dataset: str) -> list[str]:
    """A task's ``positive_class`` must be the class binary metrics score as positive (id 1) in the data."""
    if positive is None:
        return []
    from harness.data.sources import DATASETS
    from harness.data.store import read_manifest

    entry = {} if DATASETS.get(dataset).embedded else read_manifest(dataset).get("notes", {}).get("labels", {})
    mapping = entry.get("label_map") or {"0": 0, "1": 1}  # without a map, labels are the class ids themselves
    if positive not in mapping:
        return [f"positive_class {positive!r} is not a label of dataset {dataset!r} (labels: {list(mapping)})"]
    if mapping[positive] != 1:
        return [f"positive_class {positive!r} is class id {mapping[positive]} in dataset {dataset!r}, but binary "
                f"metrics score class 1 as positive; declare positive_class = {positive!r} in its dataset.toml "
                "and prepare it again"]
    return []
