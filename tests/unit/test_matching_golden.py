# ruff: noqa: RUF001
from __future__ import annotations

import pytest

from accord.engine.matching import DEFAULT, Person

#: Cases v1 got wrong, fixed in accord-name-v2: Han and Hangul names are romanised per
#: character with the given name joined (张小明 -> zhang xiaoming, 김민준 -> kim minjun); Ahmed and
#: Muhammad no longer share a skeleton (h is kept as a consonant) and equal skeletons need the
#: same initial letter class.
#: Known gaps of v2: name-only pairs whose parts agree only on the skeleton (0.92 per part) fall
#: under the threshold fitted on the synthetic hard negatives, where such near spellings are
#: usually another person (see docs/matching.md).
NEAR = "name-only skeleton-equal spelling variant under the v2 threshold"

GOLDEN = [
    ("Mohammed Abdulrahman al-Tamimi", "محمد عبد الرحمن التميمي", True),
    ("Muhammad al-Tamimi", "Mohamed Al Tamimi", True),
    pytest.param(
        "Abd al-Aziz al-Qahtani",
        "Abdulaziz Alkahtani",
        True,
        marks=pytest.mark.xfail(reason=NEAR, strict=True),
    ),
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
    pytest.param(
        "Sophie Dunsanley",
        "Сопhие Дунсанлеы",
        True,
        marks=pytest.mark.xfail(
            reason="mixed-script word romanised as sophiye: " + NEAR, strict=True
        ),
    ),
    pytest.param(
        "Aleksandr Khadiyev",
        "Aleksandr Hadiyev",
        True,
        marks=pytest.mark.xfail(reason=NEAR, strict=True),
    ),
    ("Vladimir Ivanov", "Vladimir Petrov", False),
    ("Zhang Wei", "Li Na", False),
    ("Pierre Dubois", "محمد التميمي", False),
]


@pytest.mark.parametrize(("left", "right", "expected"), GOLDEN)
def test_golden(left: str, right: str, expected: bool) -> None:
    result = DEFAULT.compare(Person((left,)), Person((right,)))
    assert result.match is expected, (left, right, result.score)
