# ruff: noqa: RUF001, RUF002, RUF003
"""Name normalisation for screening: clean, romanise, canonicalise, key (framework-free).

Pipeline for one name (every step is a pure function, results cached per token):

1. ``clean``: at most ``MAX_INPUT`` characters, Unicode NFKC, case folding, control and format
   characters (zero-width joiners, bidi marks) removed, Arabic letter variants and vowel marks
   folded (``ARABIC_FOLD``), Latin look-alikes in other scripts (Cyrillic ``а``, Greek ``ο``)
   folded to Latin when the rest of the word is Latin (confusables).
2. ``romanise``: ICU ``Russian-Latin/BGN; Any-Latin; Latin-ASCII`` (Arabic, Persian, Cyrillic,
   Greek, Hebrew, Han, kana, Hangul; diacritics removed), punctuation to spaces. One transliterator
   per thread; results cached.

The input cap, the Arabic folding and the transliteration rule are search's too: they are
defined once in :mod:`accord.engine.names`.
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
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from rigour.names import remove_org_types

from accord.engine.names import ARABIC_FOLD, MAX_INPUT, script_of, transliterator

__all__ = [
    "ARTICLES",
    "PARTICLES",
    "NameForm",
    "canonical_tokens",
    "clean",
    "expand_names",
    "korean_name_parts",
    "name_form",
    "name_variants",
    "respell",
    "romanise",
    "script_of",
    "scripts_in",
    "skeleton",
]

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


#: Hebrew writes a word's first vowel with alef or ayin, which transliteration drops: read as
#: a vowel (Ariel, אריאל; Ehud, אהוד; Emmanuel, עמנואל). Geresh and gershayim (ג׳ for j, צ׳ for
#: ch) are removed so that the word is not split.
_HEBREW_INITIAL: Final = re.compile(r"(?<![\u05d0-\u05ea])[אע]")
_HEBREW_MARKS: Final = str.maketrans({"\u05f3": None, "\u05f4": None})
_ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

#: Definite articles written attached or detached (al-Tamimi, Al Tamimi, ash-Shami, el-Masri).
ARTICLES: Final = frozenset(
    {"al", "el", "ul", "ur", "ud", "us", "ar", "as", "ash", "ad", "adh", "at", "az", "an"}
)
#: Titles and honorifics written before a name (Sheikh, Haji, Dr, President): kept as particles,
#: so that they neither make nor break a match. Words that are also given names or family names
#: (Amir, Emir, Sayyid, Major) are not in the list.
HONORIFICS: Final = frozenset(
    {
        "sheikh", "shaykh", "sheik", "shaikh", "cheikh", "haji", "hajji", "hadji", "hajj", "mullah",
        "mulla", "maulana", "mawlana", "maulvi", "mawlawi", "imam", "dr", "mr", "mrs", "ms",
        "miss", "prof", "president", "general", "gen", "colonel", "col", "sir", "mister", "madame",
        "mme", "monsieur", "herr", "frau", "jr", "sr", "ustadh", "ustaz",
    }
)  # fmt: skip
#: Words of organisations' names that say nothing about which organisation it is: the generic
#: forms that rigour's legal-form list leaves out (company, corporation, enterprise) and the
#: words that join a name's parts (State Organization *for* Buildings). Kept as particles, so
#: that Sulaimaniyah Sugar State Company and Sulaimaniya Sugar State Enterprise meet.
ORG_WORDS: Final = frozenset(
    {
        "company", "companies", "co", "corporation", "corp", "incorporated", "inc",
        "enterprise", "enterprises", "establishment", "and", "of", "for", "et", "und",
    }
)  # fmt: skip
#: Name particles: patronymic and kunya links, nobiliary and family particles, honorifics,
#: and organisations' generic words.
PARTICLES: Final = frozenset(
    {
        "bin", "bn", "ibn", "ben", "bint", "binti", "bte", "abu", "abou", "umm", "um", "ould",
        "oul", "von", "van", "der", "den", "de", "da", "di", "del", "della", "dos", "das", "du",
        "la", "le", "y", "mc", "st", "ter", "zu", *ARTICLES, *HONORIFICS, "the",
        *ORG_WORDS,
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
    **dict.fromkeys(("abdallah", "abdulla", "abdoullah", "abdellah", "abdalla"), "abdullah"),
    # Korean family names: Revised Romanisation, McCune-Reischauer and common spellings
    **dict.fromkeys(("gim",), "kim"),
    **dict.fromkeys(("yi", "rhee", "ri", "rhie", "ree"), "lee"),
    **dict.fromkeys(("bak", "pak", "bark"), "park"),
    **dict.fromkeys(("choe", "chwe"), "choi"),
    **dict.fromkeys(("gang",), "kang"),
    **dict.fromkeys(("jo",), "cho"),
    **dict.fromkeys(("chang",), "jang"),
    **dict.fromkeys(("im", "rim"), "lim"),
    **dict.fromkeys(("sin",), "shin"),
    **dict.fromkeys(("gwon", "kweon"), "kwon"),
    **dict.fromkeys(("go", "koh"), "ko"),
    **dict.fromkeys(("roh", "no"), "noh"),
    **dict.fromkeys(("pae",), "bae"),
    **dict.fromkeys(("paik", "baik", "paek"), "baek"),
    **dict.fromkeys(("sim",), "shim"),
    **dict.fromkeys(("gwak",), "kwak"),
    **dict.fromkeys(("seong",), "sung"),
    **dict.fromkeys(("hur", "huh"), "heo"),
    **dict.fromkeys(("gu", "ku"), "koo"),
    **dict.fromkeys(("chung",), "jung"),
}  # fmt: skip
#: The one forms of ``_VARIANTS`` (kept whole: Abdullah is not abd + ullah).
_CANONICAL_FORMS: Final = frozenset(_VARIANTS.values())
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
        (r"(?<!t)zh", "j"),  # not tz + h (Yitzhak)
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
        (r"eo", "o"),  # Korean ㅓ: Revised Romanisation eo, McCune-Reischauer o: Jeong, Jong
        (r"eu", "u"),  # Korean ㅡ: eu (RR), u (MR): Eun, Un; Geun, Gun
        # umlauts written with e (ö/oe, ü/ue, ä/ae, ø/oe), as ICU writes ö, ü, ä, ø without:
        # Schroeder, Schröder; Mueller, Müller; Jae, Ja
        (r"(?<=[aou])e(?![aeiou])", ""),
        (r"oo", "u"),  # English oo: Mahmood, Mahmud
        (r"iy$|ij$", "i"),  # Russian -ий: Dmitriy, Dmitrij, Dmitri
        (r"ey$", "ei"),  # Russian -ей: Sergey, Sergei
        (r"(?<=[aeiou])z$", "s"),  # Spanish, Portuguese -ez/-es: Mendez, Mendes
        (r"(.)\1+", r"\1"),  # doubled letters: Hassan, Hasan; Dmitrii, Dmitri
    )
)
_ASCII_KEEP: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")


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
        s = _INITIAL_AIN.sub(_ain_to_alif, s).translate(ARABIC_FOLD).replace("تش", "چ")
        s = _HEBREW_INITIAL.sub("a", s).translate(_HEBREW_MARKS)
        s = " ".join(_fold_confusables(w) for w in s.split())
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in s)


#: Chinese two-character family names (the rest are one character).
_HAN_COMPOUND: Final = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "司徒", "东方", "慕容", "夏侯", "皇甫", "令狐", "尉迟", "长孙"}
)
#: The most common Chinese family names (about 85% of people in mainland China and Taiwan), in
#: simplified and traditional characters. A Han word of two or three characters that begins with
#: one is read as a Chinese name (family name apart); any other Han word is a foreign name written
#: in characters (哈灵顿 Harrington, 文斯蒂德 Winstead), romanised as one word.
_HAN_FAMILY: Final = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤傅洪游詹庄温柯施欧"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒閆龍賀顧龔萬錢嚴湯莊溫歐"
)
#: Korean family names in Hangul and the Latin spelling they are usually given (other spellings
#: meet it through ``_VARIANTS``); two-syllable family names are in ``_HANGUL_COMPOUND``.
_HANGUL_FAMILY: Final = {
    "김": "kim", "이": "lee", "리": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang",
    "조": "cho", "윤": "yoon", "장": "jang", "임": "lim", "림": "lim", "한": "han", "오": "oh",
    "서": "seo", "신": "shin", "권": "kwon", "황": "hwang", "안": "ahn", "송": "song",
    "전": "jeon", "홍": "hong", "유": "yoo", "류": "ryu", "고": "ko", "문": "moon", "양": "yang",
    "손": "son", "배": "bae", "백": "baek", "허": "heo", "남": "nam", "심": "shim", "노": "noh",
    "로": "noh", "하": "ha", "곽": "kwak", "성": "sung", "차": "cha", "주": "joo", "우": "woo",
    "구": "koo", "민": "min", "나": "na", "라": "ra", "진": "jin", "지": "ji", "엄": "um",
    "채": "chae", "원": "won", "천": "chun", "방": "bang", "공": "kong", "현": "hyun",
    "함": "ham", "변": "byun", "염": "yeom", "여": "yeo", "추": "choo", "도": "do", "소": "so",
    "석": "seok", "선": "sun", "설": "seol", "마": "ma", "길": "gil", "연": "yeon", "위": "wi",
    "표": "pyo", "명": "myung", "기": "ki", "반": "ban", "왕": "wang", "금": "keum", "옥": "ok",
    "육": "yook", "인": "in", "맹": "maeng", "제": "je", "모": "mo", "탁": "tak", "국": "kook",
    "용": "yong", "경": "kyung", "봉": "bong", "사": "sa", "부": "boo",
}  # fmt: skip
_HANGUL_COMPOUND: Final = {
    "황보": "hwangbo", "남궁": "namgung", "선우": "sunwoo", "제갈": "jegal", "독고": "dokgo",
    "사공": "sagong", "서문": "seomun", "동방": "dongbang",
}  # fmt: skip
#: Final consonants as Revised Romanisation writes them (ICU writes ㄱ ㄷ ㅂ as g d b).
_HANGUL_FINAL: Final = {"g": "k", "d": "t", "b": "p"}


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def han_is_chinese_name(word: str) -> bool:
    """Whether a Han word reads as a Chinese personal name (a common family name, then one or
    two characters) rather than a foreign name written in characters (``_HAN_FAMILY``)."""
    if len(word) >= 3 and word[:2] in _HAN_COMPOUND:
        return len(word) <= 4
    return 2 <= len(word) <= 3 and word[0] in _HAN_FAMILY


def _romanise_han(word: str) -> str:
    """Family name, then the given name's syllables joined: 张小明 -> ``zhang xiaoming``; a
    foreign name written in characters (``han_is_chinese_name`` false) as one word:
    哈灵顿 -> ``halingdun``.

    Each character is romanised alone (ICU Han-Latin, tones removed), so that Latin forms
    written with the given name in one word (Xiaoming) meet the native form."""
    trans = transliterator()
    if not han_is_chinese_name(word):
        return "".join(str(trans.transliterate(ch)) for ch in word)
    fam_len = 2 if len(word) >= 3 and word[:2] in _HAN_COMPOUND else 1
    family = "".join(str(trans.transliterate(ch)) for ch in word[:fam_len])
    given = "".join(str(trans.transliterate(ch)) for ch in word[fam_len:])
    return f"{family} {given}" if given else family


def _hangul_syllable(ch: str) -> str:
    """One Hangul syllable in Revised Romanisation (final ㄱ ㄷ ㅂ as k t p)."""
    roman = str(transliterator().transliterate(ch))
    last = roman[-1:]
    if last in _HANGUL_FINAL and len(roman) > 1 and not roman.endswith("ng"):
        roman = roman[:-1] + _HANGUL_FINAL[last]
    return roman


def korean_name_parts(word: str) -> tuple[str, tuple[str, ...]] | None:
    """A Korean personal name written in Hangul as (family name, given-name syllables), each
    romanised; None when the word does not read as one (a foreign name written in Hangul).

    A Korean name is two to four syllables: a known family name (one syllable, or two of
    ``_HANGUL_COMPOUND``), then one to two syllables of given name. A longer word, or one
    whose first syllable is not a family name, is read as a loanword: 도미니카 is Dominika, not
    family name 도 with given name 미니카."""
    if not 2 <= len(word) <= 4 or not all(map(_is_hangul, word)):
        return None
    if word[:2] in _HANGUL_COMPOUND and len(word) >= 3:
        return _HANGUL_COMPOUND[word[:2]], tuple(_hangul_syllable(ch) for ch in word[2:])
    if word[0] in _HANGUL_FAMILY and len(word) <= 3:
        return _HANGUL_FAMILY[word[0]], tuple(_hangul_syllable(ch) for ch in word[1:])
    return None


def _loanword_syllable(syllable: str) -> str:
    """A Hangul syllable of a foreign word without the vowel ㅡ (eu) that Hangul writes after a
    consonant the foreign word has on its own: 스 -> s, 블 -> bl, 르 -> l."""
    if "eu" in syllable and syllable[:1] not in "aeiouy" and not syllable.startswith("eu"):
        return syllable.replace("eu", "", 1)
    return syllable


def _romanise_hangul(word: str, korean_name: bool = True) -> str:
    """A Korean name as family name and each given-name syllable apart (``kim jeong eun``, as
    Kim Jong-un and Kim Jong Un are written); a loanword (or any word when ``korean_name`` is
    false) as one word, the vowel ㅡ that Hangul inserts after a lone consonant dropped
    (스미스 -> ``smis``, 도미니카 -> ``dominika``, 블라디미르 -> ``bladimil``)."""
    parts = korean_name_parts(word) if korean_name else None
    if parts is not None:
        return " ".join((parts[0], *parts[1]))
    return "".join(
        _loanword_syllable(_hangul_syllable(ch)) if _is_hangul(ch) else ch for ch in word
    )


@lru_cache(maxsize=200_000)
def _romanise_word(word: str, korean_name: bool = True) -> str:
    if len(word) >= 2 and all(map(_is_han, word)):
        return _romanise_han(word)
    if any(map(_is_hangul, word)):
        return _romanise_hangul(word, korean_name)
    return _small_kana(str(transliterator().transliterate(word)).replace("\u00b7", ""))


#: ICU writes a small kana vowel after the syllable it changes (ヴォ ``vu~o``, ドゥ ``do~u``,
#: ウィ ``u~i``): the syllable's vowel is replaced (vo, du), a lone u before it is a w (wi).
_SMALL_VOWEL: Final = re.compile(r"[aeiou]~(?=[aeiou])")
_SMALL_W: Final = re.compile(r"(?<![a-z])u~(?=[aeiou])")


def _small_kana(roman: str) -> str:
    if "~" not in roman:
        return roman
    return _SMALL_VOWEL.sub("", _SMALL_W.sub("w", roman)).replace("~", "")


def _foreign_in_hangul(words: list[str]) -> bool:
    """A Korean name is written as one word (김정은) or with the family name apart (김 정은); two
    words of several Hangul syllables are a foreign name (도널드 트럼프), not a Korean one."""
    return sum(1 for w in words if len(w) >= 2 and all(map(_is_hangul, w))) >= 2


def _romanise_cleaned(cleaned: str) -> str:
    if cleaned.isascii():
        latin = cleaned
    else:
        words = cleaned.split()
        korean_name = not _foreign_in_hangul(words)
        latin = " ".join(w if w.isascii() else _romanise_word(w, korean_name) for w in words)
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


#: Digits written for the letters they look like, inside a word that has letters (0sama,
#: Mu5tafa, A1i): 0/o, 1/i, 3/e, 4/a, 5/s, 7/t, 8/b, 9/g.
_DIGIT_LETTERS: Final = str.maketrans("013457" + "89", "oieast" + "bg")


def _letters_for_digits(word: str) -> str:
    if word.isalpha() or word.isdigit() or not any(ch.isdigit() for ch in word):
        return word
    return word.translate(_DIGIT_LETTERS)


#: Short legal forms that are more often a syllable of a personal name (Moon Jae-in, Kim Se-ri,
#: Na, Yu): not read as legal forms.
_NAME_SYLLABLES: Final = frozenset({"in", "na", "yu", "ae", "se", "is"})


@lru_cache(maxsize=200_000)
def org_type_words(roman: str) -> frozenset[str]:
    """Words of a romanised name that are legal forms of organisations in some language
    (Aktiengesellschaft, AG, GmbH, OOO, PJSC, Limited Liability Company, Sdn Bhd, SARL...), as
    OpenSanctions' ``rigour`` lists them; they are kept as particles, so that Volkswagen AG and
    Volkswagen Aktiengesellschaft, OOO Rosneft and Limited Liability Company Rosneft meet."""
    if " " not in roman:
        return frozenset()
    kept = remove_org_types(roman, replacement=" ").split()
    return frozenset(roman.split()) - frozenset(kept) - _NAME_SYLLABLES


@lru_cache(maxsize=200_000)
def _canonical_from_roman(
    roman: str, org_types: bool = True
) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    legal = org_type_words(roman) if org_types else frozenset()
    words = [_VARIANTS.get(w, w) for w in map(_letters_for_digits, roman.split())]
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
        if m and len(m.group(2)) >= 3 and w not in _CANONICAL_FORMS:
            tokens.append("abd" + respell(_strip_article(m.group(2))))
            particle.append(False)
            i += 1
            continue
        if w in ARTICLES and nxt:
            i += 1  # the article belongs to the next word
            continue
        if w in legal:
            tokens.append(w)
            particle.append(True)
            i += 1
            continue
        w = _canonical(_strip_article(w))
        tokens.append(w)
        particle.append(w in PARTICLES)
        i += 1
    return tuple(tokens), tuple(particle)


def _strip_article(word: str) -> str:
    """``altamimi`` -> ``tamimi`` (only Arabic-looking forms: al/el + a consonant + at least
    four more letters, so that Albert, Alfred and Alberg keep their first syllable)."""
    if len(word) >= 7 and word[:2] in ("al", "el") and word[2] not in "aeiouy":
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
    # a Korean name's syllables are not legal forms (사, 세 read as SA, SE)
    org_types = not any(map(_is_hangul, cleaned))
    tokens, particles = _canonical_from_roman(_romanise_cleaned(cleaned), org_types)
    if any(_is_hangul(ch) or _is_han(ch) for ch in cleaned):
        # a syllable of a Chinese or Korean name is never a particle (斌 bin, 안 an)
        particles = tuple(False for _ in particles)
    return NameForm(
        original=text[:MAX_INPUT],
        script=script_of(cleaned),
        tokens=tokens,
        particles=particles,
        skeletons=tuple(skeleton(t) for t in tokens),
    )


_PARENTHESISED: Final = re.compile(r"\(([^()]*)\)")
_INITIALS: Final = re.compile(r"\b(?:[a-z]\b\s*){2,}")


def _written_variants(text: str, organisation: bool) -> list[str]:
    """Ways a name is written that its one form does not cover, besides the Korean ones: the
    name without a parenthesised part and the part alone (Tehrik-e Taliban Pakistan (TTP);
    Abdelali Abou Dher (عبد العالي ابو ذر)), initials written apart glued (T.M.G. -> TMG), and,
    for an organisation, its initials (Reconnaissance General Bureau -> RGB; al-Qaida in Iraq
    -> AQI; Technology and Development Group Limited -> TDG: legal forms and joining words
    left out, three letters at least)."""
    out = [text]
    if "(" in text:
        outside = " ".join(_PARENTHESISED.sub(" ", text).split())
        out += [outside, *(" ".join(m.split()) for m in _PARENTHESISED.findall(text))]
    more = []
    for name in out:
        roman = romanise(name)
        words = roman.split()
        if sum(1 for w in words if len(w) == 1) >= 2:
            glued = _INITIALS.sub(lambda m: m.group(0).replace(" ", "") + " ", roman)
            more.append(" ".join(glued.split()))
        elif organisation and len(words) >= 3:
            legal = org_type_words(roman)
            initials = "".join(w[0] for w in words if w not in legal and w not in _JOINING)
            if len(initials) >= 3:
                more.append(initials)
    return [v for v in dict.fromkeys(out + more) if any(ch.isalnum() for ch in v)]


#: Words left out of an organisation's initials (``_written_variants``).
_JOINING: Final = frozenset({"and", "of", "for", "in", "the", "et", "und", "de", "du", "des"})


@lru_cache(maxsize=100_000)
def name_variants(text: str, organisation: bool = False) -> tuple[str, ...]:
    """The name, then other ways the same name is written that its one form does not cover
    (``_written_variants``), and a Korean name with its given name in one word (김민준:
    ``kim min jun`` and ``kim minjun``, as Kim Min-jun and Kim Minjun are both written)."""
    if "(" in text or "." in text or (organisation and text.count(" ") >= 2):
        written = _written_variants(text, organisation)
        if len(written) > 1:
            return tuple(dict.fromkeys(v for w in written for v in _korean_variants(w)))
    return _korean_variants(text)


def _korean_variants(text: str) -> tuple[str, ...]:
    if text.isascii():
        return (text,)
    words = clean(text).split()
    if _foreign_in_hangul(words):
        return (text,)
    joined = []
    for word in words:
        parts = korean_name_parts(word)
        if parts is not None and len(parts[1]) >= 2:
            joined.append(parts[0] + " " + "".join(parts[1]))
        else:
            joined.append(word)
    if joined == words:
        return (text,)
    return (text, " ".join(joined))


def expand_names(names: tuple[str, ...], organisation: bool = False) -> tuple[str, ...]:
    """Every name of a person (or ``organisation``) with its ``name_variants``, each once, in
    order."""
    if len(names) == 1:
        return name_variants(names[0], organisation)
    return tuple(dict.fromkeys(v for n in names for v in name_variants(n, organisation)))
