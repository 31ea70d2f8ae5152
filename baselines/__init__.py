"""Reference models, one module each; importing the package registers them."""

from baselines import prior, sklearn_fusion  # noqa: F401
