"""Reference models, one module each. Each module registers its models when imported; this package names them for
lazy import (:func:`harness.discovery.defer`): a command imports only the modules whose models it uses, so
``mmrepro tasks`` does not import torch or scikit-learn."""

from harness import discovery

for _module in ("prior", "sklearn_fusion", "retrieval", "neural"):
    discovery.defer(f"{__name__}.{_module}")
