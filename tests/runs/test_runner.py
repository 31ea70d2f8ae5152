"""Runs: cache keys, records, atomic writes, failure handling and determinism."""

from __future__ import annotations

import dataclasses
import json
import resource
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.errors import UserError
from harness.models import MODELS, FitInfo, register_model
from harness.runs.migrate import legacy_path
from harness.runs.record import SCHEMA_VERSION, RecordError
from harness.runs.runner import execute, plan_run
from harness.runs.spec import RunSpec
from harness.runs.store import load_predictions, read_record, record_path, write_record
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


@dataclass(frozen=True)
class _NaNConfig:
    pass


class _NaNModel:
    info = FitInfo()

    def fit(self, train, valid) -> None:
        pass

    def predict(self, split) -> np.ndarray:
        return np.full((len(split), 2), np.nan)


class _GpuClaimingModel:
    """Says it trained on a GPU in bf16 although planned on this CPU: its record must not be filed as a CPU run."""

    info = FitInfo(device="cuda:0", precision="bf16")

    def fit(self, train, valid) -> None:
        pass

    def predict(self, split) -> np.ndarray:
        return np.zeros((len(split), 2))


class _NumpyExtrasModel(_GpuClaimingModel):
    """Reports a numpy integer in its extras, which JSON cannot hold."""

    info = FitInfo(extras={"steps": np.int64(3)})


@pytest.fixture(scope="module", autouse=True)
def _test_models():
    for name, cls in (("test-nan", _NaNModel), ("test-gpu-claim", _GpuClaimingModel),
                      ("test-numpy-extras", _NumpyExtrasModel)):
        register_model(name, config=_NaNConfig, description=name, target_kinds=("binary",))(
            lambda task, data, config, seed, cls=cls: cls())
    yield
    for name in ("test-nan", "test-gpu-claim", "test-numpy-extras"):
        MODELS.remove(name)


