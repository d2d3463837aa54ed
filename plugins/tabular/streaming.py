"""Tables read from storage in pieces: the streamed fit and training sampler of ``tabular``.

``GANSynthesizer().fit("data/")`` (a Parquet or CSV file, a folder of them, or a
``pyarrow.dataset.Dataset``; :class:`TableStream` for other settings) never loads the table:

1. **Fit**, one pass (:mod:`.stream_stats`): the encoders are fitted on a bounded random sample
   of rows plus witness rows (each numeric column's extremes, a missing value...), and the
   discrete columns get the table's exact value counts. The derived-column rules found on that
   sample are then checked on every row (a second pass, over their columns only, when there are
   any); a rule that fails somewhere is dropped and the encoders fitted again without it.
2. **Training**: each rank reads its own share of the pieces (Parquet row groups, or files), in
   a fresh random order every epoch, in record batches of ``batch_rows``; a reader thread
   encodes up to ``prefetch`` batches ahead. Training batches are drawn from a buffer of
   ``buffer_rows`` encoded rows (on the training device) whose oldest rows are replaced by new
   ones as rows are drawn, so that each row is drawn about once per epoch. Training-by-sampling
   (the conditional vector) works on the buffer, with the buffer's value frequencies.

Memory is bounded by these settings, not by the table's rows. The memorization guard keeps no
row hashes after a streamed fit (they would grow with the rows); ``set_copy_reference(path)``
hashes the table batch by batch when it is wanted (8 bytes per distinct row).

A streamed run resumed from a checkpoint continues with its weights and optimizers, but its
reading order is not replayed: unlike the in-memory path, it does not end with the exact
weights of a straight run.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from tabgan.estimator.adapters import BaseAdapter, Encoded, TrainingSampler
from tabgan.estimator.memorization import RowKey
from tabgan.estimator.shards import require_pyarrow
from tabgan.estimator.training_data import DataStream

from . import derived as derived_rules
from .columns import DiscreteColumn
from .stream_stats import apply_counts, gather

if TYPE_CHECKING:
    from .adapter import TabularAdapter

__all__ = ["StreamSampler", "TableStream", "encode_frame", "is_table_source"]

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def is_table_source(data: Any) -> bool:
    """Whether ``data`` names a table to stream: a path, or a ``pyarrow.dataset.Dataset``."""
    if isinstance(data, (str, os.PathLike)):
        return True
    if type(data).__module__.startswith("pyarrow"):
        import pyarrow.dataset as ds

        return isinstance(data, ds.Dataset)
    return False


@dataclass(frozen=True)
class _Piece:
    """A unit of reading: a Parquet row group, or a whole file of another format."""

    index: int
    fragment: Any
    rows: int | None


def _positive(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"`{name}` must be an int >= {low}, got {value!r}.")


class TableStream(DataStream):
    """A table on storage, read in pieces; pass it (or just the path) to ``fit``.

    Parameters
    ----------
    source : str, path or pyarrow.dataset.Dataset
        A Parquet (``.parquet``, ``.pq``) or CSV file, a folder of such files (names starting
        with ``_`` or ``.`` are skipped), or a dataset (give CSV an explicit schema there when
        its types must not be guessed from the first rows).
    batch_rows : int, default=65536
        Rows per record batch read and encoded at once.
    sample_rows : int, default=50000
        Rows of the random sample the encoders are fitted on (the mixtures use at most the
        adapter's ``max_fit_rows`` of them).
    buffer_rows : int, default=262144
        Encoded rows held on the training device, that training batches are drawn from.
    prefetch : int, default=2
        Encoded batches the reader thread prepares ahead of the trainer.
    max_tracked_values : int, default=10000
        Distinct values counted exactly per column; a column with more is represented by
        the sample's values (the rest share the "other" slot).
    format : {"parquet", "csv"}, optional
        The file format; by default from the extension (of the files in a folder).

    Notes
    -----
    Peak memory: ``2 * sample_rows`` raw rows and the value counts during the fit; during
    training ``buffer_rows`` encoded rows (float32, on the device), ``prefetch + 1`` encoded
    batches and one raw batch, whatever the table's size.
    """

    def __init__(
        self,
        source: Any,
        *,
        batch_rows: int = 65_536,
        sample_rows: int = 50_000,
        buffer_rows: int = 262_144,
        prefetch: int = 2,
        max_tracked_values: int = 10_000,
        format: str | None = None,
    ) -> None:
        self.source = source
        self.batch_rows = batch_rows
        self.sample_rows = sample_rows
        self.buffer_rows = buffer_rows
        self.prefetch = prefetch
        self.max_tracked_values = max_tracked_values
        self.format = format
        for name, low in (
            ("batch_rows", 1),
            ("sample_rows", 10),
            ("buffer_rows", 1),
            ("prefetch", 1),
            ("max_tracked_values", 2),
        ):
            _positive(name, getattr(self, name), low)
        if format is not None and format not in ("parquet", "csv"):
            raise ValueError(f'`format` must be "parquet", "csv" or None, got {format!r}.')
        self._dataset: Any = None
        self._n_rows: int | None = None

    def __repr__(self) -> str:
        return f"TableStream({self.source!r})"

    # -- the dataset ------------------------------------------------------------------------
    @property
    def dataset(self) -> Any:
        """The ``pyarrow.dataset.Dataset`` read (opened on first use)."""
        if self._dataset is None:
            require_pyarrow()
            import pyarrow.dataset as ds

            if isinstance(self.source, ds.Dataset):
                self._dataset = self.source
            else:
                path = Path(self.source)
                if not path.exists():
                    raise ValueError(f"{str(path)!r}: no such file or folder.")
                fmt = self.format or _format_of(path)
                try:
                    self._dataset = ds.dataset(str(path), format=fmt)
                except Exception as exc:  # pyarrow's own error types
                    raise ValueError(f"{str(path)!r} does not read as {fmt}: {exc}") from None
        return self._dataset

    @property
    def column_names(self) -> list[str]:
        return list(self.dataset.schema.names)

    @property
    def n_rows(self) -> int:
        if self._n_rows is None:
            self._n_rows = int(self.dataset.count_rows())
        return self._n_rows

    def pieces(self) -> list[_Piece]:
        """The units of reading, in storage order: Parquet row groups, else whole files."""
        import pyarrow.dataset as ds

        out: list[_Piece] = []
        for frag in self.dataset.get_fragments():
            if isinstance(frag, ds.ParquetFileFragment):
                for group in frag.split_by_row_group():
                    out.append(_Piece(len(out), group, int(group.row_groups[0].num_rows)))
            else:
                out.append(_Piece(len(out), frag, None))
        return out

    def piece_frames(
        self, piece: _Piece, columns: Sequence[str] | None = None
    ) -> Iterator[pd.DataFrame]:
        """The record batches of one piece as DataFrames (dictionary columns decoded)."""
        import pyarrow as pa

        schema = self.dataset.schema
        for batch in piece.fragment.to_batches(
            schema=schema, columns=None if columns is None else list(columns),
            batch_size=self.batch_rows,
        ):  # fmt: skip
            arrays = [
                col.dictionary_decode() if pa.types.is_dictionary(col.type) else col
                for col in batch.columns
            ]
            yield pa.RecordBatch.from_arrays(arrays, names=batch.schema.names).to_pandas()

    def frames(self, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Every record batch of the table, in storage order."""
        for piece in self.pieces():
            yield from self.piece_frames(piece, columns)

    # -- fitting ----------------------------------------------------------------------------
    def fit_adapter(
        self, adapter: BaseAdapter, *, rng: np.random.Generator, **fit_params: Any
    ) -> None:
        """Fit the tabular ``adapter`` in one pass (two with derived columns): see the module."""
        from .adapter import TabularAdapter

        if not isinstance(adapter, TabularAdapter):
            raise TypeError(f"A TableStream fits the tabular adapter, not {adapter.name!r}.")
        sample_seed, fit_seed = (int(v) for v in rng.integers(2**63 - 1, size=2))
        stats = gather(
            self.frames(),
            sample_rows=self.sample_rows,
            max_tracked_values=self.max_tracked_values,
            rng=np.random.default_rng(sample_seed),
        )
        self._n_rows = stats.n_rows
        frame = stats.fit_frame
        adapter.fit(frame, rng=np.random.default_rng(fit_seed), **fit_params)
        failing = self._failing_rules(adapter.derived_)
        if failing:  # found on the sample, not true of every row: fit again without them
            kept = [r for r in adapter.derived_ if r["column"] not in failing]
            given = adapter.derived
            adapter.set_params(derived=[_rule_input(r) for r in kept])
            try:
                adapter.fit(frame, rng=np.random.default_rng(fit_seed), **fit_params)
            finally:
                adapter.set_params(derived=given)
        for i, t in enumerate(adapter.transformers_):
            if isinstance(t, DiscreteColumn):
                apply_counts(t, stats.counts[i], stats.n_rows, len(frame))
        adapter._build_layout(group_by_width=adapter.layout_.group_by_width)

    def _failing_rules(self, rules: list[dict[str, Any]]) -> set[Any]:
        """The derived columns whose rule fails on some row of the table."""
        if not rules:
            return set()
        needed = sorted(
            {str(c) for r in rules for c in [r["column"], *derived_rules.inputs(r)]},
            key=self.column_names.index,
        )
        failing: set[Any] = set()
        for frame in self.frames(needed):
            for rule in rules:
                if rule["column"] in failing or any(
                    c in failing for c in derived_rules.inputs(rule)
                ):
                    failing.add(rule["column"])
                    continue
                if not bool(np.all(derived_rules.rows_holding(rule, frame))):
                    failing.add(rule["column"])
        return failing

    # -- training ---------------------------------------------------------------------------
    def make_sampler(
        self, adapter: BaseAdapter, *, device: torch.device, rank: int, world_size: int, seed: int
    ) -> TrainingSampler:
        pieces = self.pieces()
        order = np.random.default_rng([seed, 11]).permutation(len(pieces))
        if len(pieces) >= world_size:  # whole pieces per rank
            mine = [pieces[k] for k in order[rank::world_size]]
            row_filter = None
        else:  # fewer pieces than ranks: every rank reads all, keeps every world_size-th row
            mine, row_filter = pieces, (rank, world_size)
        known = [p.rows for p in mine]
        if row_filter is None and all(r is not None for r in known):
            rows = sum(int(r) for r in known if r is not None)
        else:
            rows = -(-self.n_rows // world_size)
        if rows == 0:
            raise ValueError(f"Rank {rank} of {world_size} has no rows of {self!r} to train on.")
        reader = _Reader(self, adapter, mine, seed=seed, rank=rank, row_filter=row_filter)
        return StreamSampler(reader, adapter, capacity=min(self.buffer_rows, rows), device=device)

    # -- the copy guard -------------------------------------------------------------------
    def copy_guard_hashes(self, adapter: BaseAdapter) -> tuple[RowKey, np.ndarray]:
        key: RowKey | None = None
        parts: list[np.ndarray] = []
        held = 0
        for frame in self.frames():
            view = adapter.canonical_view(frame)
            if key is None:
                key = RowKey().fit([view])
            parts.append(np.unique(key.hashes(view)))
            held += len(parts[-1])
            if held > 4 * self.batch_rows:
                parts = [np.unique(np.concatenate(parts))]
                held = len(parts[0])
        if key is None:
            raise ValueError(f"{self!r} holds no rows.")
        return key, np.unique(np.concatenate(parts))


def _rule_input(rule: dict[str, Any]) -> dict[str, Any]:
    """A fitted rule as ``derived=`` takes it (its structure; the fitted fields recomputed)."""
    keep = ("column", "kind", "source", "terms", "numerator", "denominator")
    return {k: v for k, v in rule.items() if k in keep}


def _format_of(path: Path) -> str:
    if path.is_file():
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"{str(path)!r}: unknown table format {path.suffix or '(no extension)'!r}; "
                "use .parquet or .csv (or TableStream(..., format=...))."
            )
        return fmt
    found = {
        _FORMATS[p.suffix.lower()]
        for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in _FORMATS and not p.name.startswith(("_", "."))
    }
    if len(found) != 1:
        what = "no .parquet or .csv file" if not found else "both Parquet and CSV files"
        raise ValueError(f"{str(path)!r} holds {what}; give TableStream(..., format=...).")
    return found.pop()


# -- encoding -----------------------------------------------------------------------------------
def encode_frame(adapter: TabularAdapter, df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Rows of a record batch as encoded rows (float32, model order), as ``encode`` makes them;
    a value of a column with too many values to count, unseen in the fit, takes the "other"
    slot."""
    if list(df.columns) != adapter.columns_:
        df = df[adapter.columns_]
    layout = adapter.layout_
    n = len(df)
    out = np.empty((n, layout.width), np.float32)
    for i, (t, start) in enumerate(zip(adapter.transformers_, adapter.starts_, strict=True)):
        if not t.width:
            continue
        s = df.iloc[:, i]
        if isinstance(t, DiscreteColumn):
            block = np.zeros((n, t.n_slots), np.float32)
            block[np.arange(n), t.codes(s, adapter.columns_[i], unseen="other")] = 1.0
        else:
            block = t.encode(s, rng)
        out[:, layout.model_pos[start : start + t.width]] = block
    return out


#: Readers still running, stopped at exit (see :meth:`_Reader.stop`).
_LIVE: weakref.WeakSet[_Reader] = weakref.WeakSet()


@atexit.register
def _stop_readers() -> None:
    for reader in list(_LIVE):
        reader.stop()


class _Reader:
    """A thread that reads this rank's pieces, epoch after epoch, and encodes them ahead."""

    def __init__(
        self,
        stream: TableStream,
        adapter: BaseAdapter,
        pieces: list[_Piece],
        *,
        seed: int,
        rank: int,
        row_filter: tuple[int, int] | None,
    ) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=stream.prefetch)
        self.stopped = threading.Event()
        self._args = (stream, adapter, pieces, seed, rank, row_filter)
        self.thread = threading.Thread(target=self._run, name="tabgan-table-reader", daemon=True)
        self.thread.start()
        _LIVE.add(self)

    def _run(self) -> None:
        stream, adapter, pieces, seed, rank, row_filter = self._args
        try:
            epoch = 0
            while not self.stopped.is_set():
                order = np.random.default_rng([seed, rank, epoch]).permutation(len(pieces))
                rows = 0
                for k in order:
                    piece = pieces[k]
                    offset = 0
                    for b, frame in enumerate(stream.piece_frames(piece)):
                        if row_filter is not None:
                            r, world = row_filter
                            keep = (offset + np.arange(len(frame))) % world == r
                            offset += len(frame)
                            frame = frame.iloc[np.flatnonzero(keep)]
                        if not len(frame):
                            continue
                        rng = np.random.default_rng(
                            [adapter.encode_seed_, seed, epoch, piece.index, b]
                        )
                        if not self._put(encode_frame(adapter, frame, rng)):
                            return
                        rows += len(frame)
                if rows == 0:
                    raise ValueError("this rank's part of the table holds no rows")
                epoch += 1
        except BaseException as exc:  # handed to the trainer's thread, raised there
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> np.ndarray:
        item = self.queue.get()
        if isinstance(item, BaseException):
            raise RuntimeError(f"Reading the table for training failed: {item}") from item
        return item

    def stop(self) -> None:
        """Stop reading, and wait (a little) for the thread to leave pyarrow's code: a thread
        still inside it when the interpreter exits aborts the process."""
        self.stopped.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=30)


