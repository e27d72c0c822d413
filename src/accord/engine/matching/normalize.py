# ruff: noqa: RUF001, RUF002, RUF003
"""Name normalisation for screening: clean, romanise, canonicalise, key (framework-free).

Pipeline for one name (every step is a pure function, results cached per token):

1. ``clean``: at most ``MAX_INPUT`` characters, Unicode NFKC, case folding, control and format
   characters (zero-width joiners, bidi marks) removed, Arabic letter variants and vowel marks
   folded, Latin look-alikes in other scripts (Cyrillic ``а``, Greek ``ο``) folded to Latin when
   the rest of the word is Latin (confusables).
2. ``romanise``: ICU ``Russian-Latin/BGN; Any-Latin; Latin-ASCII`` (Arabic, Persian, Cyrillic,
   Greek, Hebrew, Han, kana, Hangul; diacritics removed), punctuation to spaces. One transliterator
   per thread; results cached.
3. ``canonical_tokens``: romanisation variants of real names brought to one form: Muhammad
   (Mohammed, Mohamed, Mohd, Mehmet...), ``abd al-X``/``abdul X``/``abdel X``/``abdulX`` ->
   ``abdX``, articles (al-, el-, ul-, ar-, ash-...) detached, particles (bin, ibn, ben, bint, abu,
   umm, von, van, de...) marked so that features can weigh them low.
4. ``skeleton``: a consonant skeleton after phonetic folding (q/c/ck/g -> k, ph -> f, z -> s,
   v -> w, th/dh -> t/d, vowels, y, w and h dropped, doubles collapsed): ``Muhammad``, ``محمد``
   (``mhmd``) and ``Mohamed`` all give ``mmd``; it is the blocking key of the index.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import icu

from accord.engine.names import script_of

__all__ = [
    "ARTICLES",
    "MAX_INPUT",
    "PARTICLES",
    "NameForm",
    "canonical_tokens",
    "clean",
    "name_form",
    "respell",
    "romanise",
    "script_of",
    "scripts_in",
    "skeleton",
]

MAX_INPUT: Final = 500
_TRANSLITERATION: Final = "Russian-Latin/BGN; Any-Latin; Latin-ASCII"

#: Arabic letter variants written interchangeably, and vowel marks (names are written without).
_ARABIC_FOLD: Final = str.maketrans(
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
        "ـ": None,
        "ع": None,  # ain: dropped in most romanisations (Abd, Ali, Omar)
        "ء": None,
        **dict.fromkeys(map(chr, range(0x064B, 0x0660)), None),
        chr(0x0670): None,
    }
)
#: Letters of other scripts that look like Latin letters (Unicode confusables, the usual ones).
_CONFUSABLES: Final = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "к": "k", "м": "m", "т": "t", "в": "b",
        "н": "h", "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t",
    }
)  # fmt: skip
_CONFUSABLE_CHARS: Final = frozenset("аеорсухіјѕԁһкмтвнαορνικτ")
#: Arabic writes the foreign sound ch (Chechen, Çiller, Rotich) as ت + ش, which is Persian چ:
#: it is replaced by چ before romanisation (``ch``, not ``tsh``). ط + ش stays two letters.
#: Ain at the start of a word (or after the article): romanisations write its vowel (Omar, Ali,
#: al-Omari), so it becomes alif (a vowel) there, the article detached; elsewhere it is dropped
#: (Ismail, Saad).
_INITIAL_AIN: Final = re.compile(r"(?<![^\W_])(ال)?ع")


def _ain_to_alif(m: re.Match[str]) -> str:
    return "ال ا" if m.group(1) else "ا"


_ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

#: Definite articles written attached or detached (al-Tamimi, Al Tamimi, ash-Shami, el-Masri).
ARTICLES: Final = frozenset(
    {"al", "el", "ul", "ur", "ud", "us", "ar", "as", "ash", "ad", "adh", "at", "az", "an"}
)
#: Name particles: patronymic and kunya links, nobiliary and family particles.
PARTICLES: Final = frozenset(
    {
        "bin", "bn", "ibn", "ben", "bint", "binti", "bte", "abu", "abou", "umm", "um", "ould",
        "oul", "von", "van", "der", "den", "de", "da", "di", "del", "della", "dos", "das", "du",
        "la", "le", "y", "mc", "st", "ter", "zu", *ARTICLES,
    }
)  # fmt: skip
#: Romanisations of one name brought to one form.
_VARIANTS: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "mohammed", "mohamed", "mohammad", "mohamad", "muhammed", "muhamed", "mohd", "muhd",
            "mhd", "mhmd", "mehmet", "mehmed", "mohamud", "mahomed", "mouhamed", "mouhammad",
            "muhamad", "muhammet", "magomed", "mamadou", "mamadu", "mukhammad", "mukhammed",
        ),
        "muhammad",
    ),
    **dict.fromkeys(("ahmad", "ahmet", "akhmed", "ahmd"), "ahmed"),
    **dict.fromkeys(("husayn", "hussain", "husein", "hussein", "hossein", "huseyin"), "husain"),
    **dict.fromkeys(("yusuf", "youssef", "yousef", "yusef", "youcef", "josef", "joseph"), "yusuf"),
    **dict.fromkeys(("abdallah", "abdulla", "abdoullah"), "abdullah"),
}  # fmt: skip
_ABD: Final = re.compile(r"^(abdoul|abdul|abdel|abdal|abdur|abdus|abdu|abd)(.+)$")
_ABD_WORDS: Final = frozenset(
    {"abd", "bd", "abdul", "abdel", "abdal", "abdoul", "abdu", "abdur", "abdus"}
)
_FOLD: Final = (
    ("sch", "s"), ("tch", "s"), ("chr", "kr"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "k"),
    ("gh", "k"), ("ph", "f"), ("th", "t"), ("dh", "s"), ("sh", "s"), ("ch", "s"), ("ck", "k"),
    ("ou", "u"), ("ee", "i"),
)  # fmt: skip
_LETTER_FOLD: Final = str.maketrans(
    {
        "q": "k", "c": "k", "g": "k", "z": "s", "v": "w", "x": "ks", "p": "b",
        "a": None, "e": None, "i": None, "o": None, "u": None, "y": None, "w": None, "h": None,
    }
)  # fmt: skip
#: Spelling variants of one sound in Latin romanisations, brought to one spelling in canonical
#: tokens (so that the token comparison, not only the skeleton, sees them as equal). Applied in
#: order to a lower-case ASCII token; see ``respell``.
_RESPELL: Final = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"tsch", "ch"),  # German tsch: Tscheler, Cheler
        (r"sch", "sh"),  # German sch: Schwab, Shwab
        (r"t(?=ch)", ""),  # French and English tch: Tchaikovsky, Chaikovsky
        (r"ph", "f"),  # Greek ph: Josephine, Josefine
        (r"d(?=zh|j)", ""),  # dzh (BGN), dj (French): Dzhokhar, Djokhar, Jokhar
        (r"zh", "j"),
        (r"ck", "k"),
        # Russian х, Arabic خ as kh or h (Turkish), not after a letter it would pair with
        (r"(?<![cdgkpstz])kh(?!$)", "h"),  # Khadiyev, Hadiyev
        (r"gh", "g"),  # Arabic غ as gh or g
        (r"gu(?=[eiy])", "g"),  # Spanish, Italian, French gu: Guerrero, Gerrero
        (r"qu(?=[eiy])", "k"),  # qu before e, i: Enrique, Enrike
        (r"q", "k"),  # Arabic ق as q or k: Qahtani, Kahtani
        (r"c(?=[eiy])", "s"),  # soft c: Marcel, Marsel
        (r"c(?!h)", "k"),  # hard c: Carlos, Karlos
        (r"x", "ks"),  # Alexander, Aleksandr
        (r"(?<=.)ye", "e"),  # BGN ye after a vowel or soft sign: Andreyev, Andreev
        (r"^i(?=[aeou])", "y"),  # ICAO ia, iu at the start: Iurii, Yuriy; Iakov, Yakov
        (r"(?<=[^aeiouy])y(?=[^aeiouy]|$)", "i"),  # y between consonants, final: Dmitry, Dmitri
        (r"(?<=[^aeiouwy])w(?=[^aeiouwy]|$)", "u"),  # Arabic و between consonants: Ywsf, Yusuf
        (r"ou", "u"),  # French ou: Moustafa, Mustafa
        (r"ee", "i"),  # English ee: Kareem, Karim
        (r"oo", "u"),  # English oo: Mahmood, Mahmud
        (r"iy$|ij$", "i"),  # Russian -ий: Dmitriy, Dmitrij, Dmitri
        (r"ey$", "ei"),  # Russian -ей: Sergey, Sergei
        (r"(?<=[aeiou])z$", "s"),  # Spanish, Portuguese -ez/-es: Mendez, Mendes
        (r"(.)\1+", r"\1"),  # doubled letters: Hassan, Hasan; Dmitrii, Dmitri
    )
)
_ASCII_KEEP: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")
_local = threading.local()


def _transliterator() -> Any:
    trans = getattr(_local, "trans", None)
    if trans is None:
        trans = icu.Transliterator.createInstance(_TRANSLITERATION)
        _local.trans = trans
    return trans


def _fold_confusables(word: str) -> str:
    """A word mostly in Latin letters with look-alikes from other scripts becomes Latin."""
    if word.isascii() or not any(ch in _CONFUSABLE_CHARS for ch in word):
        return word
    latin = sum(1 for ch in word if ch.isascii() and ch.isalpha())
    letters = sum(1 for ch in word if ch.isalpha())
    if latin * 2 <= letters:  # mostly another script: a Latin letter slipped in (Сопhие)
        return word
    return word.translate(_CONFUSABLES)


def clean(text: str) -> str:
    """NFKC, case-folded, control/format/zero-width characters removed, confusables folded."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text[:MAX_INPUT]).casefold()
    if not s.isascii():
        s = "".join("" if ch in _ZERO_WIDTH or unicodedata.category(ch) == "Cf" else ch for ch in s)
        s = _INITIAL_AIN.sub(_ain_to_alif, s).translate(_ARABIC_FOLD).replace("تش", "چ")
        s = " ".join(_fold_confusables(w) for w in s.split())
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in s)


