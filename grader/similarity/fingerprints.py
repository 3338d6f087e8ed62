"""Fingerprints of code and the similarity of two documents, for :mod:`grader.similarity.pairs`.

Each submission's own code (:mod:`grader.similarity.owncode`, the template left out) is tokenized and
normalized by copydetect (identifiers, strings, comments and whitespace do not matter; numbers
are reduced to their shape here), then fingerprinted by winnowing k-grams of tokens, also
copydetect's. The k-grams are hashed with BLAKE2b rather than copydetect's ``hash()``, which
Python salts per process: the same class must give the same pairs in every run.

A fingerprint counts for a pair by how rare it is: one that many documents share is code every
solution writes alike (a one-line ``relu_forward``) and weighs little; one only these two share
weighs fully (``weight``: a normalized inverse document frequency, in exact decimal arithmetic).
A pair's share in each direction is the weighted part of one side's fingerprints found in the
other; pairs whose larger share reaches the threshold are flagged. Fingerprints of the template
itself never count.
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from grader.grading.owncode import OwnFile

K = 16  # characters of normalized code in a k-gram (one or two statements)
WINDOW = 5  # winnowing window: any match of K + WINDOW - 1 characters is found
THRESHOLD = 0.5
MIN_SHARED = 12  # weighted fingerprints two documents must share at the least to be flagged
FULL = 1000  # the weight of a fingerprint only two documents share
FEWEST = 10  # documents needed before sharing by many says "common" rather than "copied"
COMMON_LISTED = 100  # pairs alike only in commonly shared code, listed apart
COLUMNS = 8192  # fingerprints per block of the pairwise product (bounds its memory)


@dataclass(frozen=True)
class Document:
    """One side of a comparison: a submission (``known`` empty) or a known file (its path)."""

    name: str
    files: tuple[OwnFile, ...]
    known: bool = False


@dataclass(frozen=True)
class Fingerprints:
    """A normalized file: copydetect's offsets back into the own code's text, and each
    fingerprint's positions in the normalized text."""

    offsets: np.ndarray
    positions: dict[int, list[int]]


@dataclass(frozen=True)
class Pair:
    """Two documents and the weighted share of each one's fingerprints found in the other."""

    a: int
    b: int
    share_a: float
    share_b: float
    plain_a: float
    plain_b: float
    shared: int

    @property
    def share(self) -> float:
        return max(self.share_a, self.share_b)


PRINT_LINE = re.compile(r"^[ \t]*print\b.*$", re.M)


def normalize(text: str) -> tuple[str, np.ndarray]:
    """copydetect's token filter (Python lexer) after lines that only print are blanked, with
    every digit made ``0`` (lengths kept throughout, so copydetect's offsets map back to ``text``)."""
    from copydetect.utils import filter_code  # imports matplotlib: only this command pays for it

    quiet = PRINT_LINE.sub(lambda m: " " * len(m.group()), text)
    filtered, offsets = filter_code(quiet, "code.py", language="python")
    return re.sub(r"\d", "0", filtered), offsets


def kgram_hashes(text: str, k: int = K) -> np.ndarray:
    """A stable 63-bit hash of every k-gram of ``text`` (the same on every machine and run)."""
    data = text.encode("utf-8", errors="replace")
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(data[i : i + k], digest_size=8).digest(), "big") >> 1
            for i in range(len(data) - k + 1)
        ],
        dtype=np.int64,
    )


def fingerprint(text: str, boilerplate: frozenset[int] = frozenset()) -> Fingerprints:
    """The winnowed fingerprints of ``text`` (copydetect's winnowing), template ones left out."""
    from copydetect.utils import winnow

    normalized, offsets = normalize(text)
    if not normalized.isascii():  # positions must be characters: keep them one byte each
        normalized = normalized.encode("ascii", errors="replace").decode("ascii")
    hashes = kgram_hashes(normalized)
    positions: dict[int, list[int]] = {}
    if len(hashes):
        selected, index = winnow(hashes, WINDOW, remove_duplicates=False)
        for value, i in zip(selected.tolist(), index.tolist()):
            if value not in boilerplate:
                positions.setdefault(value, []).append(i)
    return Fingerprints(offsets, positions)


def template_fingerprints(texts: Iterable[str]) -> frozenset[int]:
    return frozenset(h for text in texts for h in fingerprint(text).positions)


@functools.lru_cache(maxsize=4096)
def weight(frequency: int, documents: int) -> int:
    """How much a fingerprint found in ``frequency`` of ``documents`` counts, out of FULL:
    ``log(D/f) / log(D/2)``, so shared by two counts fully and shared by all counts nothing, with
    D at least FEWEST (in a smaller class, three alike is not yet "what everyone writes").
    Decimal's logarithm is correctly rounded: the same integer on every machine."""
    documents = max(documents, FEWEST)
    if frequency <= 2:
        return FULL
    with decimal.localcontext() as ctx:
        ctx.prec = 30
        ratio = (decimal.Decimal(documents) / frequency).ln() / (decimal.Decimal(documents) / 2).ln()
        return max(0, int((ratio * FULL).to_integral_value(rounding=decimal.ROUND_HALF_EVEN)))