class StreamSampler(TrainingSampler):
    """Training batches from a buffer of encoded rows that the reader keeps refreshing.

    The buffer (``capacity`` rows on the training device) is a ring: once ``capacity / 8``
    rows have been drawn, the oldest ``capacity / 8`` are replaced by the next ones read. The
    draws themselves, and the conditional vectors, are the adapter's own sampler's
    (``adapter.make_sampler``) over the buffer, rebuilt after each refresh. The refresh happens
    when the trainer asks for fake conditions (the start of a step), so a step's conditions
    and their loss see one buffer.
    """

    def __init__(
        self, reader: _Reader, adapter: BaseAdapter, *, capacity: int, device: torch.device
    ) -> None:
        self.reader = reader
        self.adapter = adapter
        self.device = device
        self._pending: np.ndarray | None = None
        self.buffer = torch.from_numpy(self._take(capacity)).to(device)
        self.capacity = len(self.buffer)
        self.refresh_rows = max(1, self.capacity // 8)
        self._pos = 0
        self._drawn = 0
        self.inner = adapter.make_sampler(Encoded(self.buffer))
        weakref.finalize(self, reader.stop)

    def _take(self, k: int) -> np.ndarray:
        """The next ``k`` encoded rows from the reader."""
        parts, have = [], 0
        while have < k:
            chunk = self._pending if self._pending is not None else self.reader.get()
            self._pending = None
            need = k - have
            if len(chunk) > need:
                chunk, self._pending = chunk[:need], chunk[need:]
            parts.append(chunk)
            have += len(chunk)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _refresh(self) -> None:
        while self._drawn >= self.refresh_rows:
            self._drawn -= self.refresh_rows
            rows = torch.from_numpy(self._take(self.refresh_rows)).to(self.device)
            idx = (torch.arange(self._pos, self._pos + len(rows)) % self.capacity).to(self.device)
            self.buffer.index_copy_(0, idx, rows)
            self._pos = (self._pos + len(rows)) % self.capacity
            self.inner = self.adapter.make_sampler(Encoded(self.buffer))

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        self._drawn += batch_size
        return self.inner.sample_real(batch_size)

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor | None, Any]:
        if self._drawn >= self.refresh_rows:
            self._refresh()
        return self.inner.sample_fake_conditions(batch_size)

    def condition_loss(self, raw: torch.Tensor, info: Any) -> torch.Tensor | None:
        return self.inner.condition_loss(raw, info)

    def close(self) -> None:
        self.reader.stop()
