# ruff: noqa: RUF001, E501
"""A reproducible labelled synthetic watchlist for the screening benchmark (own generators).

Names in Arabic, Cyrillic, Chinese and Latin script are composed from parts that carry their
native spelling and their romanisations; family names are generated from consonant roots and
syllables so that a million entries have a realistic spread. ``queries`` derives labelled
queries from entries (transliteration, alternative spelling, reordering, dropped and added parts,
typos, birth-date variations) and non-matching ones (unrelated, same family name, same given
name). No name is taken from ../shared/data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from accord.engine.matching.features import Person

__all__ = ["Entry", "Query", "generate", "queries"]

Part = tuple[str, tuple[str, ...]]  # (native, romanisations)

_AR_CONS: Final = (
    ("ب", ("b",)), ("ت", ("t",)), ("ج", ("j", "dj", "g")), ("ح", ("h",)), ("خ", ("kh",)),
    ("د", ("d",)), ("ر", ("r",)), ("ز", ("z",)), ("س", ("s",)), ("ش", ("sh", "ch")),
    ("ص", ("s",)), ("ط", ("t",)), ("ف", ("f",)), ("ق", ("q", "k")), ("ك", ("k",)),
    ("ل", ("l",)), ("م", ("m",)), ("ن", ("n",)), ("غ", ("gh",)), ("ذ", ("dh", "z")),
)  # fmt: skip
_AR_GIVEN: Final[tuple[Part, ...]] = (
    ("محمد", ("Mohammed", "Muhammad", "Mohamed", "Mohammad")), ("أحمد", ("Ahmed", "Ahmad")),
    ("عبد الله", ("Abdullah", "Abdallah", "Abd Allah")), ("علي", ("Ali",)),
    ("عبد الرحمن", ("Abdul Rahman", "Abdulrahman", "Abd al-Rahman", "Abdelrahman")),
    ("عمر", ("Omar", "Umar")), ("يوسف", ("Youssef", "Yusuf", "Yousef")), ("خالد", ("Khaled", "Khalid")),
    ("حسن", ("Hassan", "Hasan")), ("حسين", ("Hussein", "Husayn", "Hussain")),
    ("إبراهيم", ("Ibrahim", "Ebrahim")), ("مصطفى", ("Mustafa", "Moustafa", "Mostafa")),
    ("طارق", ("Tariq", "Tarek")), ("بلال", ("Bilal",)), ("حمزة", ("Hamza", "Hamzah")),
    ("جمال", ("Jamal", "Gamal")), ("محمود", ("Mahmoud", "Mahmud")), ("كريم", ("Karim", "Kareem")),
    ("سليمان", ("Suleiman", "Sulayman")), ("عثمان", ("Othman", "Uthman", "Osman")),
    ("فاطمة", ("Fatima", "Fatimah")), ("مريم", ("Maryam", "Mariam")), ("زينب", ("Zainab", "Zeinab")),
    ("نبيل", ("Nabil", "Nabeel")), ("رشيد", ("Rashid", "Rachid")), ("سمير", ("Samir", "Sameer")),
)  # fmt: skip
_CYR: Final = {
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "zh": "ж", "z": "з", "i": "и",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т",
    "u": "у", "f": "ф", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "y": "ы", "yu": "ю",
    "ya": "я",
}  # fmt: skip
_RU_GIVEN: Final[tuple[Part, ...]] = (
    ("Александр", ("Aleksandr", "Alexander")), ("Дмитрий", ("Dmitry", "Dmitrii", "Dmitriy")),
    ("Сергей", ("Sergei", "Sergey")), ("Андрей", ("Andrei", "Andrey")), ("Иван", ("Ivan",)),
    ("Алексей", ("Aleksei", "Alexey")), ("Николай", ("Nikolai", "Nikolay")), ("Олег", ("Oleg",)),
    ("Руслан", ("Ruslan",)), ("Тимур", ("Timur",)), ("Юрий", ("Yuri", "Yury", "Iurii")),
    ("Анна", ("Anna",)), ("Елена", ("Elena", "Yelena")), ("Ольга", ("Olga",)),
)  # fmt: skip
_RU_ONSETS: Final = ("b", "v", "g", "d", "z", "k", "l", "m", "n", "p", "r", "s", "t", "kh", "sh")
_RU_VOWELS: Final = ("a", "o", "u", "i", "e")
_RU_ENDS: Final = ("ov", "ev", "in", "enko", "sky")
_ZH_FAMILY: Final = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie"),
)  # fmt: skip
_ZH_GIVEN: Final = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("文", "wen"), ("华", "hua"), ("建", "jian"),
    ("国", "guo"), ("志", "zhi"), ("海", "hai"), ("小", "xiao"), ("云", "yun"), ("峰", "feng"),
    ("东", "dong"), ("春", "chun"), ("红", "hong"), ("玉", "yu"), ("林", "lin"), ("波", "bo"),
)  # fmt: skip
_LA_GIVEN: Final = (
    "James", "Daniel", "Thomas", "Pierre", "Jean", "Luca", "Marco", "Hans", "Peter", "Juan",
    "Carlos", "Miguel", "Anna", "Maria", "Sophie", "Claire", "Giulia", "Laura", "Paul", "Jan",
)  # fmt: skip
_LA_SYL: Final = (
    "ber",
    "ton",
    "mar",
    "vel",
    "dor",
    "san",
    "lin",
    "ros",
    "kar",
    "fen",
    "gal",
    "mon",
    "ril",
    "tes",
    "var",
    "dun",
    "pel",
    "cor",
    "nes",
    "bal",
    "hof",
    "ger",
)
_LA_ENDS: Final = ("", "i", "o", "er", "man", "ini", "ez", "ard", "ley", "sen")


@dataclass(frozen=True, slots=True)
class Entry:
    person: Person
    culture: str
    parts: tuple[Part, ...]  # given, [father], family (native, romanisations)
    identity: int  # same identity = same name parts (namesakes)


@dataclass(frozen=True, slots=True)
class Query:
    person: Person
    target: int  # the entry's slot, -1 for a non-matching query
    kind: str


def _arabic_family(rng: random.Random) -> Part:
    c = [rng.choice(_AR_CONS) for _ in range(3)]
    native = "ال" + c[0][0] + c[1][0] + "ا" + c[2][0] + "ي"
    core = c[0][1][0] + "a" + c[1][1][0] + "a" + c[2][1][0] + "i"
    alt = rng.choice(c[0][1]) + "e" + rng.choice(c[1][1]) + "a" + rng.choice(c[2][1]) + "y"
    cap = core.capitalize()
    return native, (f"al-{cap}", f"Al {cap}", f"El {alt.capitalize()}", "Al" + core)


def _to_cyrillic(latin: str) -> str:
    out, i = [], 0
    while i < len(latin):
        two = latin[i : i + 2]
        if two in _CYR:
            out.append(_CYR[two])
            i += 2
        else:
            out.append(_CYR.get(latin[i], latin[i]))
            i += 1
    return "".join(out).capitalize()


def _russian_family(rng: random.Random, female: bool) -> Part:
    stem = "".join(rng.choice(_RU_ONSETS) + rng.choice(_RU_VOWELS) for _ in range(2))
    end = rng.choice(_RU_ENDS)
    latin = stem + end + ("a" if female and end in ("ov", "ev", "in") else "")
    native = _to_cyrillic(latin.replace("sky", "ski" + "y").replace("kiy", "kiy"))
    alt = latin.replace("kh", "h").replace("ev", "yev").replace("sky", "skiy")
    return native, (latin.capitalize(), alt.capitalize())


def _latin_family(rng: random.Random) -> Part:
    name = (rng.choice(_LA_SYL) + rng.choice(_LA_SYL) + rng.choice(_LA_ENDS)).capitalize()
    alt = name.replace("k", "c", 1) if "k" in name else name + "e"
    return name, (name, alt)


def _person_parts(rng: random.Random) -> tuple[str, tuple[Part, ...], str]:
    r = rng.random()
    female = rng.random() < 0.3
    if r < 0.35:
        given = rng.choice(_AR_GIVEN)
        parts: list[Part] = [given]
        if rng.random() < 0.5:
            father = rng.choice(_AR_GIVEN[:20])
            parts.append(("بن " + father[0], tuple("bin " + x for x in father[1])))
        parts.append(_arabic_family(rng))
        return "arabic", tuple(parts), "f" if female else "m"
    if r < 0.6:
        given = rng.choice(_RU_GIVEN)
        return "russian", (given, _russian_family(rng, female)), "f" if female else "m"
    if r < 0.8:
        fam = rng.choice(_ZH_FAMILY)
        chars = [rng.choice(_ZH_GIVEN) for _ in range(rng.choice((1, 2, 2)))]
        given = ("".join(c for c, _ in chars), ("".join(p for _, p in chars).capitalize(),))
        return "chinese", ((fam[0], (fam[1].capitalize(),)), given), "f" if female else "m"
    g = rng.choice(_LA_GIVEN)
    parts = [(g, (g,)), _latin_family(rng)]
    return "latin", tuple(parts), "f" if female else "m"


def _native(culture: str, parts: tuple[Part, ...]) -> str:
    if culture == "chinese":
        return parts[0][0] + parts[1][0]  # family first, no space
    return " ".join(p[0] for p in parts)


def _latin(culture: str, parts: tuple[Part, ...], rng: random.Random, first: bool) -> str:
    words = [p[1][0] if first else rng.choice(p[1]) for p in parts]
    if culture == "chinese" and not first and rng.random() < 0.5:
        words = words[::-1]  # Western order
    return " ".join(words)


def _dob(rng: random.Random) -> str:
    return f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def generate(size: int, seed: int = 5) -> Iterator[Entry]:
    """``size`` entries; the same seed gives the same watchlist."""
    rng = random.Random(seed)
    for i in range(size):
        culture, parts, gender = _person_parts(rng)
        names = [_native(culture, parts)]
        if culture != "latin" and rng.random() < 0.3:
            names.append(_latin(culture, parts, rng, first=True))
        dob = _dob(rng) if rng.random() < 0.8 else str(rng.randint(1950, 2004))
        nat = {"arabic": "SY", "russian": "RU", "chinese": "CN", "latin": "FR"}[culture]
        person = Person(tuple(names), dob, (nat,), gender, (), f"W{i}")
        yield Entry(person, culture, parts, hash((culture, tuple(p[0] for p in parts))))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.33:
        return word[:i] + word[i + 1 :]
    if op < 0.66:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def _vary_dob(dob: str, rng: random.Random) -> str:
    if len(dob) != 10:
        return dob
    r = rng.random()
    y, m, d = dob.split("-")
    if r < 0.3 and int(d) <= 12:
        return f"{y}-{d}-{m}"
    if r < 0.6:
        return y
    if r < 0.8:
        return f"~{y}"
    return ""


_VARIATIONS: Final = ("transliteration", "spelling", "reorder", "dropped", "added", "typo", "date")


def _matching_query(e: Entry, slot: int, rng: random.Random) -> Query:
    """A query for the person of entry ``slot``, varied in one way (the query's kind)."""
    p = e.person
    kind = rng.choice(_VARIATIONS)
    parts = list(e.parts)
    dob = p.birth_date
    if kind == "transliteration":
        name = _latin(e.culture, e.parts, rng, first=False)
        if e.culture == "latin":
            name = _to_cyrillic(name.lower())
    elif kind == "reorder":
        name = " ".join(rng.choice(x[1]) for x in parts[::-1])
    elif kind == "dropped" and len(parts) > 2:
        name = " ".join(rng.choice(x[1]) for x in (parts[0], parts[-1]))
    elif kind == "dropped":
        name = parts[0][1][0][0] + ". " + rng.choice(parts[-1][1])
    elif kind == "added":
        extra = rng.choice(("Abu Bakr", "Said", "Ali", "Petrovich", "Marie", "Jun"))
        name = " ".join([rng.choice(parts[0][1]), extra, *(rng.choice(x[1]) for x in parts[1:])])
    elif kind == "typo":
        words = _latin(e.culture, e.parts, rng, first=False).split()
        j = max(range(len(words)), key=lambda k: len(words[k]))
        words[j] = _typo(words[j], rng)
        name = " ".join(words)
    elif kind == "date":
        name = _latin(e.culture, e.parts, rng, first=False)
        dob = _vary_dob(dob, rng)
    else:
        name = _latin(e.culture, e.parts, rng, first=False)
    return Query(Person((name,), dob, p.nationalities, p.gender), slot, kind)


def _non_matching_query(e: Entry, rng: random.Random, identities: set[int]) -> Query | None:
    """A query for someone else: the same family name, the same given name, or an unrelated
    person; None when it happens to be someone in ``identities``."""
    p = e.person
    r = rng.random()
    parts = list(e.parts)
    if r < 0.7:
        while True:
            _, other, _ = _person_parts(rng)
            same_culture = len(other) >= 2 and (other[0] not in parts)
            if same_culture:
                break
        if r < 0.35:
            parts[0] = other[0]
            kind = "hard_same_family"
        else:
            parts[-1] = other[-1]
            kind = "hard_same_given"
    else:
        culture, pp, _ = _person_parts(rng)
        parts = list(pp)
        kind = "unrelated"
    culture = e.culture if kind != "unrelated" else culture
    ident = hash((culture, tuple(x[0] for x in parts)))
    if ident in identities:
        return None
    name = " ".join(rng.choice(x[1]) for x in parts)
    dob = _dob(rng) if rng.random() < 0.5 else ""
    return Query(Person((name,), dob, p.nationalities, p.gender), -1, kind)


def queries(entries: list[Entry], identities: set[int], count: int, seed: int = 7) -> list[Query]:
    """``count`` labelled queries: about 70% matching (by kind), 30% non-matching."""
    rng = random.Random(seed)
    out: list[Query] = []
    while len(out) < count:
        slot = rng.randrange(len(entries))
        e = entries[slot]
        if rng.random() < 0.7:
            out.append(_matching_query(e, slot, rng))
            continue
        query = _non_matching_query(e, rng, identities)
        if query is not None:
            out.append(query)
    return out
