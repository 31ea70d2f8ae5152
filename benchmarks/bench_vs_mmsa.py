"""Epoch time of our ``mult`` (through the Trainer) vs MMSA 2.2.1's MulT (through MMSA's own loader and
trainer) on identical data in MMSA's pickle layout, on CPU (issue 4, benchmark c).

Data: ``synth-msa`` exported with ``harness.data.mmsa_pickle.write`` (the unaligned_50.pkl layout); MMSA
reads that file with its own ``MMDataLoader``, we read the same file with ``mmsa_pickle.read``. Both models
use MMSA's MOSEI MulT sizes (d=30, 6 heads, 4 crossmodal layers, 3 self-attention layers, 4d feed-forward)
at the same batch size, one optimizer step per batch (MMSA's ``update_epochs=1``). Only training time is
compared: MMSA's loop is timed by wrapping the tqdm it iterates the training loader with, ours from the
Trainer's history.

MMSA is not a project dependency. Install it beside the project, not into it:
    pip install --no-deps --target /tmp/mmsa_pkgs MMSA==2.2.1 easydict nvidia-ml-py3
    PYTHONPATH=/tmp/mmsa_pkgs python benchmarks/bench_vs_mmsa.py [--epochs 3] [--batch-size 32]
Differences that remain (documented, not hidden): MMSA's MulT attends over padded steps and reads the last
*padded* step; ours masks padding and reads the last valid step. MMSA projects with Conv1d kernels 5/1/3,
ours with kernel 1.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
from pathlib import Path

import torch

from harness.data import mmsa_pickle
from harness.data.synthetic_msa import generate
from harness.models import get_model, resolve_config
from harness.seeding import seed_everything
from harness.tasks import get_task

# MMSA's MOSEI MulT config has no residual/feed-forward/embedding dropout; ours is off too (MMSA keeps its
# attention dropout on the text stream and its output dropout).
OURS = {"d_model": "30", "n_heads": "6", "cross_layers": "4", "self_layers": "3", "ff_mult": "4", "stride": "1",
        "dropout": "0.0"}


class _Stop(Exception):
    """Raised inside MMSA's loop once enough training epochs were timed."""


def time_mmsa(path: Path, epochs: int, batch_size: int, workdir: Path) -> tuple[list[float], int]:
    from MMSA.config import get_config_regression
    from MMSA.data_loader import MMDataLoader
    from MMSA.models import AMIO
    from MMSA.trains import ATIO
    from MMSA.utils import count_parameters, setup_seed

    # The package re-exports the class under the module's name, so fetch the module itself.
    mmsa_trainer = importlib.import_module("MMSA.trains.singleTask.MULT")
    args = get_config_regression("mult", "mosei")
    args.update(featurePath=str(path), device=torch.device("cpu"), batch_size=batch_size, update_epochs=1,
                train_mode="regression", custom_feature=None, feature_T=None, feature_A=None, feature_V=None,
                model_save_path=workdir / "mult-mosei.pth", cur_seed=1)
    setup_seed(1111)
    loaders = MMDataLoader(args, num_workers=0)
    model = AMIO(args)
    times: list[float] = []
    real_tqdm = mmsa_trainer.tqdm

    class TimedTqdm(real_tqdm):  # times each full pass over the *training* loader
        def __iter__(self):
            train = self.iterable is loaders["train"]
            if train and len(times) == epochs:
                raise _Stop
            start = time.perf_counter()
            yield from super().__iter__()
            if train:
                times.append(time.perf_counter() - start)

    mmsa_trainer.tqdm = TimedTqdm
    if "verbose" in mmsa_trainer.ReduceLROnPlateau.__init__.__code__.co_varnames:
        scheduler = mmsa_trainer.ReduceLROnPlateau
    else:  # torch removed ReduceLROnPlateau(verbose=...), which MMSA 2.2.1 passes
        def scheduler(*a, verbose=None, **k):
            return torch.optim.lr_scheduler.ReduceLROnPlateau(*a, **k)
    mmsa_trainer.ReduceLROnPlateau = scheduler
    try:
        ATIO().getTrain(args).do_train(model, loaders)
    except _Stop:
        pass
    finally:
        mmsa_trainer.tqdm = real_tqdm
    return times, count_parameters(model)


def time_ours(path: Path, epochs: int, batch_size: int) -> tuple[list[float], int]:
    data = mmsa_pickle.read(path, name="synth_msa").dataset
    config = resolve_config(get_model("mult"), OURS | {"batch_size": str(batch_size), "epochs": str(epochs),
                                                       "patience": str(epochs)})
    seed_everything(0)
    model = get_model("mult").build(get_task("synth-msa"), data, config, 0)
    model.trainer.progress = False
    model.fit(data.split("train"), data.split("valid"))
    return [h["train_time_s"] for h in model.info.history], model.info.n_parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework (the first is dropped)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = mmsa_pickle.write(generate(), Path(tmp) / "unaligned_50.pkl")
        ours, ours_params = time_ours(path, args.epochs, args.batch_size)
        theirs, theirs_params = time_mmsa(path, args.epochs, args.batch_size, Path(tmp))
    o, t = statistics.median(ours[1:] or ours), statistics.median(theirs[1:] or theirs)
    print(f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}; synth-msa in MMSA's pickle layout, "
          f"batch {args.batch_size}")
    print(f"ours  mult  {ours_params:>8,} params  {o:.2f} s/epoch  (all: {', '.join(f'{x:.2f}' for x in ours)})")
    print(f"MMSA  MULT  {theirs_params:>8,} params  {t:.2f} s/epoch  (all: {', '.join(f'{x:.2f}' for x in theirs)})")
    print(f"ratio MMSA/ours = {t / o:.2f}")


if __name__ == "__main__":
    main()