def _perturbed(value):
    """A different value of the same JSON type (a changed field must change the cache key)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dict):
        return {**value, "perturbed": 1}
    if value is None:  # an optional field (e.g. fold) set at all is a different run
        return 1
    raise AssertionError(f"no perturbation for {type(value).__name__}: extend _perturbed for the new field")


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(RunSpec)])
def test_every_spec_field_changes_the_run_id(field: str) -> None:
    """Generated from the dataclass: a field added to RunSpec is covered without editing this test."""
    base = plan_run(TASK, "late-fusion", 0)
    changed = dataclasses.replace(base, **{field: _perturbed(getattr(base, field))})
    assert changed.run_id != base.run_id


def test_every_config_setting_changes_the_run_id() -> None:
    base = plan_run(TASK, "late-fusion", 0)
    ids = {base.run_id}
    for key, value in base.config.items():
        new = [*value, 1] if isinstance(value, list) else _perturbed(value) if value is not None else 1
        ids.add(dataclasses.replace(base, config={**base.config, key: new}).run_id)
    assert len(ids) == len(base.config) + 1


def test_run_id_is_stable_and_ignores_key_order() -> None:
    base = plan_run(TASK, "linear-early", 0)
    assert plan_run(TASK, "linear-early", 0).run_id == base.run_id
    reordered = dataclasses.replace(base, config=dict(reversed(list(base.config.items()))))
    assert reordered.run_id == base.run_id
    assert RunSpec(**json.loads(json.dumps(dataclasses.asdict(base)))).run_id == base.run_id


def test_precision_auto_is_resolved_into_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The v1 bug: precision="auto" let a CPU (fp32) and a GPU (bf16) run share one run id."""
    cpu = plan_run(TASK, "late-fusion", 0)
    assert (cpu.device_class, cpu.precision) == ("cpu", "fp32") and cpu.config["precision"] == "auto"
    # resolve_execution imports select_device from harness.train.device when called (torch only when needed)
    monkeypatch.setattr("harness.train.device.select_device", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    gpu = plan_run(TASK, "late-fusion", 0)
    assert (gpu.device_class, gpu.precision) == ("cuda", "bf16")
    assert gpu.run_id != cpu.run_id
    sklearn = plan_run(TASK, "linear-early", 0)  # no precision setting: computes on the CPU wherever it runs
    assert (sklearn.device_class, sklearn.precision) == ("cpu", "fp32")


def test_explicit_precision_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = plan_run(TASK, "late-fusion", 0, {"precision": "bf16"})
    assert (spec.device_class, spec.precision) == ("cpu", "bf16")


def test_a_run_that_contradicts_its_planned_device_fails(tmp_path: Path) -> None:
    record = execute(plan_run(TASK, "test-gpu-claim", 0), tmp_path)
    assert not record.ok and "planned" in record.reason and "cuda/bf16" in record.reason
    assert record.metrics == {}


def test_a_record_the_schema_cannot_hold_is_written_as_a_failure(tmp_path: Path) -> None:
    spec = plan_run(TASK, "test-numpy-extras", 0)
    record = execute(spec, tmp_path)
    assert not record.ok and record.reason.startswith("record schema: not JSON-encodable")
    assert read_record(record_path(tmp_path, spec)) == record, "what is written can be read back"


def test_a_malformed_cached_record_is_refused_until_forced(tmp_path: Path) -> None:
    spec = plan_run(TASK, "prior", 0)
    path = record_path(tmp_path, spec)
    path.parent.mkdir(parents=True)
    path.write_text("{ truncated")
    with pytest.raises(RecordError, match=r"not a JSON object .*; rerun with --force to replace it"):
        execute(spec, tmp_path)
    assert execute(spec, tmp_path, force=True).ok and read_record(path).ok


def test_an_unmigrated_v1_record_stops_the_run_instead_of_retraining(tmp_path: Path) -> None:
    spec = plan_run(TASK, "prior", 0)
    legacy = legacy_path(record_path(tmp_path, spec), spec)
    assert legacy.stem != spec.run_id
    legacy.parent.mkdir(parents=True)
    legacy.write_text("{}")
    with pytest.raises(UserError, match="schema-1 record; migrate the results first: mmrepro records migrate"):
        execute(spec, tmp_path)
    assert execute(spec, tmp_path, force=True).ok


def test_record_has_schema_metrics_and_predictions(tmp_path: Path) -> None:
    spec = plan_run(TASK, "linear-early", 0)
    record = execute(spec, tmp_path)
    on_disk = json.loads(record_path(tmp_path, spec).read_text())
    assert on_disk["status"] == "ok" and on_disk["schema_version"] == SCHEMA_VERSION == 2
    assert "cached" not in on_disk, "cached describes a read, not the run"
    assert set(on_disk["metrics"]) == {"valid", "test"}
    assert set(on_disk["metrics"]["test"]) == set(TASK.metrics)
    assert on_disk["provenance"]["packages"]["numpy"] == np.__version__
    assert read_record(record_path(tmp_path, spec)) == record
    assert on_disk["predictions"] == f"{spec.run_id}.pred.npz"
    assert (record_path(tmp_path, spec).parent / on_disk["predictions"]).is_file()
    predictions = load_predictions(tmp_path, record)
    assert predictions.split == "test" and len(predictions) == 114 and predictions.output().shape == (114, 2)
    assert record.metrics["test"]["accuracy"] == np.mean(predictions.argmax() == predictions.targets)
    leftovers = [p for p in tmp_path.rglob(".*") if p.is_file()]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_crash_mid_write_leaves_the_previous_record_intact(tmp_path: Path) -> None:
    """A real partial write: the file-size limit makes the kernel refuse the write part-way (EFBIG)."""
    spec = plan_run(TASK, "prior", 0)
    old = execute(spec, tmp_path)
    path = record_path(tmp_path, spec)
    before = path.read_bytes()
    bigger = dataclasses.replace(old, history=[{"epoch": float(i), "loss": 0.5} for i in range(5000)])
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 4096, hard))
    try:
        with pytest.raises(OSError):
            write_record(path, bigger, None)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert path.read_bytes() == before
    assert read_record(path) == old
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()], "the partial temporary file must be removed"


def test_finished_run_is_cached_unless_forced(tmp_path: Path) -> None:
    spec = plan_run(TASK, "prior", 0)
    first = execute(spec, tmp_path)
    assert not first.cached
    assert execute(spec, tmp_path).cached
    assert not execute(spec, tmp_path, force=True).cached


def test_nan_predictions_fail_the_run_and_are_not_cached(tmp_path: Path) -> None:
    spec = plan_run(TASK, "test-nan", 0)
    record = execute(spec, tmp_path)
    assert record.status == "failed" and "non-finite" in record.reason
    assert record.metrics == {} and record.robustness is None
    assert read_record(record_path(tmp_path, spec)).status == "failed"
    assert not execute(spec, tmp_path).cached, "a failed run must be retried, not served from cache"


def test_same_seed_gives_identical_metrics(tmp_path: Path) -> None:
    spec = plan_run(get_task("synth-msa"), "mlp-early", 3, {"max_iter": "20"})
    a = execute(spec, tmp_path / "a").metrics
    b = execute(spec, tmp_path / "b").metrics
    assert a == b
