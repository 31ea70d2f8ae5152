"""Reference models, one module each; importing the package registers them."""

from baselines import neural, prior, retrieval, sklearn_fusion  # noqa: F401
