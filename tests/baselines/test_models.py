"""Every registered network: shapes for sequence/vector tasks and regression/classification, padding and
absent-modality invariance (properties), unimodal variants and config checks.

The network list is read from the registry (``NETWORKS``, filled by ``register_neural``) after every plug-in is
loaded, so a network added by a baseline or a paper is covered without editing this file; its tiny size comes
from ``tests/train/tiny.py`` when listed there, else from its defaults with the shared tiny training settings.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baselines.neural.common import NETWORKS
from harness.discovery import load_plugins
from harness.errors import UserError
from harness.models import get_model, resolve_config
from harness.train import ModalityInput, ModalitySpec
from tests.train.tiny import TINY, TINY_NETS, tiny_msa, tiny_views

load_plugins(import_all=True)  # every deferred plug-in module: papers may register networks too
MODELS = tuple(sorted(NETWORKS))

SPECS = [ModalitySpec("seq_a", 5, 9, True), ModalitySpec("seq_b", 3, 7, True), ModalitySpec("vec", 4, 1, False)]


def tiny_config(model: str, **overrides):
    """The network's config at its tiny size (defaults for a network without an entry in TINY_NETS)."""
    return get_model(model).config_cls(**(TINY | TINY_NETS.get(model, {}) | overrides))


def _network(model: str, out_dim: int = 3, **overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    return NETWORKS[model](SPECS, out_dim, tiny_config(model, **overrides)).eval()


def _batch(seed: int, lengths: dict[str, list[int]], steps: dict[str, int] | None = None,
           present: dict[str, bool] | None = None) -> dict[str, ModalityInput]:
    """Random valid steps and *random junk* in padded steps."""
    g = torch.Generator().manual_seed(seed)
    batch = {}
    for spec in SPECS:
        n = len(lengths["seq_a"])
        length = torch.tensor(lengths.get(spec.name, [1] * n))
        t = (steps or {}).get(spec.name, int(length.max()))
        x = torch.randn(n, t, spec.dim, generator=g)
        mask = torch.arange(t)[None, :] < length[:, None]
        flag = torch.full((n,), (present or {}).get(spec.name, True))
        batch[spec.name] = ModalityInput(x, mask, flag)
    return batch


def _replace_padding(batch, seed: int, extra_steps: int = 0):
    """Same valid steps; padded steps redrawn, plus ``extra_steps`` more padding at the end."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, inp in batch.items():
        n, t, d = inp.x.shape
        if t > 1 or extra_steps == 0:
            x = torch.cat([inp.x, torch.zeros(n, extra_steps if t > 1 else 0, d)], 1)
            mask = torch.cat([inp.mask, torch.zeros(n, x.shape[1] - t, dtype=torch.bool)], 1)
            x = torch.where(mask[..., None], x, 100 * torch.randn(x.shape, generator=g))
            out[name] = ModalityInput(x, mask, inp.present)
        else:
            out[name] = inp
    return out


lengths_strategy = st.integers(2, 4).flatmap(lambda n: st.fixed_dictionaries({
    "seq_a": st.lists(st.integers(1, 6), min_size=n, max_size=n),
    "seq_b": st.lists(st.integers(1, 4), min_size=n, max_size=n)}))  # + 3 extra padding steps <= max_len


# Every model at its tiny size, plus the variants that change how masks are used.
VARIANTS = [(m, {}) for m in MODELS] + [
    ("fusion-token", {"bottleneck": True, "modality_layers": 1, "n_fusion_tokens": 2}),
    ("fusion-token", {"stride": 1}), ("late-fusion", {"encoder": "lstm"}), ("tfn", {"encoder": "lstm"})]


@pytest.mark.parametrize(("model", "overrides"), VARIANTS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lengths=lengths_strategy, seed=st.integers(0, 2**16))
def test_padded_steps_never_change_the_output(model, overrides, lengths, seed):
    net = _network(model, **overrides)
    batch = _batch(seed, lengths)
    with torch.no_grad():
        clean = net(batch)
        junk = net(_replace_padding(batch, seed + 1, extra_steps=3))
    torch.testing.assert_close(junk, clean, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("model", "overrides"), VARIANTS)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lengths=lengths_strategy, seed=st.integers(0, 2**16), absent=st.sampled_from(["seq_a", "seq_b", "vec"]))
def test_an_absent_modality_has_no_influence(model, overrides, lengths, seed, absent):
    net = _network(model, **overrides)
    batch = _batch(seed, lengths, present={absent: False})
    other = dict(batch)
    inp = batch[absent]
    other[absent] = ModalityInput(torch.randn(inp.x.shape) * 10, inp.mask, inp.present)
    with torch.no_grad():
        torch.testing.assert_close(net(other), net(batch), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("data", ["sequence-regression", "vector-classification"])
def test_fit_and_predict_shapes(model, data):
    task, dataset = tiny_msa() if data == "sequence-regression" else tiny_views()
    built = get_model(model).build(task, dataset, tiny_config(model, epochs=1), 0)
    built.fit(dataset.split("train"), dataset.split("valid"))
    test = dataset.split("test")
    out = built.predict(test)
    if task.target_kind == "regression":
        assert out.shape == (len(test),)
    else:
        assert out.shape == (len(test), task.num_classes)
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(out).all() and built.info.n_parameters > 0
    missing = built.predict_with_missing(test, [task.modalities[0]])
    assert missing.shape == out.shape and np.isfinite(missing).all()


def test_binary_task_gets_two_class_scores():
    task, data = tiny_views(n_classes=2)
    model = get_model("late-fusion").build(task, data, tiny_config("late-fusion", epochs=1), 0)
    model.fit(data.split("train"), data.split("valid"))
    assert model.predict(data.split("test")).shape == (len(data.split("test")), 2)


def test_unimodal_variant_uses_only_its_modality():
    task, data = tiny_msa()
    model = get_model("fusion-token").build(task, data, tiny_config("fusion-token", modalities=("text",)), 0)
    assert [s.name for s in model.specs] == ["text"]
    model.fit(data.split("train"), data.split("valid"))
    test = data.split("test")
    np.testing.assert_array_equal(model.predict(test), model.predict_with_missing(test, ["audio", "vision"]))


def test_unknown_modality_is_a_user_error_naming_the_valid_ones():
    task, data = tiny_msa()
    config = resolve_config(get_model("lmf"), {"modalities": '["txt"]'})
    with pytest.raises(UserError, match="'text', 'audio', 'vision'"):
        get_model("lmf").build(task, data, config, 0)


def test_tfn_caps_the_tensor_size_for_many_modalities():
    from baselines.neural.tfn import TFNConfig, tensor_dim

    assert tensor_dim(TFNConfig(), 3) == 8  # 9^3 = 729 <= 4096
    assert tensor_dim(TFNConfig(), 6) == 3  # 4^6 = 4096
    with pytest.raises(UserError):
        tensor_dim(TFNConfig(max_tensor_size=1), 2)


@pytest.mark.parametrize("variant", [{"n_fusion_tokens": 3}, {"modality_layers": 1}, {"bottleneck": True}])
def test_fusion_token_variants_train(variant):
    task, data = tiny_msa()
    model = get_model("fusion-token").build(task, data, tiny_config("fusion-token", epochs=1, **variant), 0)
    model.fit(data.split("train"), data.split("valid"))
    assert np.isfinite(model.predict(data.split("test"))).all()


def test_the_tiny_settings_name_registered_networks_and_fields_they_accept():
    assert set(TINY_NETS) <= set(MODELS)
    for model, tiny in TINY_NETS.items():
        assert set(tiny) <= {f for f in get_model(model).config_cls.__dataclass_fields__}
