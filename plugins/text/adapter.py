"""The ``text`` adapter: short texts as token sequences, trained RelGAN-style.

Texts are tokenized (a BPE/WordPiece tokenizer trained on them, or the user's), cut or padded to
``max_length`` positions ending in EOS, and stored as token ids. The generator (an LSTM) is first
trained by maximum likelihood (teacher forcing, held-out early stopping), then adversarially
against a CNN critic on Gumbel-softmax relaxed one-hots whose inverse temperature rises
exponentially from 1 to ``max_temperature`` (Nie et al. 2019, RelGAN; Jang et al. 2017).
"""

from __future__ import annotations

import copy
import math
import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from tabgan.estimator.adapters import BaseAdapter, Encoded, register

from .networks import DiscriminatorConfig, GeneratorConfig, TextDiscriminator, TextGenerator
from .tokenizer import load_tokenizer, require_text_extra, train_tokenizer

__all__ = ["TextAdapter"]

_LABEL_TYPES = (str, bool, int, float)

TOKENIZER_DIR = "tokenizer"


def _is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT`` (a missing text), never raising on odd objects."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


@register
class TextAdapter(BaseAdapter):
    """Short texts (a list or Series of strings, or a DataFrame with a text and a label column),
    optionally labelled (the ``label_column`` of a DataFrame, or ``y``).

    Parameters
    ----------
    tokenizer : {"bpe", "wordpiece"}, path or fast tokenizer, default="bpe"
        ``"bpe"`` / ``"wordpiece"`` train a tokenizer on the texts with ``tokenizers``; a local
        folder or a ``transformers`` fast tokenizer is used as given (PAD/BOS/EOS/UNK tokens are
        added where missing). The tokenizer is saved with the model as standard
        ``transformers`` files in ``<model folder>/adapter/tokenizer/`` (``tokenizer/`` in
        models saved by tabgan 0.1).
    vocab_size : int, default=2000
        Vocabulary size of a trained tokenizer (an upper bound: small corpora give fewer).
    max_length : int, default=32
        Token positions per text, the EOS included. Longer texts are cut (and counted, with a
        warning); shorter ones are padded after their EOS.
    lowercase : bool, default=False
        Lowercase before training a tokenizer.
    text_column : str, default="text"
        The text column when a DataFrame is given.
    label_column : str, optional
        A label column of the DataFrame; enables ``sample(n, conditions={"label": value})``
        (as do labels given as ``fit(texts, y)``).
    max_temperature : float, default=100
        Final inverse temperature of the Gumbel-softmax, reached with an exponential schedule
        ``max_temperature ** (step / total_steps)`` over the adversarial steps.
    mle_epochs : int, default=30
        Maximum epochs of MLE pre-training (0 skips it).
    mle_batch_size : int, default=64
    mle_lr : float, default=5e-3
    mle_validation : float, default=0.1
        Share of texts held out for the NLL that early-stops MLE pre-training.
    mle_patience : int, default=3
        Epochs without a better held-out NLL before MLE stops; the best weights are kept.
    embed_dim, hidden_dim : int, default=64, 128
        Generator token embedding and LSTM widths.
    d_embed_dim, d_num_rep, d_filters : int, default=32, 8, 64
        Critic: width and number of embedded representations, filters per kernel width.

    Attributes
    ----------
    tokenizer_ : transformers.PreTrainedTokenizerFast
    vocab_size_ : int
    label_names_ : list
        Label values, sorted (empty when unconditional).
    class_counts_ : list of int
        Training texts per label (unlabelled samples draw labels by these frequencies).
    n_truncated_ : int
        Training texts longer than ``max_length`` (cut).
    mle_history_ : list of dict
        Per MLE epoch: epoch, train_nll, val_nll (per token).

    Notes
    -----
    Sampling: ``GANSynthesizer.sample(n, temperature=t)`` draws every token from
    ``softmax(logits / t)`` (default ``t=1.0``: the generator's own distribution, the one whose
    Gumbel-max samples were trained); ``t < 1`` sharpens it (more typical, less diverse texts),
    ``t > 1`` flattens it; ``t`` must be > 0. Samples are always hard tokens, decoded up to the
    first EOS. This sampling ``temperature`` is unrelated to ``max_temperature``, the *inverse*
    temperature of the training-time Gumbel-softmax relaxation. With labels,
    ``conditions={"label": value}`` (or the column name as key; a list gives one value per
    sample) fixes the label; without conditions labels are drawn by their training frequency.

    PacGAN packing is supported (the critic unpacks and concatenates ``pac`` feature vectors);
    the default is ``pac=1`` as in RelGAN.
    """

    name: ClassVar[str] = "text"
    supports_labels: ClassVar[bool] = True
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "rsgan",
        "epochs": 5,
        "batch_size": 64,
        "latent_dim": 32,
        "n_critic": 1,
        "generator_lr": 1e-4,
        "discriminator_lr": 1e-4,
        "betas": (0.9, 0.999),
        "pac": 1,
        "ema_decay": 0.0,
        "grad_clip": 5.0,
    }

    def __init__(
        self,
        tokenizer: Any = "bpe",
        vocab_size: int = 2000,
        max_length: int = 32,
        lowercase: bool = False,
        text_column: str = "text",
        label_column: str | None = None,
        max_temperature: float = 100.0,
        mle_epochs: int = 30,
        mle_batch_size: int = 64,
        mle_lr: float = 5e-3,
        mle_validation: float = 0.1,
        mle_patience: int = 3,
        embed_dim: int = 64,
        hidden_dim: int = 128,
        d_embed_dim: int = 32,
        d_num_rep: int = 8,
        d_filters: int = 64,
    ) -> None:
        self.tokenizer = tokenizer
        self.vocab_size = vocab_size
        self.max_length = max_length
        self.lowercase = lowercase
        self.text_column = text_column
        self.label_column = label_column
        self.max_temperature = max_temperature
        self.mle_epochs = mle_epochs
        self.mle_batch_size = mle_batch_size
        self.mle_lr = mle_lr
        self.mle_validation = mle_validation
        self.mle_patience = mle_patience
        self.embed_dim = embed_dim
        self.hidden_dim = hidden_dim
        self.d_embed_dim = d_embed_dim
        self.d_num_rep = d_num_rep
        self.d_filters = d_filters

    # -- validation --------------------------------------------------------------------------
    def _check_params(self) -> None:
        ints = {
            "vocab_size": 8,
            "max_length": 2,
            "mle_epochs": 0,
            "mle_batch_size": 1,
            "mle_patience": 1,
            "embed_dim": 1,
            "hidden_dim": 1,
            "d_embed_dim": 1,
            "d_num_rep": 1,
            "d_filters": 1,
        }
        for key, low in ints.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"`{key}` must be an int >= {low}, got {value!r}.")
        if not isinstance(self.max_temperature, numbers.Real) or not self.max_temperature >= 1:
            raise ValueError(f"`max_temperature` must be >= 1, got {self.max_temperature!r}.")
        if not isinstance(self.mle_lr, numbers.Real) or not self.mle_lr > 0:
            raise ValueError(f"`mle_lr` must be > 0, got {self.mle_lr!r}.")
        if not isinstance(self.mle_validation, numbers.Real) or not 0 <= self.mle_validation < 1:
            raise ValueError(f"`mle_validation` must be in [0, 1), got {self.mle_validation!r}.")

    def _split(self, data: Any, y: Any = None) -> tuple[list[str], list[Any] | None]:
        """Texts and labels (or None) from a list/array/Series of strings or a DataFrame, the
        labels from ``label_column`` or ``y``."""
        labels = None
        if y is not None and self.label_column is not None:
            raise ValueError(
                f"Give the labels once: as the DataFrame's `label_column` "
                f"{self.label_column!r} or as `y`, not both."
            )
        if isinstance(data, pd.DataFrame):
            if self.text_column not in data.columns:
                raise ValueError(
                    f"The DataFrame has no text column {self.text_column!r} (`text_column`); "
                    f"its columns are {list(data.columns)}."
                )
            texts = data[self.text_column].tolist()
            if self.label_column is not None:
                if self.label_column not in data.columns:
                    raise ValueError(
                        f"The DataFrame has no label column {self.label_column!r} "
                        f"(`label_column`); its columns are {list(data.columns)}."
                    )
                labels = _checked_labels(
                    data[self.label_column], f"Label column {self.label_column!r} row"
                )
        elif isinstance(data, (str, bytes)):
            raise TypeError("The text adapter needs a sequence of strings, not a single string.")
        elif isinstance(data, (pd.Series, np.ndarray, Sequence)):
            if isinstance(data, np.ndarray) and data.ndim != 1:
                raise ValueError(
                    f"The text adapter needs a 1-D array of strings, got {data.shape}."
                )
            if self.label_column is not None:
                raise ValueError(
                    f"`label_column={self.label_column!r}` needs a DataFrame with text and "
                    "label columns, not a sequence of strings."
                )
            texts = list(data)
        else:
            raise TypeError(
                "The text adapter needs a list or Series of strings or a DataFrame, got "
                f"{type(data).__name__}."
            )
        if not texts:
            raise ValueError("No texts: the data is empty.")
        where = f"column {self.text_column!r}" if isinstance(data, pd.DataFrame) else "the data"
        missing = [i for i, t in enumerate(texts) if _is_missing(t)]
        if missing:
            first = f"position {missing[0]}"
            if isinstance(data, (pd.Series, pd.DataFrame)):
                label = data.index[missing[0]]
                label = label.item() if isinstance(label, np.generic) else label
                first += f" (index {label!r})"
            raise ValueError(
                f"{len(missing)} of {len(texts)} texts in {where} are missing (NaN/None), the "
                f"first at {first}; drop or fill them first (e.g. `.dropna()`)."
            )
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"Text {i} is {type(t).__name__} {t!r}, not a string.")
        if y is not None:
            if isinstance(y, (str, bytes)) or not isinstance(y, (pd.Series, np.ndarray, Sequence)):
                raise TypeError(
                    f"`y` must be a sequence of labels, one per text; got {type(y).__name__}."
                )
            labels = _checked_labels(y, "`y` position")
            if len(labels) != len(texts):
                raise ValueError(f"Got {len(labels)} labels for {len(texts)} texts (`y`).")
        return texts, labels

    # -- fitting -----------------------------------------------------------------------------
    def _fit(self, data: Any, y: Any, rng: np.random.Generator) -> None:
        self._check_params()
        texts, labels = self._split(data, y)
        spec = self.tokenizer
        if isinstance(spec, str) and spec in ("bpe", "wordpiece"):
            self.tokenizer_ = train_tokenizer(texts, spec, int(self.vocab_size), self.lowercase)
        else:
            self.tokenizer_ = load_tokenizer(spec)
        self.vocab_size_ = len(self.tokenizer_)
        if labels is not None:
            self._fit_labels(labels)
            counts = pd.Series(labels, dtype=object).value_counts()
            self.class_counts_ = [int(counts[v]) for v in self.label_names_]
        else:
            self.class_counts_ = []
        ids, n_cut = self._ids(texts)
        self.n_truncated_ = n_cut
        if n_cut:
            warnings.warn(
                f"{n_cut} of {len(texts)} texts are longer than max_length={self.max_length} "
                f"tokens (EOS included) and were cut; raise `max_length` to keep them whole.",
                UserWarning,
                stacklevel=4,
            )
        self.mle_history_: list[dict[str, float]] = []

    @property
    def _special(self) -> tuple[int, int, int]:
        t = self.tokenizer_
        return int(t.bos_token_id), int(t.eos_token_id), int(t.pad_token_id)

    def _ids(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Token ids (n, max_length): text tokens, EOS, then PAD; and the count of cut texts."""
        _, eos, pad = self._special
        length = int(self.max_length)
        rows = self.tokenizer_(texts, add_special_tokens=False)["input_ids"]
        lens = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        keep = np.minimum(lens, length - 1)
        out = np.full((len(rows), length), pad, dtype=np.int64)
        flat = np.fromiter((t for r in rows for t in r[: length - 1]), dtype=np.int64)
        row_idx = np.repeat(np.arange(len(rows)), keep)
        col_idx = np.arange(len(row_idx)) - np.repeat(np.cumsum(keep) - keep, keep)
        out[row_idx, col_idx] = flat
        out[np.arange(len(rows)), keep] = eos
        return out, int((lens > length - 1).sum())

    def _encode(self, data: Any, y: Any) -> Encoded:
        """Token ids (n, max_length) as int64, with the label codes when labelled."""
        texts, labels = self._split(data, y)
        ids = torch.from_numpy(self._ids(texts)[0])
        if not self.label_names_:
            if labels is not None:
                raise ValueError("This text model was trained without labels; encode no labels.")
            return Encoded(ids)
        if labels is None:
            raise ValueError(
                "This text model is label-conditional: encode (or resume training on) its texts "
                "with their labels (the DataFrame's `label_column`, or `y`)."
            )
        return Encoded(ids, self._label_codes(labels))

    def canonical_view(self, data: Any) -> list[str]:
        """The texts alone: what the memorization guard compares."""
        if isinstance(data, pd.DataFrame):
            return [str(t) for t in data[self.text_column]]
        return [str(t) for t in data]

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> list[str]:
        """Strings from token ids (n, L) or one-hots (n, L, V); everything after EOS dropped."""
        if x.dim() == 3:
            ids = x.argmax(-1)
        else:
            ids = x.long() if not torch.is_floating_point(x) else x.round().long()
        _, eos, pad = self._special
        is_eos = ids == eos
        after = (torch.cumsum(is_eos.long(), 1) - is_eos.long()) > 0
        rows = ids.masked_fill(after, pad).cpu().tolist()
        return list(self.tokenizer_.batch_decode(rows, skip_special_tokens=True))

    # -- networks ----------------------------------------------------------------------------
    def _generator_config(self, latent_dim: int) -> GeneratorConfig:
        bos, eos, pad = self._special
        return GeneratorConfig(
            vocab_size=self.vocab_size_,
            max_length=int(self.max_length),
            latent_dim=latent_dim,
            cond_dim=self.cond_dim,
            bos_id=bos,
            eos_id=eos,
            pad_id=pad,
            embed_dim=int(self.embed_dim),
            hidden_dim=int(self.hidden_dim),
        )

    def build_generator(self, latent_dim: int) -> nn.Module:
        return TextGenerator(self._generator_config(latent_dim))

    def build_discriminator(self, pac: int) -> nn.Module:
        return TextDiscriminator(
            DiscriminatorConfig(
                vocab_size=self.vocab_size_,
                max_length=int(self.max_length),
                cond_dim=self.cond_dim,
                pac=pac,
                embed_dim=int(self.d_embed_dim),
                num_rep=int(self.d_num_rep),
                num_filters=int(self.d_filters),
            )
        )

    def activate(self, raw: torch.Tensor, *, hard: bool = False) -> torch.Tensor:
        """The generator already emits relaxed one-hots; ``hard`` makes them exact one-hots."""
        if hard:
            return F.one_hot(raw.argmax(-1), raw.shape[-1]).to(raw.dtype)
        return raw

    def prepare_real(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids (B, L) as the one-hots (B, L, V) the critic sees."""
        return F.one_hot(x.long(), self.vocab_size_).float()

    # -- engine hooks ------------------------------------------------------------------------
    def on_generator_step(self, generator: nn.Module, step: int, total_steps: int) -> None:
        """RelGAN's exponential schedule of the inverse temperature: 1 -> ``max_temperature``."""
        frac = min(1.0, step / max(total_steps, 1))
        generator.inv_temperature.fill_(float(self.max_temperature) ** frac)  # type: ignore[operator]

    def pretrain(
        self, generator: nn.Module, encoded: Encoded, *, device: torch.device, verbose: bool
    ) -> None:
        """MLE (teacher forcing) with held-out early stopping; keeps the best weights."""
        from .mle import mle_pretrain

        assert isinstance(generator, TextGenerator)
        ids = encoded.data.to(device).long()
        cond = None
        if self.cond_dim and encoded.labels is not None:
            cond = F.one_hot(encoded.labels.to(device), self.cond_dim).float()
        self.mle_history_ = mle_pretrain(
            generator,
            ids,
            cond,
            epochs=int(self.mle_epochs),
            batch_size=int(self.mle_batch_size),
            lr=float(self.mle_lr),
            validation=float(self.mle_validation),
            patience=int(self.mle_patience),
            verbose=verbose,
        )

    # -- sampling ----------------------------------------------------------------------------
    def generate(
        self,
        generator: nn.Module,
        z: torch.Tensor,
        cond: torch.Tensor | None,
        *,
        temperature: float = 1.0,
        **kwargs: Any,
    ) -> torch.Tensor:
        """Token ids (B, L), int64, drawn from ``softmax(logits / temperature)``."""
        if kwargs:
            raise TypeError(
                f"The 'text' adapter takes only `temperature` as sampling option; got "
                f"{', '.join(kwargs)}."
            )
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or not math.isfinite(temperature)
            or temperature <= 0
        ):
            raise ValueError(f"`temperature` must be a number > 0, got {temperature!r}.")
        assert isinstance(generator, TextGenerator)
        return generator.sample_ids(z, cond, float(temperature)).long()

    def _sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """One-hot label conditions (n, C): ``{"label": value}`` or one value per sample;
        without conditions, labels drawn by their training frequency."""
        if not self.label_names_:
            if conditions is not None:
                raise ValueError(
                    "This text model has no labels; fit it on a DataFrame with `label_column` "
                    "(or with labels `y`) to sample with conditions."
                )
            return None
        c = len(self.label_names_)
        if conditions is None:
            return self._drawn(n)
        if not isinstance(conditions, dict) or len(conditions) != 1:
            raise ValueError(
                f'`conditions` must be a dict {{"label": value}} (or {{{self.label_column!r}: '
                f"value}}), got {conditions!r}."
            )
        key, value = next(iter(conditions.items()))
        if key not in ("label", self.label_column):
            raise ValueError(f'Unknown condition {key!r}; use "label" or {self.label_column!r}.')
        if isinstance(value, np.generic):
            value = value.item()
        values = [value] * n if isinstance(value, _LABEL_TYPES) else list(value)
        if len(values) != n:
            raise ValueError(f"{len(values)} label values given for n={n} samples.")
        index = {v: i for i, v in enumerate(self.label_names_)}
        idx = []
        for v in values:
            v = v.item() if isinstance(v, np.generic) else v
            if v not in index:
                raise ValueError(f"Unknown label {v!r}; the model knows {self.label_names_}.")
            idx.append(index[v])
        return F.one_hot(torch.tensor(idx, dtype=torch.long), c).float()

    def _drawn(self, n: int) -> torch.Tensor:
        freq = torch.tensor(self.class_counts_, dtype=torch.float)
        idx = torch.multinomial(freq, n, replacement=True)
        return F.one_hot(idx, len(self.label_names_)).float()

    # -- saving ------------------------------------------------------------------------------
    def _save_files(self, folder: Path) -> list[str]:
        """Write the tokenizer as standard ``transformers`` files into ``folder/tokenizer/``.

        ``PreTrainedTokenizerFast.from_pretrained(folder / "tokenizer")`` reads them back
        offline, with or without tabgan.
        """
        written = self.tokenizer_.save_pretrained(str(Path(folder) / TOKENIZER_DIR))
        return [os.path.relpath(f, folder) for f in written]

    def _load_files(self, folder: Path) -> None:
        """Read the tokenizer written by :meth:`_save_files` (never from the network)."""
        _, tf = require_text_extra()
        target = Path(folder) / TOKENIZER_DIR
        if not target.is_dir():
            raise ValueError(f"the saved model lacks its tokenizer folder {str(target)!r}")
        self.tokenizer_ = tf.PreTrainedTokenizerFast.from_pretrained(
            str(target), local_files_only=True
        )

    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {
            "vocab_size": self.vocab_size_,
            "class_counts": list(self.class_counts_),
            "n_truncated": self.n_truncated_,
            "mle_history": copy.deepcopy(self.mle_history_),
        }, {}

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Also takes the configs of tabgan 0.1, which held the labels as ``classes``."""
        if not hasattr(self, "tokenizer_"):
            raise ValueError("the tokenizer was not loaded (call _load_files first)")
        self.vocab_size_ = int(config["vocab_size"])
        if len(self.tokenizer_) != self.vocab_size_:
            raise ValueError(
                f"the saved tokenizer has {len(self.tokenizer_)} tokens, the model "
                f"{self.vocab_size_}"
            )
        if "classes" in config:  # format 1 (tabgan 0.1)
            self.label_names_ = list(config["classes"])
        if len(config["class_counts"]) != len(self.label_names_):
            raise ValueError(
                f"the text state counts {len(config['class_counts'])} labels, the model has "
                f"{len(self.label_names_)}"
            )
        self.class_counts_ = [int(v) for v in config["class_counts"]]
        self.n_truncated_ = int(config["n_truncated"])
        self.mle_history_ = list(config.get("mle_history", []))


def _checked_labels(values: Any, where: str) -> list[Any]:
    """Label values as Python scalars; missing or non-scalar labels raise naming the position."""
    labels = [v.item() if isinstance(v, np.generic) else v for v in values]
    for i, v in enumerate(labels):
        if not isinstance(v, _LABEL_TYPES) or (isinstance(v, float) and math.isnan(v)):
            raise TypeError(
                f"{where} {i}: labels must be strings or numbers (not missing), got {v!r}."
            )
    return labels
