"""Robustness axis: seeded perturbations, the AUC definition, per-run evaluation and the CLI table."""

from __future__ import annotations

import numpy as np
import pytest

from harness.cli import main
from harness.models import get_model
from harness.robustness import NOISE_LEVELS, evaluate_robustness, noise_auc
from harness.robustness.evaluate import add_noise, zero_modality
from tests.train.tiny import tiny_config, tiny_msa, tiny_views


def test_noise_is_seeded_and_leaves_padding_alone():
    _, data = tiny_msa()
    split = data.split("test")
    a, b = (add_noise(split, ["audio"], 0.5, np.random.default_rng([0, 2])) for _ in range(2))
    c = add_noise(split, ["audio"], 0.5, np.random.default_rng([1, 2]))
    np.testing.assert_array_equal(a.features["audio"], b.features["audio"])
    assert not np.array_equal(a.features["audio"], c.features["audio"])
    padded = ~split.mask("audio")
    assert (a.features["audio"][padded] == 0).all()
    np.testing.assert_array_equal(a.features["text"], split.features["text"])  # only the listed modalities
    zero = add_noise(split, ["audio"], 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(zero.features["audio"], split.features["audio"])


def test_noise_scale_follows_each_features_sd():
    _, data = tiny_views()
    split = data.split("test")
    noisy = add_noise(split, ["left"], 1.0, np.random.default_rng(0))
    ratio = (noisy.features["left"] - split.features["left"]).std(0) / split.features["left"].std(0)
    np.testing.assert_allclose(ratio, 1.0, atol=0.3)  # 48 samples per feature


def test_zeroing_touches_one_modality():
    _, data = tiny_msa()
    split = data.split("test")
    out = zero_modality(split, "vision")
    assert (out.features["vision"] == 0).all()
    np.testing.assert_array_equal(out.features["text"], split.features["text"])
    np.testing.assert_array_equal(out.lengths["vision"], split.lengths["vision"])


def test_noise_auc_is_the_mean_score_over_the_level_range():
    levels = (0.0, 0.5, 2.0)
    assert noise_auc(levels, [0.7, 0.7, 0.7]) == pytest.approx(0.7)
    assert noise_auc((0.0, 2.0), [1.0, 0.0]) == pytest.approx(0.5)
    assert noise_auc(levels, [1.0, 1.0, 0.0]) == pytest.approx((0.5 * 1.0 + 1.5 * 0.5) / 2.0)


def test_neural_model_gets_zeros_mask_and_noise_conditions():
    task, data = tiny_msa()
    model = get_model("late-fusion").build(task, data, tiny_config("late-fusion"), 0)
    model.fit(data.split("train"), data.split("valid"))
    result = evaluate_robustness(model, task, data.split("test"), seed=0)
    assert set(result["zeros"]) == set(result["mask"]) == set(task.modalities)
    assert result["noise_levels"] == list(NOISE_LEVELS) and len(result["noise"]) == len(NOISE_LEVELS)
    assert result["noise"][0] == result["clean"]
    assert result == evaluate_robustness(model, task, data.split("test"), seed=0)


def test_models_without_masking_report_only_zeros():
    task, data = tiny_views()
    model = get_model("linear-early").build(task, data, get_model("linear-early").config_cls(), 0)
    model.fit(data.split("train"), data.split("valid"))
    result = evaluate_robustness(model, task, data.split("test"), seed=0)
    assert result["mask"] == {} and set(result["zeros"]) == {"left", "right"}


def test_cli_writes_the_robustness_table(tmp_path):
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "tiny-robust.toml").write_text(
        'seeds = [0]\n[[group]]\ntasks = ["synth-msa"]\nmodels = ["linear-early"]\n'
        '[[group]]\ntasks = ["synth-msa"]\nmodels = ["late-fusion"]\nset = { epochs = 1 }\n')
    results = tmp_path / "results"
    code = main(["-q", "--results", str(results), "--include-path", str(suites), "robustness",
                 "--task", "synth-msa", "--suite", "tiny-robust"])
    assert code == 0
    text = (results / "robustness" / "synth-msa.md").read_text()
    assert "## One modality removed" in text and "## Gaussian noise on all modalities" in text
    assert "| late-fusion[epochs=1] |" in text and "| linear-early " in text
    assert "-audio mask" in text and "σ=0.25" in text


def test_cli_says_how_to_prepare_missing_data(tmp_path, capsys):
    assert main(["--results", str(tmp_path), "robustness", "--task", "mfeat", "--suite", "default"]) == 2
    assert "mmrepro data prepare mfeat" in capsys.readouterr().err
