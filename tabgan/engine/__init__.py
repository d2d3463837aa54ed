"""The engine: the adversarial game on tensors, with no knowledge of any data domain.

Training loop and configuration (:mod:`.training`), losses (:mod:`.losses`), regularizers
(:mod:`.regularizers`), callbacks (:mod:`.callbacks`), checkpoint files
(:mod:`.serialization`), seeding and devices (:mod:`.utils`), plots of a run
(:mod:`.plotting`). It imports nothing from the layers above it (the estimator, the domain
adapters, the applications); ``tests/core/test_core_layers.py`` checks that.
"""
