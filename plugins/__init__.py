"""Domain adapters shipped with tabgan; installed as ``tabgan.plugins``.

Each adapter is offered through the entry-point group ``tabgan.adapters`` (see
pyproject.toml), so ``GANSynthesizer(adapter="tabular")`` loads it on first use.
"""