def frequencies(sets: Sequence[frozenset[int]]) -> dict[int, int]:
    """In how many documents each fingerprint is."""
    frequency: dict[int, int] = {}
    for fingerprints in sets:
        for h in fingerprints:
            frequency[h] = frequency.get(h, 0) + 1
    return frequency


def pair_shares(sets: Sequence[frozenset[int]], pairs_of: Sequence[tuple[int, int]]) -> list[Pair]:
    """The shares of the pairs ``pairs_of`` of documents, from their fingerprint sets.

    The products run in float64 on integer values, exact whatever the BLAS and summation order."""
    frequency = frequencies(sets)
    shared = sorted(h for h, f in frequency.items() if f >= 2)
    column = {h: i for i, h in enumerate(shared)}
    weights = np.array([weight(frequency[h], len(sets)) for h in shared], dtype=np.float64)
    weighted = np.zeros((len(sets), len(sets)))
    plain = np.zeros((len(sets), len(sets)))
    columns = [sorted(column[h] for h in fingerprints if h in column) for fingerprints in sets]
    for start in range(0, len(shared), COLUMNS):
        block = np.zeros((len(sets), min(COLUMNS, len(shared) - start)))
        for row, cols in enumerate(columns):
            block[row, [c - start for c in cols if start <= c < start + COLUMNS]] = 1.0
        weighted += (block * weights[start : start + COLUMNS]) @ block.T
        plain += block @ block.T
    sizes = [max(len(s), 1) for s in sets]
    return [
        Pair(
            a,
            b,
            share_a=round(weighted[a, b] / (FULL * sizes[a]), 4),
            share_b=round(weighted[a, b] / (FULL * sizes[b]), 4),
            plain_a=round(plain[a, b] / sizes[a], 4),
            plain_b=round(plain[a, b] / sizes[b], 4),
            shared=int(round(weighted[a, b] / FULL)),  # noqa: RUF046 (numpy 1.x rounds to a float64)
        )
        for a, b in pairs_of
    ]


def flagged(pairs: Iterable[Pair], threshold: float = THRESHOLD) -> list[Pair]:
    """Pairs whose larger share reaches ``threshold`` over enough shared code, largest first."""
    return sorted(
        (p for p in pairs if p.share >= threshold and p.shared >= MIN_SHARED), key=lambda p: (-p.share, p.a, p.b)
    )


def alike_but_common(pairs: Iterable[Pair], threshold: float = THRESHOLD, limit: int = COMMON_LISTED) -> list[Pair]:
    """Pairs not flagged whose unweighted share reaches ``threshold``: alike, in code much of
    the class shares (everyone wrote the short functions the same way, or copied the same
    source); the ``limit`` most alike, for a person to judge which."""
    alike = (
        p
        for p in pairs
        if max(p.plain_a, p.plain_b) >= threshold and not (p.share >= threshold and p.shared >= MIN_SHARED)
    )
    return sorted(alike, key=lambda p: (-max(p.plain_a, p.plain_b), p.a, p.b))[:limit]


def matched_spans(mine: Fingerprints, common: Iterable[int]) -> list[tuple[int, int]]:
    """(start, end) character ranges of the own code's text covered by the ``common``
    fingerprints (copydetect's slices, mapped back through its offsets)."""
    from copydetect.utils import get_copied_slices

    index = [i for h in common for i in mine.positions.get(h, ())]
    if not index:
        return []
    slices = get_copied_slices(np.array(index), K)
    if len(mine.offsets):
        where = np.clip(np.searchsorted(mine.offsets[:, 0], slices), 0, mine.offsets.shape[0] - 1)
        slices = slices + mine.offsets[:, 1][where]
    return [(int(s), int(e)) for s, e in zip(slices[0], slices[1])]


def marked_lines(own: OwnFile, spans: Sequence[tuple[int, int]]) -> list[dict]:
    """The own lines of a file, each as segments (text, matched) for a side-by-side page; a line
    that does not follow the previous one in the file starts a new block (``gap``)."""
    rows, offset, previous = [], 0, None
    for line in own.lines:
        end = offset + len(line.text)
        cuts = sorted({offset, end, *(max(offset, min(end, x)) for s in spans for x in s)})
        segments = [
            (line.text[a - offset : b - offset], any(s <= a and b <= e for s, e in spans))
            for a, b in itertools.pairwise(cuts)
            if b > a
        ]
        rows.append(
            {
                "label": line.label,
                "segments": segments or [("", False)],
                "gap": previous is not None and line.index != previous + 1,
            }
        )
        offset, previous = end + 1, line.index
    return rows
