"""Places, phone numbering and passport number formats by country, for synthetic persons.

Phone numbers are E.164 mobile numbers in each country's real numbering plan (prefix plus the
right count of digits). For the United Kingdom and France they are drawn from the ranges the
regulators reserve for fiction (Ofcom 07700 900xxx, ARCEP 06 39 98 xx xx), so that demo data never
names a real subscriber there. Passport numbers follow each issuer's visible format (letters,
digits, length); they are random and carry no check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["COUNTRIES", "RESIDENCE_COUNTRIES", "Country"]


@dataclass(frozen=True, slots=True)
class Country:
    """What a synthetic person born in or documented by this country looks like."""

    code: str  # ISO 3166-1 alpha-2
    cities: tuple[str, ...]
    phone_prefixes: tuple[str, ...]  # E.164 prefix including "+" and the mobile range
    phone_digits: int  # digits after the prefix
    passport: str  # format: A = letter, 9 = digit, X = letter or digit, others literal


COUNTRIES: Final[dict[str, Country]] = {
    c.code: c
    for c in (
        Country("NL", ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag"), ("+316",), 8, "AAXXXXXX9"),
        Country(
            "FR",
            ("Paris", "Marseille", "Lyon", "Toulouse", "Roubaix"),
            ("+3363998",),
            4,
            "99AA99999",
        ),
        Country(
            "BE",
            ("Bruxelles", "Antwerpen", "Molenbeek-Saint-Jean", "Liège"),
            ("+3247", "+3248"),
            7,
            "AA999999",
        ),
        Country(
            "DE",
            ("Berlin", "Hamburg", "Frankfurt am Main", "Dortmund"),
            ("+49151", "+49176"),
            8,
            "CXXXXXXXX",
        ),
        Country("AT", ("Wien", "Graz", "Linz"), ("+43664",), 7, "A9999999"),
        Country("ES", ("Madrid", "Barcelona", "Ceuta", "Melilla"), ("+346",), 8, "AAA999999"),
        Country(
            "GB", ("London", "Birmingham", "Manchester", "Luton"), ("+447700900",), 3, "999999999"
        ),
        Country("SE", ("Stockholm", "Göteborg", "Malmö"), ("+4670",), 7, "99999999"),
        Country("TR", ("İstanbul", "Ankara", "Gaziantep", "Şanlıurfa"), ("+9053",), 8, "A99999999"),  # noqa: RUF001
        Country(
            "SY", ("Damascus", "Aleppo", "Raqqa", "Homs", "Deir ez-Zor"), ("+9639",), 8, "N99999999"
        ),
        Country("IQ", ("Baghdad", "Mosul", "Fallujah", "Tikrit"), ("+9647",), 9, "A99999999"),
        Country("JO", ("Amman", "Zarqa", "Irbid"), ("+9627",), 8, "A999999"),
        Country("SA", ("Riyadh", "Jeddah", "Buraydah"), ("+9665",), 8, "A99999999"),
        Country("YE", ("Sanaa", "Aden", "Mukalla"), ("+9677",), 8, "99999999"),
        Country("EG", ("Cairo", "Alexandria", "Asyut"), ("+2010", "+2012"), 8, "A99999999"),
        Country(
            "LY", ("Tripoli", "Benghazi", "Derna", "Sirte"), ("+21891", "+21892"), 7, "AAX999999"
        ),
        Country("MA", ("Casablanca", "Tanger", "Fès", "Tétouan"), ("+2126",), 8, "AA9999999"),
        Country(
            "TN",
            ("Tunis", "Sfax", "Ben Guerdane", "Kasserine"),
            ("+2162", "+2165", "+2169"),
            7,
            "A999999",
        ),
        Country("DZ", ("Alger", "Oran", "Constantine"), ("+2135", "+2136"), 8, "999999999"),
        Country(
            "RU",
            ("Moskva", "Sankt-Peterburg", "Kazan", "Groznyi", "Gudermes", "Makhachkala"),
            ("+79",),
            9,
            "99 9999999",
        ),
        Country("UA", ("Kyiv", "Kharkiv", "Odesa"), ("+38067",), 7, "AA999999"),
        Country("KZ", ("Almaty", "Astana", "Shymkent"), ("+7701", "+7777"), 7, "N99999999"),
        Country(
            "UZ",
            ("Toshkent", "Namangan", "Andijon", "Farg'ona"),
            ("+99890", "+99893"),
            7,
            "AA9999999",
        ),
        Country("TJ", ("Dushanbe", "Khujand", "Kulob"), ("+99292",), 7, "999999999"),
        Country("KG", ("Bishkek", "Osh", "Jalal-Abad"), ("+996555",), 6, "AC9999999"),
        Country("SO", ("Mogadishu", "Kismayo", "Baidoa"), ("+25261",), 7, "P99999999"),
        Country("KE", ("Nairobi", "Mombasa", "Garissa"), ("+2547",), 8, "AK9999999"),
        Country("PK", ("Karachi", "Lahore", "Peshawar", "Quetta"), ("+923",), 9, "AA9999999"),
        Country("ID", ("Jakarta", "Surabaya", "Surakarta", "Poso"), ("+628",), 10, "A9999999"),
    )
}

#: Countries of residence or second nationality (diaspora), weighted by repetition.
RESIDENCE_COUNTRIES: Final[tuple[str, ...]] = (
    "NL", "NL", "FR", "FR", "BE", "BE", "DE", "DE", "GB", "SE", "ES", "AT", "TR",
)  # fmt: skip
