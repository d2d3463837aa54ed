"""Declared constraints: business rules that hold in every generated row, by construction.

    python examples/constraints.py                  # 300 epochs, about a minute on 2 cores
    TABGAN_QUICK=1 python examples/constraints.py   # a few epochs (CI)

A table of orders (made up here, nothing downloads) with four rules: the delivery comes after
the order, the discount never exceeds the price, a city lies in its country, and the total is
quantity * (price - discount). Every sampled row satisfies all four, also under conditions.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
import pandas as pd

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import (
    FixedCombinations,
    Formula,
    Inequality,
    Positive,
    constraint_satisfaction,
)

CITIES = {"Paris": "FR", "Lyon": "FR", "Berlin": "DE", "Munich": "DE", "Milan": "IT"}


def orders(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = pd.to_timedelta(rng.integers(0, 365 * 24, n), "h")
    ordered = (pd.Timestamp("2024-01-01") + hours).astype("datetime64[s]")
    price = rng.integers(500, 5000, n) / 100
    discount = np.round(price * rng.choice([0.0, 0.1, 0.2], n), 2)
    quantity = rng.integers(1, 6, n)
    city = rng.choice(list(CITIES), n)
    return pd.DataFrame(
        {
            "ordered": ordered,
            "delivered": ordered + pd.to_timedelta(rng.integers(4, 24 * 7, n), "h"),
            "city": city,
            "country": [CITIES[c] for c in city],
            "price": price,
            "discount": discount,
            "quantity": quantity,
            "total": np.round(quantity * (price - discount), 2),
        }
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("TABGAN_QUICK")))
    args = p.parse_args(argv)

    real = orders()
    constraints = [
        Inequality("ordered", "delivered", strict=True),  # delivered after ordered
        Inequality("discount", "price"),  # 0 <= discount <= price, with the next one
        Positive("discount"),
        FixedCombinations(["city", "country"]),  # only the (city, country) pairs seen
        Formula("total", "round(quantity * (price - discount), 2)"),
    ]
    synth = GANSynthesizer(epochs=3 if args.quick else 300, random_state=0, verbose=False)
    synth.fit(real, constraints=constraints)  # a violating training row would be named here

    fake = synth.sample(10_000)
    print(fake.head(5).to_string())
    print("\nshare of rows satisfying each constraint:")
    for rule, share in constraint_satisfaction(fake, constraints, reference=real).items():
        print(f"  {share:.0%}  {rule}")
        assert share == 1.0

    # conditions keep every rule: ordered is drawn to fit the delivery date asked for
    late = synth.sample(1000, conditions={"delivered": pd.Timestamp("2024-06-01 12:00")})
    assert (late["ordered"] < late["delivered"]).all()
    german = synth.sample(1000, conditions={"country": "DE"})  # Berlin or Munich
    assert set(german["city"]) <= {"Berlin", "Munich"}

    with tempfile.TemporaryDirectory() as tmp:  # saved as JSON with the model, no pickle
        synth.save(f"{tmp}/orders")
        again = GANSynthesizer.load(f"{tmp}/orders")
        print("\nafter load:", [c.describe() for c in again.adapter_.constraints_])


if __name__ == "__main__":
    main()
