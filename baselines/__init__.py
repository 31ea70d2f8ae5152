"""Reference models, one module each; importing the package registers them."""

from baselines import prior, retrieval, sklearn_fusion  # noqa: F401