#: Chinese two-character family names (the rest are one character).
_HAN_COMPOUND: Final = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "司徒", "东方", "慕容", "夏侯", "皇甫", "令狐", "尉迟", "长孙"}
)
#: Korean family names whose Revised Romanisation differs from the usual spelling.
_HANGUL_FAMILY: Final = {
    "김": "kim", "이": "lee", "리": "lee", "박": "park", "최": "choi", "정": "jung", "조": "cho",
    "윤": "yoon", "임": "lim", "오": "oh", "신": "shin", "류": "ryu", "유": "yoo", "노": "noh",
}  # fmt: skip


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _romanise_cjk(word: str) -> str:
    """Family name, then the given name's syllables joined: 张小明 -> ``zhang xiaoming``.

    Each character is romanised alone (ICU Han-Latin / Hangul-Latin, tones and diacritics
    removed), so that Latin forms written with the given name in one word (Xiaoming, Minjun)
    meet the native form; Korean family names take their usual spelling (김 -> kim, 이 -> lee)."""
    trans = _transliterator()
    fam_len = 2 if len(word) >= 3 and word[:2] in _HAN_COMPOUND else 1
    family = word[:fam_len]
    if _is_hangul(family[0]) and family in _HANGUL_FAMILY:
        fam = _HANGUL_FAMILY[family]
    else:
        fam = "".join(str(trans.transliterate(ch)) for ch in family)
    given = "".join(str(trans.transliterate(ch)) for ch in word[fam_len:])
    return f"{fam} {given}" if given else fam


