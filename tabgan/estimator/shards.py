"""Sharded sampling: ``n`` rows written as Parquet shards that any scheduler can run anywhere.

``n`` rows are split into ``num_shards`` shards of nearly equal size (the first ``n %
num_shards`` one row longer). Shard ``i`` is drawn in row groups of ``rows_per_group`` rows, row
group ``j`` from the seed ``derive_seed(derive_seed(base, i), j)`` (numpy ``SeedSequence``
children), where ``base`` is the ``random_state`` given, or one derived from the model's own
seed. A shard therefore depends only on the model, the settings and its index: running the
shards in one process, in ``jobs`` local processes, as a Slurm array, Kubernetes jobs or Ray
tasks gives the same files, byte for byte the same rows.

The folder holds ``part-00000-of-00200.parquet`` ... and ``_manifest.json`` (the settings and
the model's fingerprint). A shard is written to a hidden temporary name and renamed into place
(an atomic rename), so a file under its final name is complete: a rerun skips the shards that
are there and writes the rest; a crashed run leaves at worst a hidden temporary file. A folder
whose manifest describes another run (another model, ``n``, seed...) is refused.
``pandas.read_parquet(folder)`` or ``pyarrow.dataset.dataset(folder)`` reads the result (they
skip names that start with ``_`` or ``.``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.utils import derive_seed, seed_from_random_state

if TYPE_CHECKING:
    from .synthesizer import GANSynthesizer

__all__ = [
    "DEFAULT_ROWS_PER_GROUP",
    "MANIFEST",
    "ShardReport",
    "ShardSpec",
    "require_pyarrow",
    "sample_shards",
    "shard_name",
    "shard_seed",
    "shard_sizes",
]

#: Rows drawn (and written as one Parquet row group) at a time: bounds a shard's memory.
DEFAULT_ROWS_PER_GROUP = 100_000
#: The run's settings, beside the shards.
MANIFEST = "_manifest.json"
MANIFEST_FORMAT = 1
#: The purpose key of the shard seeds among the model seed's children (see ``derive_seed``).
_SHARD_KEY = 6


def require_pyarrow() -> Any:
    """``pyarrow`` (``pyarrow.parquet`` loaded), or an ImportError saying what to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "Parquet shards and streamed tables need pyarrow: pip install 'tabgan-engine[scale]' "
            f"(or pip install pyarrow). ({exc})"
        ) from None
    return pa


def shard_sizes(n: int, num_shards: int) -> list[int]:
    """Rows of each shard: ``n`` split as evenly as possible, the longer shards first."""
    base, extra = divmod(n, num_shards)
    return [base + (i < extra) for i in range(num_shards)]


def shard_seed(base_seed: int, index: int) -> int:
    """The seed of shard ``index`` (a ``SeedSequence`` child of ``base_seed``)."""
    return derive_seed(base_seed, index)


def shard_name(index: int, num_shards: int) -> str:
    return f"part-{index:05d}-of-{num_shards:05d}.parquet"


@dataclass(frozen=True)
class ShardSpec:
    """What one shard is: everything its rows depend on, besides the model."""

    index: int
    rows: int
    seed: int
    rows_per_group: int
    conditions: Mapping[str, Any] | None
    batch_size: int | None
    drop_copies: bool


@dataclass(frozen=True)
class ShardReport:
    """What a call did: the shard files it wrote and those it found finished and skipped."""

    folder: Path
    num_shards: int
    written: tuple[int, ...]
    skipped: tuple[int, ...]

    @property
    def paths(self) -> list[Path]:
        """The files of the shards this call wrote or skipped, in shard order."""
        done = sorted(self.written + self.skipped)
        return [self.folder / shard_name(i, self.num_shards) for i in done]


# -- the run's identity -------------------------------------------------------------------------
def model_fingerprint(est: GANSynthesizer) -> str:
    """SHA-256 of the sampling generator's weights, the settings and the model seed."""
    h = hashlib.sha256()
    state = est.generator_.state_dict()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    h.update(json.dumps(est.config_.to_dict(), sort_keys=True, default=str).encode())
    h.update(str(est.seed_).encode())
    h.update(est.adapter_.name.encode())
    return h.hexdigest()


