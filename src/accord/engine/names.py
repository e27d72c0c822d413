# ruff: noqa: RUF001, RUF003  (non-Latin letters are the subject of this module)
"""Name normalisation for search across scripts (framework-free).

``normalize_name`` gives the Latin-ASCII search form of a name: Unicode NFKC, case folding,
transliteration of any script to Latin with ICU (``Any-Latin; Latin-ASCII``, which also removes
diacritics), punctuation to spaces, whitespace collapsed. ``name_tokens`` gives the tokens to
index: the Latin-ASCII tokens *and* the case- and accent-folded tokens in the original script.
``query_tokens`` applies the same rules to a query, so that a query token matches an index token
exactly. The transliteration rule (:data:`TRANSLITERATION`, :func:`transliterator`), the Arabic
folding (:data:`ARABIC_FOLD`) and the input cap (:data:`MAX_INPUT`) are defined here once for
search and screening: :mod:`accord.engine.matching.normalize` builds on them.

What matches and what does not (search, not screening):

* Latin accent and case variants meet: "Müller", "MULLER", "muller" all give ``muller``.
* Cyrillic, Greek, Hangul, kana and Han names transliterate well: "Владимир" gives ``vladimir``,
  so a Latin query finds the Cyrillic name. Cyrillic uses BGN/PCGN ("Юсуф" -> ``yusuf``,
  "Хрущёв" -> ``khrushchev``) rather than ICU's default ISO 9, which loses "yu" and "kh".
* Arabic and Hebrew are written without most vowels, and ICU transliterates letter by letter:
  "محمد" gives ``mhmd``; a Latin query "muhammad" does NOT find the Arabic name. An Arabic query
  finds Arabic names: before both paths the screening engine's Arabic folding
  (:data:`ARABIC_FOLD`) removes vowel marks, folds the hamza forms of alef, alef maqsura and the
  Persian yeh and keheh, and drops ta marbuta, ain and hamza, so "مُحَمَّد" and "محمد" share
  ``محمد`` and ``mhmd``, and "فاطمة" gives ``فاطم`` and ``fatm``. Matching "Muhammad" to "محمد"
  is the screening engine's job (phonetic keys and transliteration variants), not search's.
  Hebrew points are not removed before transliteration (screening keeps them too): "מֹשֶׁה"
  gives ``moseh`` where "משה" gives ``msh``; both give the original-script token ``משה``.

Input is hostile-safe: at most ``MAX_INPUT`` characters are read, control and format characters
become spaces, markup is just punctuation, and each token is at most ``MAX_TOKEN`` characters.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any, Final

import icu

__all__ = [
    "ARABIC_FOLD",
    "MAX_INPUT",
    "MAX_TOKEN",
    "name_tokens",
    "normalize_name",
    "query_tokens",
    "script_of",
    "transliterator",
]

#: Most characters of a name that are read (search and screening alike); the rest is ignored.
MAX_INPUT: Final = 500
MAX_TOKEN: Final = 64
#: The ICU transform from any script to Latin ASCII (diacritics removed), for search and
#: screening. ICU's Any-Latin uses ISO 9 for Cyrillic (Ю -> û -> u); BGN/PCGN (Ю -> yu, Х -> kh)
#: is how Russian names are spelt in Latin in practice, so Cyrillic goes through it first.
TRANSLITERATION: Final = "Russian-Latin/BGN; Any-Latin; Latin-ASCII"

#: Folded before transliteration, so that spellings of one Arabic-script name meet: letter
#: variants writers use interchangeably in names, letters romanisations leave out, and vowel
#: marks (names are usually written without them).
ARABIC_FOLD: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": None,  # ta marbuta: a final vowel in romanisations (Hamza, Fatima)
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # Persian keheh
        "ـ": None,  # tatweel (kashida), a stretching stroke
        "ع": None,  # ain: dropped in most romanisations (Abd, Ali, Omar)
        "ء": None,  # hamza on its own
        # vowel marks: harakat, shadda, sukun, superscript alef
        **dict.fromkeys(map(chr, range(0x064B, 0x0660)), None),
        chr(0x0670): None,
    }
)
_ASCII_KEEP: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ISO_15924: Final = {"Hira": "Jpan", "Kana": "Jpan", "Hrkt": "Jpan"}

_local = threading.local()


def transliterator() -> Any:
    """This thread's ICU transliterator for :data:`TRANSLITERATION` (one per thread, built once:
    construction costs milliseconds, and an ICU transliterator is not thread-safe)."""
    trans = getattr(_local, "trans", None)
    if trans is None:
        trans = icu.Transliterator.createInstance(TRANSLITERATION)
        _local.trans = trans
    return trans


def _clean(s: str) -> str:
    """Capped, NFKC, case-folded, Arabic-folded; control/format characters become spaces."""
    text = unicodedata.normalize("NFKC", s[:MAX_INPUT]).casefold()
    if not text.isascii():
        text = text.translate(ARABIC_FOLD)
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def _ascii_words(text: str) -> str:
    out = "".join(ch if ch in _ASCII_KEEP else " " for ch in text.lower())
    return " ".join(out.split())


@lru_cache(maxsize=65536)
def _latin(cleaned: str) -> str:
    if cleaned.isascii():
        return _ascii_words(cleaned)
    return _ascii_words(str(transliterator().transliterate(cleaned)))


def normalize_name(s: str) -> str:
    """Latin-ASCII search form: ``"Jean-Pierre MÜLLER"`` -> ``"jean pierre muller"``."""
    if not s:
        return ""
    return _latin(_clean(s))


def _folded_original(cleaned: str) -> list[str]:
    """Original-script tokens: accents and vowel marks removed, punctuation split."""
    decomposed = unicodedata.normalize("NFD", cleaned)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn":
            continue
        kept.append(ch if category[0] in "LN" else " ")
    return unicodedata.normalize("NFC", "".join(kept)).split()


def name_tokens(s: str) -> list[str]:
    """Unique tokens to index for a name: Latin-ASCII tokens, then original-script tokens."""
    if not s:
        return []
    cleaned = _clean(s)
    tokens: dict[str, None] = {}
    for token in _latin(cleaned).split():
        tokens[token[:MAX_TOKEN]] = None
    if not cleaned.isascii():
        for token in _folded_original(cleaned):
            if not token.isascii():
                tokens[token[:MAX_TOKEN]] = None
    return list(tokens)


def query_tokens(s: str) -> list[str]:
    """Tokens of a search query, by the same rules as ``name_tokens`` (so they meet exactly)."""
    return name_tokens(s)


@lru_cache(maxsize=4096)
def _script_of_char(ch: str) -> str:
    code = str(icu.Script.getScript(ch).getShortName())
    return _ISO_15924.get(code, code)


def script_of(s: str) -> str:
    """ISO 15924 code of the dominant script of ``s`` (Latn, Arab, Cyrl, Grek, Hebr, Hani, Jpan,
    Hang...), or ``Zyyy`` when it has no letters. Han with kana is Japanese (``Jpan``)."""
    counts: Counter[str] = Counter()
    for ch in s[:MAX_INPUT]:
        if ch.isascii():
            if ch.isalpha():
                counts["Latn"] += 1
        elif ch.isalpha():
            code = _script_of_char(ch)
            if code not in ("Zyyy", "Zinh", "Zzzz"):
                counts[code] += 1
    if not counts:
        return "Zyyy"
    if counts.get("Jpan") and counts.get("Hani"):
        counts["Jpan"] += counts.pop("Hani")
    return counts.most_common(1)[0][0]
