"""mmrepro: the engine. Knows nothing about any particular paper."""

__version__ = "0.1.0"