def _conditions_text(conditions: Mapping[str, Any] | None) -> str | None:
    """The conditions as text, for comparing runs (never read back as values)."""
    if conditions is None:
        return None
    return json.dumps({str(k): repr(v) for k, v in conditions.items()}, sort_keys=True)


def _manifest(
    est: GANSynthesizer, n: int, sizes: list[int], base: int, specs_common: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format": "tabgan-shards",
        "format_version": MANIFEST_FORMAT,
        "model": model_fingerprint(est),
        "rows": n,
        "num_shards": len(sizes),
        "seed": base,
        **specs_common,
        "shards": [{"file": shard_name(i, len(sizes)), "rows": m} for i, m in enumerate(sizes)],
    }


def _write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _check_or_write_manifest(folder: Path, doc: dict[str, Any]) -> None:
    path = folder / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable shard manifest ({exc}).") from None
        differ = sorted(k for k in set(old) | set(doc) if old.get(k) != doc.get(k))
        if differ:
            raise ValueError(
                f"{folder} holds shards of another run ({', '.join(differ)} differ from this "
                "call's); write to another folder, or delete it to start over."
            )
        return
    _write_json_atomic(path, doc)


# -- one shard --------------------------------------------------------------------------------
def _finished(path: Path, rows: int) -> bool:
    """Whether ``path`` is a complete shard of ``rows`` rows (its Parquet footer says so)."""
    if not path.is_file():
        return False
    import pyarrow.parquet as pq

    try:
        return bool(pq.ParquetFile(path).metadata.num_rows == rows)
    except Exception:  # a file under the final name that does not read: written again
        return False


def write_shard(est: GANSynthesizer, spec: ShardSpec, path: Path) -> None:
    """Draw shard ``spec`` and write it to ``path`` (through a hidden temporary file)."""
    pa = require_pyarrow()
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    writer = None
    schema = None
    try:
        for j, start in enumerate(range(0, max(spec.rows, 1), spec.rows_per_group)):
            m = min(spec.rows_per_group, spec.rows - start)
            if m <= 0:
                break
            frame = est.sample(
                m,
                None if spec.conditions is None else dict(spec.conditions),
                batch_size=spec.batch_size,
                random_state=derive_seed(spec.seed, j),
                drop_copies=spec.drop_copies,
            )
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"Parquet shards hold tables; the {est.adapter_.name!r} adapter samples "
                    f"{type(frame).__name__} objects."
                )
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(tmp, schema)
            elif not table.schema.equals(schema, check_metadata=False):
                try:
                    table = table.cast(schema)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise ValueError(
                        f"Shard {spec.index}: row group {j} has another column type than the "
                        f"first ({exc}); use a larger rows_per_group."
                    ) from None
            writer.write_table(table, row_group_size=spec.rows_per_group)
        if writer is None:  # an empty shard (n < num_shards): a file with no rows
            pq.write_table(pa.table({}), tmp)
        else:
            writer.close()
            writer = None
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()


def _run_in_worker(
    model: str, device: str, reference: Any, jobs: list[tuple[ShardSpec, str]]
) -> list[int]:
    """A worker process: load the model folder and write its shards."""
    import torch

    from .synthesizer import GANSynthesizer

    torch.set_num_threads(1)
    est = GANSynthesizer.load(model, device=device)
    if reference is not None:
        est.set_copy_reference(reference)
    for spec, path in jobs:
        write_shard(est, spec, Path(path))
    return [spec.index for spec, _ in jobs]


