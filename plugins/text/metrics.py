"""Corpus BLEU against a reference set and self-BLEU (Texygen protocol), on token lists.

Each hypothesis is scored against *all* references: the clip count of an n-gram is its maximum
count over the references, found once for the whole set (for self-BLEU, the two largest counts
are kept so each sample can be left out of its own references). Cost is linear in corpus size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["bleu", "self_bleu"]

Tokens = Sequence[str]
Gram = tuple[str, ...]


def _ngrams(tokens: Tokens, n: int) -> Counter[Gram]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _top2(sets: Sequence[Tokens], n: int) -> dict[Gram, tuple[int, int, int]]:
    """n-gram -> (largest count, index of a sample holding it, second largest count)."""
    top: dict[Gram, tuple[int, int, int]] = {}
    for i, tokens in enumerate(sets):
        for gram, c in _ngrams(tokens, n).items():
            c1, i1, c2 = top.get(gram, (0, -1, 0))
            if c > c1:
                top[gram] = (c, i, c1)
            elif c > c2:
                top[gram] = (c1, i1, c)
    return top


def _sentence_bleu(
    hyp: Tokens, clip: Callable[[int, Gram], int], closest_len: int, max_n: int
) -> float:
    if not hyp:
        return 0.0
    logp = 0.0
    for n in range(1, max_n + 1):
        grams = _ngrams(hyp, n)
        total = sum(grams.values())
        hit = sum(min(c, clip(n, g)) for g, c in grams.items())
        if n > 1:  # add-one smoothing (Lin & Och 2004; NLTK's method2)
            hit, total = hit + 1, total + 1
        if hit == 0 or total == 0:
            return 0.0
        logp += np.log(hit / total) / max_n
    bp = 1.0 if len(hyp) > closest_len else float(np.exp(1 - closest_len / len(hyp)))
    return bp * float(np.exp(logp))


def _closest(lengths: np.ndarray, n: int) -> int:
    return int(lengths[np.argmin(np.abs(lengths - n) * 10_000 + lengths)])


def bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens], max_n: int = 4) -> np.ndarray:
    """Sentence BLEU-``max_n`` of each hypothesis against the whole reference set.

    Equal n-gram weights, add-one smoothing for n > 1, brevity penalty against the closest
    reference length.
    """
    if not references:
        raise ValueError("BLEU needs at least one reference.")
    tops = [_top2(references, n) for n in range(1, max_n + 1)]
    lengths = np.array(sorted({len(r) for r in references}))

    def clip(n: int, g: Gram) -> int:
        return tops[n - 1].get(g, (0, -1, 0))[0]

    return np.array([_sentence_bleu(h, clip, _closest(lengths, len(h)), max_n) for h in hypotheses])


def self_bleu(samples: Sequence[Tokens], max_n: int = 4) -> float:
    """Mean BLEU of each sample against all the others (higher means less diverse)."""
    samples = list(samples)
    if len(samples) < 2:
        raise ValueError("self-BLEU needs at least two samples.")
    tops = [_top2(samples, n) for n in range(1, max_n + 1)]
    length_counts = Counter(len(s) for s in samples)
    scores = []
    for i, hyp in enumerate(samples):

        def clip(n: int, g: Gram, i: int = i) -> int:
            c1, i1, c2 = tops[n - 1].get(g, (0, -1, 0))
            return c2 if i1 == i else c1

        others = [k for k, c in length_counts.items() if k != len(hyp) or c > 1]
        scores.append(
            _sentence_bleu(hyp, clip, _closest(np.array(sorted(others)), len(hyp)), max_n)
        )
    return float(np.mean(scores))
