"""A learned transliteration likelihood: how likely a Latin spelling is as a transliteration of a
name written in another script (framework-free).

Rules compare a romanised name with a Latin one (``features.token_similarity``: ICU's
romanisation, respelling, consonant skeletons); they miss what romanisation standards do not
say: 高克 is Gauck (ICU: gao ke), 李文森 Levinson (li wen sen), 速成院 Sokuseiin (a Japanese
reading; ICU gives the Chinese one), ミリーチ Milíč. This model learns, from real labelled pairs,
which Latin letters each character of another script is written as.

**Model.** Each character ``c`` of the other name is written as a Latin segment ``s`` of zero
to ``MAX_SEGMENT`` letters with probability ``P(s | c)``; the Latin name is the segments in
order (a hidden segmentation, summed over by a forward pass: ``Model.forward``). ``P(s | c)`` was
fitted by expectation maximisation on the train split's positive pairs
(``scripts/names_translit_fit.py``), backed off to ICU's romanisation of ``c`` or to any
segment spelled with the letter frequencies of Latin names (``Model``), which is all there is
for a character not seen in training. The evidence is the log-likelihood ratio of the
Latin letters under the model and under a background model of Latin names (letter bigrams),
per letter; a logistic map fitted on the train split turns it into a probability
(``probability``).

**Where it applies** (``covered``): names in the scripts it was trained on (Arabic, Cyrillic,
Han, kana), against names in Latin script. Hebrew and Hangul are not covered: the only real
labelled pairs for them that this project found are held out for an independent evaluation, so
a name in those scripts gets no value here (neutral), and is compared by the rules alone.

The Latin side is the name's canonical content tokens joined (``model_letters``), the form the
model was fitted on; the other side is the name's words after ``clean`` (``covered``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from accord.engine.matching.calibrate import sigmoid
from accord.engine.matching.normalize import clean, name_form, romanise, script_of

__all__ = [
    "COVERED_SCRIPTS",
    "MAX_SEGMENT",
    "Model",
    "covered",
    "load",
    "model_letters",
    "probability",
]

#: The longest Latin segment one character is written as.
MAX_SEGMENT: Final = 4
#: Scripts the model was fitted on (``normalize.script_of`` codes).
COVERED_SCRIPTS: Final = frozenset({"Arab", "Cyrl", "Hani", "Jpan"})
#: Characters of the other name read (longer names are cut: the forward pass is quadratic).
MAX_CHARS: Final = 24
#: Latin letters read.
MAX_LETTERS: Final = 40
_MODEL_FILE: Final = "translit-v1.json"
#: Where a name in a covered script is split into words.
_SEPARATORS: Final = re.compile(r"[\s\u00b7\u30fb\u2027=\-]+")
#: The evidence is clipped to this (an impossible segmentation gives minus infinity).
EVIDENCE_LIMIT: Final = 8.0


def _ascii_letters(text: str) -> str:
    return "".join(ch for ch in text if "a" <= ch <= "z")


@lru_cache(maxsize=20_000)
def _romanised(ch: str) -> str:
    return _ascii_letters(romanise(ch))


class Model:
    """Segment probabilities per character, their backoff, a background model of Latin letters
    and the logistic map of the evidence to a probability.

    ``P(s | c) = n(c, s) / (n(c) + beta) + beta / (n(c) + beta) * B(s | c)`` for a character
    seen in training (``n``: the expected counts of the fit), ``B(s | c)`` for one not seen;
    the backoff ``B(s | c) = rho * [s is ICU's romanisation of c] + (1 - rho) * lambda(|s|) *
    u(s)``: the romanisation, or any segment, its length drawn from ``lambda`` and its letters
    from the letter frequencies ``u`` of Latin names. Every term sums to one over the segments,
    so a character the model knows nothing of explains the Latin letters no better than the
    background does (no evidence either way)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.beta: float = float(data["beta"])
        self.rho: float = float(data["rho"])
        self.lengths: list[float] = [float(x) for x in data["lengths"]]
        if len(self.lengths) != MAX_SEGMENT + 1:
            raise ValueError(f"a segment length model needs {MAX_SEGMENT + 1} probabilities")
        counts: dict[str, dict[str, float]] = data["segments"]
        self.totals: dict[str, float] = {ch: sum(d.values()) for ch, d in counts.items()}
        self.segments: dict[str, dict[str, float]] = counts
        bigrams: dict[str, float] = data["bigrams"]
        firsts: dict[str, float] = {}
        letter_counts: dict[str, float] = {}
        for pair, n in bigrams.items():
            firsts[pair[0]] = firsts.get(pair[0], 0.0) + n
            if "a" <= pair[1] <= "z":
                letter_counts[pair[1]] = letter_counts.get(pair[1], 0.0) + n
        self.letters: int = int(data["alphabet"])
        self.bigrams: dict[str, float] = {
            pair: math.log((n + 0.5) / (firsts[pair[0]] + 0.5 * self.letters))
            for pair, n in bigrams.items()
        }
        self.unseen_bigram: dict[str, float] = {
            first: math.log(0.5 / (n + 0.5 * self.letters)) for first, n in firsts.items()
        }
        letters_total = sum(letter_counts.values()) + 0.5 * 26
        #: u: the frequency of each letter a-z in Latin names (add-half smoothed).
        self.unigram: dict[str, float] = {
            chr(c): (letter_counts.get(chr(c), 0.0) + 0.5) / letters_total
            for c in range(ord("a"), ord("z") + 1)
        }
        self.slope: float = float(data["calibration"][0])
        self.intercept: float = float(data["calibration"][1])
        self._tables: dict[str, tuple[float, dict[str, float]]] = {}
        self._groups: dict[str, tuple[float, float, dict[str, list[tuple[str, float]]]]] = {}

    def table(self, ch: str) -> tuple[float, dict[str, float]]:
        """The weight of the any-segment backoff, ``(1 - rho) * beta / (n(c) + beta)`` (``1 -
        rho`` for an unseen character), and the probability of the listed segments without
        it: the counts and the romanisation's share."""
        kept = self._tables.get(ch)
        if kept is not None:
            return kept
        roman = _romanised(ch)
        seen = self.segments.get(ch)
        escape = 1.0 if seen is None else self.beta / (self.totals[ch] + self.beta)
        listed: dict[str, float] = {}
        if seen is not None:
            total = self.totals[ch] + self.beta
            listed = {s: n / total for s, n in seen.items()}
        if len(roman) <= MAX_SEGMENT:
            listed[roman] = listed.get(roman, 0.0) + escape * self.rho
        kept = (escape * (1.0 - self.rho), listed)
        self._tables[ch] = kept
        return kept

    def by_first_letter(self, ch: str) -> tuple[float, float, dict[str, list[tuple[str, float]]]]:
        """``table`` arranged for the forward pass: the backoff's weight, the empty segment's
        listed probability, and the other listed segments by their first letter."""
        kept = self._groups.get(ch)
        if kept is not None:
            return kept
        backoff, listed = self.table(ch)
        groups: dict[str, list[tuple[str, float]]] = {}
        for segment, p in listed.items():
            if segment:
                groups.setdefault(segment[0], []).append((segment, p))
        kept = (backoff, listed.get("", 0.0), groups)
        self._groups[ch] = kept
        return kept

    def segment_probability(self, ch: str, segment: str) -> float:
        """``P(segment | ch)`` (the fit's E-step reads it)."""
        backoff, listed = self.table(ch)
        spelled = self.lengths[len(segment)]
        for letter in segment:
            spelled *= self.unigram.get(letter, 0.0)
        return listed.get(segment, 0.0) + backoff * spelled

    def forward(self, letters: str, chars: str) -> list[list[float]]:
        """The forward pass: row ``i``, column ``j`` is the probability that the first ``i``
        characters are written as the first ``j`` letters, summed over every segmentation (the
        same sums as ``segment_probability`` over every cell: the backoff from running
        products of letter frequencies, the listed segments found by their first letter).

        The backoff's share of a cell is ``run[j] * sum over k of prev[k] / run[k] * backoff *
        lengths[j - k]`` (``u(letters[k:j])`` is ``run[j] / run[k]``), a sum over the last
        ``MAX_SEGMENT + 1`` columns: kept in a sliding window of locals, one pass per row
        (compiled, a quarter to a third less time than a loop over the segment lengths per cell:
        6.5 against 8.9 us for ahmed / احمد, 26 against 34 us for abdulrahman / عبدالرحمن)."""
        m = len(letters)
        unigram = self.unigram
        l0, l1, l2, l3, l4 = self.lengths  # MAX_SEGMENT + 1 lengths (checked in __init__)
        run = [1.0] * (m + 1)
        product = 1.0
        for j in range(m):
            product *= unigram.get(letters[j], 1e-9)
            run[j + 1] = product
        prev = [0.0] * (m + 1)
        prev[0] = 1.0
        rows = [prev]
        for ch in chars:
            backoff, empty, groups = self.by_first_letter(ch)
            cur = [0.0] * (m + 1)
            w1 = w2 = w3 = w4 = 0.0  # prev[k] / run[k] * backoff for k = j-1 .. j-4
            for j in range(m + 1):
                a = prev[j]
                w0 = a * backoff / run[j]
                cur[j] += run[j] * (w0 * l0 + w1 * l1 + w2 * l2 + w3 * l3 + w4 * l4) + a * empty
                w4, w3, w2, w1 = w3, w2, w1, w0
                if a != 0.0 and j < m:
                    for segment, p in groups.get(letters[j], ()):
                        end = j + len(segment)
                        if end <= m and letters.startswith(segment, j):
                            cur[end] += a * p
            rows.append(cur)
            prev = cur
        return rows

    def log_likelihood(self, letters: str, chars: str) -> float:
        """log P(letters | chars) (``forward``); -1e9 when no segmentation is possible."""
        last = self.forward(letters, chars)[-1][len(letters)]
        return math.log(last) if last > 1e-300 else -1e9

    def background(self, letters: str) -> float:
        """log P(letters) under the letter bigrams of Latin names (with start and end marks)."""
        text = "^" + letters + "$"
        total = 0.0
        for a, b in itertools.pairwise(text):
            lp = self.bigrams.get(a + b)
            if lp is None:
                lp = self.unseen_bigram.get(a, -math.log(self.letters))
            total += lp
        return total

    def evidence(self, letters: str, chars: str) -> float:
        """The log-likelihood ratio of ``letters`` as written from ``chars`` against any Latin
        name, per letter."""
        ratio = (self.log_likelihood(letters, chars) - self.background(letters)) / (
            len(letters) + 1
        )
        return max(min(ratio, EVIDENCE_LIMIT), -EVIDENCE_LIMIT)

    def probability(self, evidence: float) -> float:
        return sigmoid(self.slope * evidence + self.intercept)


@lru_cache(maxsize=1)
def load() -> Model:
    """The shipped model (read once)."""
    text = resources.files("accord.engine.matching").joinpath(_MODEL_FILE).read_text("utf-8")
    return Model(json.loads(text))


def covered(text: str) -> str:
    """The words of a name the model reads, joined by one space, or "" when its script is not
    covered: after ``clean``, split at spaces and name separators (·, ・, =, -), marks dropped
    (the katakana long vowel kept), words that are only particles left out (بن, آل: the Latin
    side's tokens leave them out too), at most ``MAX_CHARS`` letters."""
    cleaned = clean(text)
    if script_of(cleaned) not in COVERED_SCRIPTS:
        return ""
    words = []
    letters = 0
    for raw in _SEPARATORS.split(cleaned):
        word = "".join(ch for ch in raw if ch.isalpha() or ch == "ー")
        if not word or all(name_form(word).particles):
            continue
        word = word[: MAX_CHARS - letters]
        if not word:
            break
        words.append(word)
        letters += len(word)
    return " ".join(words)


def model_letters(tokens: tuple[str, ...]) -> str:
    """The Latin side: a name's canonical content tokens joined, ASCII letters only."""
    return _ascii_letters("".join(tokens))[:MAX_LETTERS]


def probability(letters: str, letters_reversed: str, chars: str) -> float:
    """The probability that a Latin name (its letters in order and with its parts reversed: a
    family name first or last) is a transliteration of ``chars``; 0.0 when either is empty.
    Not cached here: ``features.transliteration``, its caller, caches per pair of names."""
    if not letters or not chars:
        return 0.0
    model = load()
    best = model.evidence(letters, chars)
    if letters_reversed != letters:
        best = max(best, model.evidence(letters_reversed, chars))
    return round(model.probability(best), 6)
