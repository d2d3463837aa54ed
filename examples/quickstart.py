"""Quick start: learn the Palmer penguins table (344 rows, mixed types, NaN) and sample from it.

    python examples/quickstart.py            # 300 epochs, about a minute on 2 cores
    TABGAN_QUICK=1 python examples/quickstart.py   # a few epochs (CI)

Writes penguins_synthetic.csv and penguins_history.png into the current folder (or --out).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from palmerpenguins import load_penguins

from tabgan import GANSynthesizer


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("TABGAN_QUICK")))
    p.add_argument("--out", type=Path, default=Path("."))
    args = p.parse_args(argv)

    real = load_penguins()
    synth = GANSynthesizer(epochs=3 if args.quick else 300, random_state=0, verbose=not args.quick)
    synth.fit(real)
    fake = synth.sample(len(real))

    print(f"real: {real.shape}, synthetic: {fake.shape}")
    print(fake.head(8).to_string())
    print("\nspecies share  real:", real["species"].value_counts(normalize=True).round(2).to_dict())
    print("species share synth:", fake["species"].value_counts(normalize=True).round(2).to_dict())
    print(
        "missing bill_length_mm real/synth:",
        real["bill_length_mm"].isna().sum(),
        fake["bill_length_mm"].isna().sum(),
    )
    print("\nconditional sample, species='Gentoo':")
    print(synth.sample(3, conditions={"species": "Gentoo"}).to_string())

    args.out.mkdir(parents=True, exist_ok=True)
    fake.to_csv(args.out / "penguins_synthetic.csv", index=False)
    synth.plot_history(args.out / "penguins_history.png")
    print(f"\nwrote {args.out / 'penguins_synthetic.csv'} and {args.out / 'penguins_history.png'}")


if __name__ == "__main__":
    main()
