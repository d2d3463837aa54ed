"""The estimator: the adapter contract and registry, ``GANSynthesizer``, the ``vector`` adapter.

Built on :mod:`tabgan.engine`; it knows no domain adapter by name (``tabgan.plugins`` adapters
are found through entry points like any third-party one) and no application.
"""