@lru_cache(maxsize=200_000)
def _romanise_word(word: str) -> str:
    if 2 <= len(word) <= 4 and (all(map(_is_han, word)) or all(map(_is_hangul, word))):
        return _romanise_cjk(word)
    return str(_transliterator().transliterate(word)).replace("\u00b7", "")


def _romanise_cleaned(cleaned: str) -> str:
    if cleaned.isascii():
        latin = cleaned
    else:
        latin = " ".join(w if w.isascii() else _romanise_word(w) for w in cleaned.split())
    latin = latin.lower().replace("'", "").replace("ʿ", "").replace("ʾ", "")
    return " ".join("".join(ch if ch in _ASCII_KEEP else " " for ch in latin).split())


def romanise(text: str) -> str:
    """Latin-ASCII words of a name in any script: ``"Абдурахманов"`` -> ``"abdurakhmanov"``."""
    return _romanise_cleaned(clean(text))


def scripts_in(text: str) -> tuple[str, ...]:
    """ISO 15924 codes of the scripts of each word (``mixed`` names have more than one)."""
    seen: dict[str, None] = {}
    for word in text[:MAX_INPUT].split():
        code = script_of(word)
        if code != "Zyyy":
            seen[code] = None
    return tuple(seen)


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton of a romanised token (the blocking and phonetic key)."""
    s = token
    for a, b in _FOLD:
        if a in s:
            s = s.replace(a, b)
    if "h" in s:  # h (after kh, sh... are folded) is a consonant, except at the end: Hamza(h)
        s = s[:-1].replace("h", "k") + s[-1] if s[-1] == "h" else s.replace("h", "k")
        if s.endswith("h"):
            s = s[:-1]
    s = s.translate(_LETTER_FOLD)
    out: list[str] = []
    for ch in s:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=200_000)
def respell(word: str) -> str:
    """One spelling for the usual spelling variants of a romanised word (``_RESPELL``).

    General rules of Latin romanisation, not a list of names: q/k, soft and hard c, kh/h,
    gh/g, dj/dzh/zh/j, sch/sh, tch/ch, ph/f, x/ks, ou/u, ee/i, oo/u, BGN ``ye`` after a vowel,
    ICAO ``ia``/``iu``, ``y`` and ``w`` written for vowels between consonants (Arabic ي and و),
    final ``-iy``/``-ey``, and doubled letters collapsed. Words of one or two letters (initials,
    particles) are kept."""
    if len(word) <= 2:
        return word
    for pattern, repl in _RESPELL:
        word = pattern.sub(repl, word)
    return word


def _canonical(word: str) -> str:
    """The one form of a name variant, respelled; particles are kept as written."""
    word = _VARIANTS.get(word, word)
    return word if word in PARTICLES else respell(word)


@lru_cache(maxsize=200_000)
def _canonical_from_roman(roman: str) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    words = roman.split()
    tokens: list[str] = []
    particle: list[bool] = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        # abd al-X, abdul X, abdel X, abd X -> abdX
        if w in _ABD_WORDS and nxt:
            j = i + 1
            if words[j] in ARTICLES and j + 1 < len(words):
                j += 1
            tokens.append("abd" + respell(_strip_article(words[j])))
            particle.append(False)
            i = j + 1
            continue
        m = _ABD.match(w)
        if m and len(m.group(2)) >= 3 and w not in _VARIANTS:
            tokens.append("abd" + respell(_strip_article(m.group(2))))
            particle.append(False)
            i += 1
            continue
        if w in ARTICLES and nxt:
            i += 1  # the article belongs to the next word
            continue
        w = _canonical(_strip_article(w))
        tokens.append(w)
        particle.append(w in PARTICLES)
        i += 1
    return tuple(tokens), tuple(particle)


def _strip_article(word: str) -> str:
    """``altamimi`` -> ``tamimi`` (only Arabic-looking forms: al/el + a consonant cluster)."""
    if len(word) >= 5 and word[:2] in ("al", "el") and word[2] not in "aeiouy":
        return word[2:]
    return word


def canonical_tokens(text: str) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    """Canonical romanised tokens of a name and, for each, whether it is a particle."""
    return _canonical_from_roman(romanise(text))


@dataclass(frozen=True, slots=True)
class NameForm:
    """One name, prepared for comparison: canonical tokens, skeletons, particle flags."""

    original: str
    script: str
    tokens: tuple[str, ...]
    particles: tuple[bool, ...]
    skeletons: tuple[str, ...]

    @property
    def content(self) -> tuple[str, ...]:
        """Tokens that are not particles (all tokens when the name is only particles)."""
        kept = tuple(t for t, p in zip(self.tokens, self.particles, strict=True) if not p)
        return kept or self.tokens

    @property
    def content_skeletons(self) -> tuple[str, ...]:
        kept = tuple(s for s, p in zip(self.skeletons, self.particles, strict=True) if not p and s)
        return kept or tuple(s for s in self.skeletons if s)


@lru_cache(maxsize=100_000)
def name_form(text: str) -> NameForm:
    """The prepared form of a name (cached)."""
    cleaned = clean(text)
    tokens, particles = _canonical_from_roman(_romanise_cleaned(cleaned))
    return NameForm(
        original=text[:MAX_INPUT],
        script=script_of(cleaned),
        tokens=tokens,
        particles=particles,
        skeletons=tuple(skeleton(t) for t in tokens),
    )
