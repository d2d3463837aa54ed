"""Tokenizers: trained on the user's texts with ``tokenizers``, or given by the user; saved as JSON.

``transformers`` and ``tokenizers`` are imported here only (the ``text`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "SPECIAL_TOKENS",
    "load_tokenizer",
    "require_text_extra",
    "tokenizer_from_state",
    "tokenizer_state",
    "train_tokenizer",
]

#: The special tokens a trained tokenizer gets (and a user's tokenizer gets where it lacks one).
SPECIAL_TOKENS = {
    "pad_token": "[PAD]",
    "bos_token": "[BOS]",
    "eos_token": "[EOS]",
    "unk_token": "[UNK]",
}


def require_text_extra() -> tuple[Any, Any]:
    """The ``tokenizers`` and ``transformers`` modules, or an ImportError saying what to install."""
    try:
        import tokenizers
        import transformers
    except ImportError as exc:
        raise ImportError(
            f"The text adapter needs `transformers` and `tokenizers` ({exc}). Install them with: "
            'pip install "tabgan-engine[text]"'
        ) from exc
    return tokenizers, transformers


def train_tokenizer(texts: Sequence[str], kind: str, vocab_size: int, lowercase: bool) -> Any:
    """A BPE (Metaspace, lossless on single spaces) or WordPiece tokenizer fit on ``texts``."""
    tk, tf = require_text_extra()
    specials = list(SPECIAL_TOKENS.values())
    normalizer = [tk.normalizers.NFKC()] + ([tk.normalizers.Lowercase()] if lowercase else [])
    if kind == "bpe":
        tok = tk.Tokenizer(tk.models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
        tok.pre_tokenizer = tk.pre_tokenizers.Metaspace()
        tok.decoder = tk.decoders.Metaspace()
        trainer: Any = tk.trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    elif kind == "wordpiece":
        tok = tk.Tokenizer(tk.models.WordPiece(unk_token=SPECIAL_TOKENS["unk_token"]))
        tok.pre_tokenizer = tk.pre_tokenizers.BertPreTokenizer()
        tok.decoder = tk.decoders.WordPiece()
        trainer = tk.trainers.WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    else:
        raise ValueError(
            f"`tokenizer` must be 'bpe', 'wordpiece', a folder or a tokenizer, got {kind!r}."
        )
    tok.normalizer = tk.normalizers.Sequence(normalizer)
    tok.train_from_iterator(list(texts), trainer)
    return tf.PreTrainedTokenizerFast(tokenizer_object=tok, **SPECIAL_TOKENS)


def load_tokenizer(spec: Any) -> Any:
    """A user's tokenizer (a local folder or a fast tokenizer object), with the special tokens.

    Missing PAD/BOS/EOS/UNK tokens are added. A folder is read with ``local_files_only=True``:
    nothing is downloaded.
    """
    tk, tf = require_text_extra()
    if isinstance(spec, (str, Path)):
        folder = Path(spec)
        if not folder.is_dir():
            raise ValueError(
                f"`tokenizer` {str(spec)!r} is neither 'bpe', 'wordpiece' nor an existing folder."
            )
        try:
            tok = tf.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except Exception as exc:
            raise ValueError(f"Cannot load a tokenizer from {str(folder)!r}: {exc}") from exc
    else:
        tok = spec
    if not hasattr(tok, "backend_tokenizer"):
        raise TypeError(
            "`tokenizer` must be 'bpe', 'wordpiece', a folder or a fast `transformers` tokenizer "
            f"(with a `backend_tokenizer`); got {type(spec).__name__}."
        )
    # Work on a copy so the user's object is not changed by added special tokens.
    tok = tokenizer_from_state(tokenizer_state(tok, check=False))
    missing = {k: v for k, v in SPECIAL_TOKENS.items() if getattr(tok, k, None) is None}
    if missing:
        tok.add_special_tokens(missing)
    return tok


def tokenizer_state(tok: Any, check: bool = True) -> dict[str, Any]:
    """JSON-able state: the backend tokenizer's JSON string and the special token strings."""
    state: dict[str, Any] = {"json": tok.backend_tokenizer.to_str()}
    for key in SPECIAL_TOKENS:
        value = getattr(tok, key, None)
        state[key] = None if value is None else str(value)
    if check and any(state[k] is None for k in SPECIAL_TOKENS):
        raise ValueError("the tokenizer lacks a special token")
    return state


def tokenizer_from_state(state: dict[str, Any]) -> Any:
    """Rebuild a ``PreTrainedTokenizerFast`` from :func:`tokenizer_state` (no network)."""
    tk, tf = require_text_extra()
    specials = {k: state[k] for k in SPECIAL_TOKENS if state.get(k) is not None}
    return tf.PreTrainedTokenizerFast(
        tokenizer_object=tk.Tokenizer.from_str(state["json"]), **specials
    )
