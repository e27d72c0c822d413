# ruff: noqa: RUF001, RUF003
from __future__ import annotations

import pytest

from accord.engine.matching import DEFAULT, Person

#: Cases v1 got wrong, fixed in accord-name-v2: Han and Hangul names are romanised per
#: character with the given name joined (张小明 -> zhang xiaoming, 김민준 -> kim minjun); Ahmed and
#: Muhammad no longer share a skeleton (h is kept as a consonant) and equal skeletons need the
#: same initial letter class.
#: Cases fixed by respelling canonical tokens (normalize.respell: general romanisation rules, so
#: that the token comparison sees the variants as equal, not only the skeleton): Arabic q ~ k
#: (Qahtani), Russian and Turkish kh ~ h (Khadiyev, Khalid), a word mixing Cyrillic and Latin
#: letters (BGN ye after a vowel: Сопhие -> sophiye -> sofie), dzh/dj ~ j, -iy/-yev.
GOLDEN = [
    ("Mohammed Abdulrahman al-Tamimi", "محمد عبد الرحمن التميمي", True),
    ("Muhammad al-Tamimi", "Mohamed Al Tamimi", True),
    ("Abd al-Aziz al-Qahtani", "Abdulaziz Alkahtani", True),
    ("Youssef Haddad", "يوسف حداد", True),
    ("Vladimir Ivanov", "Владимир Иванов", True),
    ("Ivanov Vladimir", "Владимир Иванов", True),
    ("Zhang Xiaoming", "张小明", True),
    ("Xiaoming Zhang", "张小明", True),
    ("Wang Xiaoming", "张小明", False),
    ("Alexandros Papadopoulos", "Αλέξανδρος Παπαδόπουλος", True),
    ("Kim Minjun", "김민준", True),
    ("Lee Minho", "이민호", True),
    ("Park Minho", "이민호", False),
    ("Mohammed Khalil", "Ahmed Khalil", False),
    ("Ahmed Khalil", "Mohammed Khalil", False),
    ("Hamza al-Tamimi", "حمزة التميمي", True),
    ("Fatima Haddad", "فاطمة حداد", True),
    ("Sophie Dunsanley", "Сопhие Дунсанлеы", True),
    ("Aleksandr Khadiyev", "Aleksandr Hadiyev", True),
    ("Khalid Hassan", "Halid Hasan", True),
    ("Jokhar Tsarnaev", "Dzhokhar Tsarnayev", True),
    ("Dmitriy Vasilyev", "Dmitri Vasilev", True),
    ("Yusuf Qaradawi", "Youssef al-Karadawi", True),
    ("Carlos Mendez", "Karlos Mendes", True),
    ("Chen Wei", "Shen Wei", False),
    ("Ali Hassan", "Omar Hassan", False),
    ("Ivan Petrov", "Ivan Popov", False),
    ("Vladimir Ivanov", "Vladimir Petrov", False),
    ("Zhang Wei", "Li Na", False),
    ("Pierre Dubois", "محمد التميمي", False),
]


@pytest.mark.parametrize(("left", "right", "expected"), GOLDEN)
def test_golden(left: str, right: str, expected: bool) -> None:
    result = DEFAULT.compare(Person((left,)), Person((right,)))
    assert result.match is expected, (left, right, result.score)


def test_ar2en_pairs(shared_data) -> None:
    """Arabic-script names and their English spellings (names-ar2en eval split), name only."""
    lines = (shared_data / "names-ar2en" / "ar2en-eval.txt").read_text("utf-8").splitlines()
    rows = [ln.split("\t") for ln in lines if "\t" in ln]
    hits = sum(DEFAULT.compare(Person((ar,)), Person((en,))).match for ar, en in rows)
    recall = hits / len(rows)
    print(f"ar2en recall {recall:.3f} on {len(rows)} pairs")
    assert recall >= AR2EN_RECALL_FLOOR


#: Measured 0.983 (1,431 pairs) with accord-name-v4 (its transliteration likelihood); 0.921
#: with accord-name-v3 at its threshold 0.9005 (0.910 at 0.9073;
#: first fit: 0.905 at 0.936; with these pairs' negatives: `accord bench matching --pairs
#: build/names-corpus/ar2en-eval.csv`);
#: accord-name-v2 0.836, v1 0.784, 0.491 before respelling and the abjad folding of
#: features.devowel. The floor keeps a margin.
AR2EN_RECALL_FLOOR = 0.95
