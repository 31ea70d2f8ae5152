"""MMSA reference package: thuiar/MMSA's published MOSI/MOSEI results as claims, judged against our own baselines.

It registers no model: its runs use ``tfn``, ``lmf``, ``mult``, ``early-fusion`` and ``late-fusion`` from
``baselines``. The table it registers is what other claims on ``mosi-senti`` / ``mosei-senti`` are read against.
"""