# -- the public entry point ---------------------------------------------------------------------
def sample_shards(
    est: GANSynthesizer,
    folder: str | Path,
    n: int,
    *,
    num_shards: int = 1,
    shard_index: int | Sequence[int] | None = None,
    jobs: int = 1,
    conditions: Mapping[str, Any] | None = None,
    random_state: Any = None,
    rows_per_group: int = DEFAULT_ROWS_PER_GROUP,
    batch_size: int | None = None,
    drop_copies: bool = False,
    reference: Any = None,
    model_path: str | Path | None = None,
    device: str | None = None,
) -> ShardReport:
    """Write ``n`` sampled rows as ``num_shards`` Parquet shards into ``folder``.

    See :meth:`tabgan.GANSynthesizer.sample_to_parquet` for the parameters. ``model_path`` is
    the model's saved folder, which ``jobs > 1`` workers load (by default the model is saved
    into a temporary folder first); ``reference`` is the copy guard's reference data that each
    worker needs with ``drop_copies`` and ``jobs > 1``.
    """
    require_pyarrow()
    for name, value, low in (("n", n, 1), ("num_shards", num_shards, 1), ("jobs", jobs, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"`{name}` must be an int >= {low}, got {value!r}.")
    if (
        isinstance(rows_per_group, bool)
        or not isinstance(rows_per_group, (int, np.integer))
        or rows_per_group < 1
    ):
        raise ValueError(f"`rows_per_group` must be an int >= 1, got {rows_per_group!r}.")
    if conditions is not None and not isinstance(conditions, Mapping):
        raise TypeError(
            "Sharded sampling takes conditions shared by every row (a dict {column: value}); "
            f"got {type(conditions).__name__}."
        )
    if shard_index is None:
        indices = list(range(num_shards))
    else:
        given = [shard_index] if isinstance(shard_index, (int, np.integer)) else shard_index
        indices = sorted({int(i) for i in given})
        bad = [i for i in indices if not 0 <= i < num_shards]
        if bad:
            raise ValueError(f"`shard_index` {bad} outside 0..{num_shards - 1}.")
    if drop_copies:
        est._guard()  # no reference: fail before writing anything
    base = (
        derive_seed(est.seed_, _SHARD_KEY)
        if random_state is None
        else seed_from_random_state(random_state)
    )
    sizes = shard_sizes(int(n), int(num_shards))
    common = {
        "rows_per_group": int(rows_per_group),
        "conditions": _conditions_text(conditions),
        "batch_size": batch_size,
        "drop_copies": bool(drop_copies),
    }
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; shards go into a folder.")
    out.mkdir(parents=True, exist_ok=True)
    _check_or_write_manifest(out, _manifest(est, int(n), sizes, base, common))
    todo, skipped = [], []
    for i in indices:
        path = out / shard_name(i, num_shards)
        if _finished(path, sizes[i]):
            skipped.append(i)
            continue
        seed = shard_seed(base, i)
        spec = ShardSpec(
            i, sizes[i], seed, int(rows_per_group), conditions, batch_size, bool(drop_copies)
        )
        todo.append((spec, path))
    if jobs == 1 or len(todo) <= 1:
        for spec, path in todo:
            write_shard(est, spec, path)
    else:
        where = str(est.device_) if device is None else device
        _run_parallel(est, todo, jobs, model_path, where, reference if drop_copies else None)
    return ShardReport(out, int(num_shards), tuple(s.index for s, _ in todo), tuple(skipped))


def _run_parallel(
    est: GANSynthesizer,
    todo: list[tuple[ShardSpec, Path]],
    jobs: int,
    model_path: str | Path | None,
    device: str,
    reference: Any,
) -> None:
    if todo[0][0].drop_copies and reference is None:
        raise ValueError(
            "drop_copies with jobs > 1: pass `reference=` (the training data) so that each "
            "worker process can build its copy guard."
        )
    with tempfile.TemporaryDirectory(prefix="tabgan-shards-") as tmp:
        model = str(model_path) if model_path is not None else str(est.save(Path(tmp) / "model"))
        workers = min(jobs, len(todo))
        groups = [todo[w::workers] for w in range(workers)]
        ctx = get_context("spawn")  # no fork of a process holding torch threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(
                    _run_in_worker, model, device, reference, [(s, str(p)) for s, p in group]
                )
                for group in groups
            ]
            for f in futures:
                f.result()
