"""OmniVec2 in miniature: tokens, the train-only cross-attention, pair sampling, and stages that resume."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.data.dataset import Split
from harness.errors import UserError
from harness.train.checkpoint import StageStore
from reproductions.omnivec2.config import NetShape, NoStage2Config, OmniVec2Config, SingleTaskConfig
from reproductions.omnivec2.network import OmniVec2Net
from reproductions.omnivec2.stages import (
    PairSampler,
    StageInterrupted,
    SuiteTensors,
    TaskTensors,
    allowed_pairs,
    predict_task,
    run_stages,
)
from reproductions.omnivec2.tokens import StreamShape, _patches, _segments, raw_tokens

REPO = Path(__file__).resolve().parents[2]
TINY = dict(s1_epochs=1, s1_steps=3, s2_epochs=1, s2_steps=3, s3_epochs=2, s3_steps=3, batch_size=8,
            width=16, reduced=8, heads=2, f_layers=1, g_layers=1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_suite() -> SuiteTensors:
    """Two synthetic tasks: 'pair' with two streams (seq + vec), 'solo' with one (vec); labels carried by x."""
    rng = np.random.default_rng(0)

    def task(name: str, modalities: dict[str, tuple[int, int]], classes: int, n: int = 40) -> TaskTensors:
        y = rng.integers(0, classes, n)
        yv = rng.integers(0, classes, 20)
        make = {m: (lambda k, shape=s: torch.as_tensor(rng.standard_normal((k, *shape)), dtype=torch.float32))
                for m, s in modalities.items()}
        train = {m: f(n) + torch.as_tensor(y, dtype=torch.float32)[:, None, None] for m, f in make.items()}
        valid = {m: f(20) + torch.as_tensor(yv, dtype=torch.float32)[:, None, None] for m, f in make.items()}
        return TaskTensors(name, tuple(modalities), classes, train, torch.as_tensor(y), valid, yv,
                           lambda t, p: float((p.argmax(1) == t).mean()))

    tasks = [task("pair", {"seq": (5, 3), "vec": (4, 6)}, 3), task("solo", {"vec": (4, 6)}, 2)]
    return SuiteTensors(tasks, {"seq": StreamShape(5, 3, False), "vec": StreamShape(4, 6, True)})


def tiny_net(suite: SuiteTensors, config: OmniVec2Config) -> OmniVec2Net:
    torch.manual_seed(0)
    heads = {(t.name, m): t.n_classes for t in suite.tasks for m in t.modalities}
    return OmniVec2Net(suite.shapes, heads, config.net_shape())


def staged(root: str, stages: str = "full", fail_before: str | None = None, **changes) -> np.ndarray:
    """Train the tiny net through the stages into ``root``; the flat weights (called again in a new process)."""
    config = (OmniVec2Config if stages == "full" else NoStage2Config)(**{**TINY, **changes})
    suite = tiny_suite()
    net = tiny_net(suite, config)
    run_stages(net, suite, config.plans(), 0, StageStore(Path(root)), {"tiny": True}, fail_before)
    return torch.cat([p.detach().flatten() for p in net.parameters()]).numpy()


# ---- tokens ------------------------------------------------------------------------------------------------

def test_audio_segments_average_the_valid_frames_only() -> None:
    x = np.arange(2 * 8 * 1, dtype=np.float32).reshape(2, 8, 1)
    out = _segments(x, np.array([8, 4]), 4)
    assert out[0, :, 0].tolist() == [0.5, 2.5, 4.5, 6.5]  # pairs of frames
    assert out[1, :, 0].tolist() == [8.0, 9.0, 10.0, 11.0]  # one valid frame each; padding never read


def test_image_patches_are_2x2_blocks() -> None:
    img = np.arange(16, dtype=np.float32).reshape(1, 16)  # a 4x4 image
    assert _patches(img, 2)[0, 0].tolist() == [0, 1, 4, 5] and _patches(img, 2).shape == (1, 4, 4)


def test_tabular_views_become_one_zero_padded_token_each() -> None:
    split = Split(ids=np.arange(2), labels=np.zeros(2, int),
                  features={"a": np.ones((2, 3), np.float32), "b": np.full((2, 1), 2.0, np.float32)})
    tokens = raw_tokens(split, ("a", "b"), "tabular", 16, 48)
    assert tokens.shape == (2, 2, 3) and tokens[0, 1].tolist() == [2.0, 0.0, 0.0]


# ---- the train-only cross-attention ------------------------------------------------------------------------

def test_single_stream_inference_never_touches_the_cross_attention() -> None:
    suite = tiny_suite()
    net = tiny_net(suite, OmniVec2Config(**TINY))
    task = suite.tasks[0]
    before = predict_task(net, task, task.valid, two_stream=False)
    calls = []
    net.cross.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        for p in net.cross.parameters():
            p.fill_(float("nan"))
    after = predict_task(net, task, task.valid, two_stream=False)
    assert not calls and np.array_equal(before, after)  # NaN weights unused, module never called
    with pytest.raises(Exception, match="NaN"):  # the two-stream arm does use them: the check can fail
        predict_task(net, task, task.valid, two_stream=True)
    assert calls


# ---- pair sampling -----------------------------------------------------------------------------------------

def test_pairs_of_one_task_are_aligned_and_others_independent() -> None:
    suite = tiny_suite()  # sources: 0 pair/seq, 1 pair/vec, 2 solo/vec
    assert allowed_pairs(suite, supervised=False) == [(0, 1), (0, 2)]  # pre-training: different modalities
    assert allowed_pairs(suite, supervised=True) == [(0, 1), (0, 2), (1, 2)]  # multitask: task or modality
    solo = SuiteTensors(suite.tasks[1:], suite.shapes)
    assert allowed_pairs(solo, supervised=True) == [(0, 0)]  # one stream: two batches of itself
    sampler = PairSampler(suite, ((0, 1),), 8, 5, "uniform")
    for index in sampler.batches(0, np.random.default_rng(0)):
        assert np.array_equal(index[:, 1], index[:, 3])  # the same samples in both streams


# ---- stages: resumable, keyed by their settings ------------------------------------------------------------

def test_a_stage_resumes_in_a_new_process_and_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    straight = staged(str(tmp_path / "straight"))
    with pytest.raises(StageInterrupted):
        staged(str(tmp_path / "resumed"), fail_before="masked-paired")
    store = StageStore(tmp_path / "resumed")
    assert store.keys("masked-single") and not store.keys("masked-paired")
    out = tmp_path / "resumed.npy"
    code = ("import numpy as np, torch; torch.set_num_threads(1)\n"
            "from tests.reproductions.test_omnivec2 import staged\n"
            f"np.save({str(out)!r}, staged({str(tmp_path / 'resumed')!r}))\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    assert np.array_equal(np.load(out), straight)  # bit-identical on CPU
    # the same stage-1 checkpoint serves the arm without stage 2: it resumes, then trains stage 3 only
    assert staged(str(tmp_path / "resumed"), stages="no-stage2").shape == straight.shape
    assert len(store.keys("masked-single")) == 1 and len(store.keys("multitask")) == 2


def test_a_changed_setting_never_resumes_a_stale_stage(tmp_path: Path) -> None:
    staged(str(tmp_path))
    staged(str(tmp_path), mask_ratio=0.25)  # stage 1 changed: every later stage retrains
    store = StageStore(tmp_path)
    assert [len(store.keys(s)) for s in ("masked-single", "masked-paired", "multitask")] == [2, 2, 2]
    staged(str(tmp_path), s3_lr=5e-4)  # only stage 3 changed
    assert [len(store.keys(s)) for s in ("masked-single", "masked-paired", "multitask")] == [2, 2, 3]


def test_config_refuses_unknown_choices() -> None:
    with pytest.raises(UserError, match="mask_target"):
        OmniVec2Config(mask_target="pixels")
    with pytest.raises(UserError, match="end"):
        OmniVec2Config(stages=("masked-single",)).plans()
    assert [p.name for p in SingleTaskConfig().plans()] == ["multitask"]


def test_net_shape_is_within_the_brief() -> None:
    shape = OmniVec2Config().net_shape()
    assert isinstance(shape, NetShape) and 64 <= shape.reduced <= shape.width <= 128
    assert 2 <= shape.f_layers + shape.g_layers <= 4
