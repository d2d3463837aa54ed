"""`tabgan.augmentation` imports without imbalanced-learn; only `GANOverSampler` needs it."""

import subprocess
import sys

# None in sys.modules makes `import imblearn` fail as if not installed.
BLOCKED = "import sys; sys.modules['imblearn'] = None; "


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKED + code], capture_output=True, text=True)


def test_augmentation_imports_without_imblearn():
    done = _run(
        "import tabgan.augmentation as a; "
        "assert 'imblearn' not in [m for m in sys.modules if sys.modules[m] is not None]; "
        "print(a.GANAugmentedEstimator.__name__)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "GANAugmentedEstimator"


def test_the_oversampler_without_imblearn_names_the_extra():
    done = _run("from tabgan.augmentation import GANOverSampler")
    assert done.returncode != 0
    assert "tabgan-engine[augment]" in done.stderr


def test_the_oversampler_loads_with_imblearn():
    from imblearn.over_sampling.base import BaseOverSampler

    from tabgan.augmentation import GANOverSampler

    assert issubclass(GANOverSampler, BaseOverSampler)
