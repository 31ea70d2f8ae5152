"""Reusable self-supervised pieces: contrastive losses, batched image augmentations, frozen-encoder features
(with an in-process encoder cache) and frozen-feature probes. Training itself goes through ``harness.train``
(a ``TrainStep`` per method, ``sgd_warmup_cosine`` for the usual SimCLR-style schedule)."""
