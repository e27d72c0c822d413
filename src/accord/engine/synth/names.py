"""Name material for synthetic persons and organisations, by culture and script.

Every name part is written in its native script with the romanisations met in real records,
most common first: ``محمد`` is *Mohammed*, *Muhammad*, *Mohamed* or *Mohammad* depending on the
clerk, the country and the decade; ``Басаев`` is *Basaev* or *Basayev*; ``Юсупов`` is *Yusupov*
or, in ICAO 9303 transliteration, *Iusupov*. This variety is what screening must see through.
All names are common given and family names; no combination refers to a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["CULTURES", "ORGANISATION_PARTS", "Culture", "NamePart"]


@dataclass(frozen=True, slots=True)
class NamePart:
    """One name part: its native form and its romanisations (most common first)."""

    native: str
    latin: tuple[str, ...]


def _parts(*rows: tuple[str, ...]) -> tuple[NamePart, ...]:
    return tuple(NamePart(row[0], row[1:] or (row[0],)) for row in rows)


@dataclass(frozen=True, slots=True)
class Culture:
    """Naming conventions of one community: script, language, countries, name pools."""

    key: str
    script: str  # ISO 15924
    lang: str  # BCP 47
    countries: tuple[str, ...]  # countries of birth (ISO 3166-1 alpha-2), weighted by repetition
    male: tuple[NamePart, ...]
    female: tuple[NamePart, ...]
    family: tuple[NamePart, ...]
    #: Father's-name element: Arabic ``bin``/``ibn`` chains, East Slavic patronymics.
    father_name: str = ""  # "given" (father's given name as middle name) | "patronymic" | ""
    #: Family names take a feminine form (Иванов -> Иванова) for women.
    feminine_family: bool = False

    @property
    def native_script(self) -> bool:
        return self.script != "Latn"


ARABIC: Final = Culture(
    key="arabic",
    script="Arab",
    lang="ar",
    countries=("SY", "SY", "IQ", "IQ", "JO", "SA", "YE", "EG", "LY", "MA", "MA", "TN", "DZ"),
    father_name="given",
    male=_parts(
        ("محمد", "Mohammed", "Muhammad", "Mohamed", "Mohammad"),
        ("أحمد", "Ahmed", "Ahmad"),
        ("عبد الله", "Abdullah", "Abdallah", "Abd Allah"),
        ("عبد الرحمن", "Abdul Rahman", "Abdulrahman", "Abd al-Rahman"),
        ("عبد العزيز", "Abdulaziz", "Abdul Aziz", "Abd al-Aziz"),
        ("عبد الكريم", "Abdelkarim", "Abdul Karim", "Abd al-Karim"),
        ("علي", "Ali"),
        ("عمر", "Omar", "Umar"),
        ("يوسف", "Youssef", "Yusuf", "Yousef"),
        ("إبراهيم", "Ibrahim", "Ebrahim"),
        ("خالد", "Khaled", "Khalid"),
        ("حسن", "Hassan", "Hasan"),
        ("حسين", "Hussein", "Husayn", "Hussain"),
        ("مصطفى", "Mustafa", "Moustafa", "Mostafa"),
        ("سعيد", "Said", "Saeed", "Saïd"),
        ("طارق", "Tariq", "Tarek"),
        ("ياسين", "Yassin", "Yasin", "Yacine"),
        ("بلال", "Bilal"),
        ("حمزة", "Hamza", "Hamzah"),
        ("أسامة", "Osama", "Usama", "Oussama"),
        ("جمال", "Jamal", "Gamal"),
        ("محمود", "Mahmoud", "Mahmud"),
        ("عادل", "Adel", "Adil"),
        ("كريم", "Karim", "Kareem"),
        ("سليمان", "Suleiman", "Sulayman", "Slimane"),
        ("أنس", "Anas"),
        ("زكريا", "Zakaria", "Zakariya"),
        ("عثمان", "Othman", "Uthman", "Osman"),
    ),
    female=_parts(
        ("فاطمة", "Fatima", "Fatma", "Fatimah"),
        ("عائشة", "Aisha", "Aicha", "Ayesha"),
        ("مريم", "Maryam", "Mariam", "Meryem"),
        ("خديجة", "Khadija", "Khadidja"),
        ("زينب", "Zainab", "Zeinab", "Zaynab"),
        ("نور", "Nour", "Noor", "Nur"),
        ("سارة", "Sara", "Sarah"),
        ("أمينة", "Amina", "Aminah"),
        ("هدى", "Huda", "Houda"),
        ("ليلى", "Layla", "Leila", "Laila"),
    ),
    family=_parts(
        ("التميمي", "al-Tamimi", "Al Tamimi", "Altamimi"),
        ("الشمري", "al-Shammari", "Al Shammari", "Alshammari"),
        ("القحطاني", "al-Qahtani", "Al Qahtani", "Alkahtani"),
        ("العتيبي", "al-Otaibi", "Al Otaibi", "Alotaibi"),
        ("المصري", "al-Masri", "El Masry", "Elmasri"),
        ("الزهراني", "al-Zahrani", "Alzahrani"),
        ("الدوسري", "al-Dosari", "Aldossary", "Al Dawsari"),
        ("الأنصاري", "al-Ansari", "Al Ansari", "Alansari"),
        ("العمري", "al-Omari", "Alomari", "El Omari"),
        ("الحربي", "al-Harbi", "Alharbi"),
        ("الكعبي", "al-Kaabi", "Alkaabi", "El Kaabi"),
        ("الجبوري", "al-Jubouri", "Al Jaburi", "Aljuboori"),
        ("الدليمي", "al-Dulaimi", "Al Dulaymi", "Aldulaimi"),
        ("الحسيني", "al-Husseini", "Al Husseini", "El Husseini"),
        ("حداد", "Haddad", "Hadad"),
        ("خليل", "Khalil", "Khaleel"),
        ("منصور", "Mansour", "Mansur"),
        ("ناصر", "Nasser", "Nasir", "Naser"),
        ("صالح", "Saleh", "Salih"),
        ("بن علي", "Ben Ali", "Bin Ali"),
        ("بن سالم", "Ben Salem", "Bin Salim"),
        ("بوزيد", "Bouzid", "Bou Zid"),
        ("الطرابلسي", "Trabelsi", "al-Trabulsi"),
        ("العلوي", "Alaoui", "al-Alawi", "El Alaoui"),
        ("الإدريسي", "Idrissi", "al-Idrisi", "El Idrissi"),
    ),
)

RUSSIAN: Final = Culture(
    key="russian",
    script="Cyrl",
    lang="ru",
    countries=("RU", "RU", "RU", "KZ", "UA"),
    father_name="patronymic",
    feminine_family=True,
    male=_parts(
        ("Александр", "Aleksandr", "Alexander"),
        ("Дмитрий", "Dmitry", "Dmitrii", "Dmitriy"),
        ("Сергей", "Sergei", "Sergey"),
        ("Андрей", "Andrei", "Andrey"),
        ("Алексей", "Aleksei", "Alexey"),
        ("Иван", "Ivan"),
        ("Максим", "Maksim", "Maxim"),
        ("Николай", "Nikolai", "Nikolay"),
        ("Михаил", "Mikhail"),
        ("Виктор", "Viktor", "Victor"),
        ("Евгений", "Evgenii", "Yevgeny", "Evgeniy"),
        ("Юрий", "Iurii", "Yury", "Yuri"),
    ),
    female=_parts(
        ("Анна", "Anna"),
        ("Елена", "Elena", "Yelena"),
        ("Ольга", "Olga"),
        ("Наталья", "Natalia", "Natalya"),
        ("Мария", "Mariia", "Maria"),
        ("Юлия", "Iuliia", "Yulia"),
    ),
    family=_parts(
        ("Иванов", "Ivanov"),
        ("Смирнов", "Smirnov"),
        ("Кузнецов", "Kuznetsov"),
        ("Попов", "Popov"),
        ("Соколов", "Sokolov"),
        ("Волков", "Volkov"),
        ("Морозов", "Morozov"),
        ("Лебедев", "Lebedev"),
        ("Козлов", "Kozlov"),
        ("Новиков", "Novikov"),
        ("Фёдоров", "Fedorov", "Fyodorov"),
        ("Воробьёв", "Vorobev", "Vorobyov"),
    ),
)

CHECHEN: Final = Culture(
    key="chechen",
    script="Cyrl",
    lang="ru",
    countries=("RU",),
    father_name="patronymic",
    feminine_family=True,
    male=_parts(
        ("Рамзан", "Ramzan"),
        ("Ахмед", "Akhmed", "Ahmed"),
        ("Магомед", "Magomed", "Mahomed"),
        ("Ислам", "Islam"),
        ("Адам", "Adam"),
        ("Хасан", "Khasan", "Hasan"),
        ("Шамиль", "Shamil"),
        ("Руслан", "Ruslan"),
        ("Аслан", "Aslan"),
        ("Зелимхан", "Zelimkhan", "Zelimhan"),
        ("Мовсар", "Movsar"),
        ("Ибрагим", "Ibragim", "Ibrahim"),
        ("Умар", "Umar"),
    ),
    female=_parts(
        ("Хава", "Khava", "Hava"),
        ("Мадина", "Madina"),
        ("Зарема", "Zarema"),
        ("Луиза", "Luiza", "Louisa"),
        ("Петимат", "Petimat"),
    ),
    family=_parts(
        ("Умаров", "Umarov"),
        ("Гелаев", "Gelaev", "Gelayev"),
        ("Мусаев", "Musaev", "Musayev"),
        ("Алиев", "Aliev", "Aliyev"),
        ("Исаев", "Isaev", "Isayev"),
        ("Хамзатов", "Khamzatov", "Hamzatov"),
        ("Садулаев", "Sadulaev", "Sadulayev"),
        ("Эдельгериев", "Edelgeriev", "Edelgeriyev"),
        ("Дадаев", "Dadaev", "Dadayev"),
        ("Вагапов", "Vagapov"),
        ("Межидов", "Mezhidov", "Mejidov"),
        ("Тимиргериев", "Timirgeriev", "Timirgeriyev"),
    ),
)

UZBEK: Final = Culture(
    key="uzbek",
    script="Cyrl",
    lang="uz-Cyrl",
    countries=("UZ", "UZ", "UZ", "TJ", "KG"),
    father_name="patronymic",
    feminine_family=True,
    male=_parts(
        ("Шерзод", "Sherzod"),
        ("Бахтиёр", "Bakhtiyor", "Baxtiyor", "Bakhtiiar"),
        ("Улугбек", "Ulugbek", "Ulug'bek"),
        ("Жасур", "Jasur", "Zhasur"),
        ("Азиз", "Aziz"),
        ("Рустам", "Rustam"),
        ("Тимур", "Timur"),
        ("Фаррух", "Farrukh", "Farrux"),
        ("Отабек", "Otabek"),
        ("Дилшод", "Dilshod"),
        ("Акмал", "Akmal"),
    ),
    female=_parts(
        ("Дилноза", "Dilnoza"),
        ("Гулнора", "Gulnora", "Gulnara"),
        ("Нигора", "Nigora"),
        ("Малика", "Malika"),
        ("Шахноза", "Shakhnoza", "Shaxnoza"),
    ),
    family=_parts(
        ("Каримов", "Karimov"),
        ("Юсупов", "Yusupov", "Iusupov"),
        ("Рахимов", "Rakhimov", "Raximov", "Rahimov"),
        ("Турсунов", "Tursunov"),
        ("Абдуллаев", "Abdullaev", "Abdullayev"),
        ("Мирзаев", "Mirzaev", "Mirzayev"),
        ("Холматов", "Kholmatov", "Xolmatov"),
        ("Эргашев", "Ergashev"),
        ("Назаров", "Nazarov"),
        ("Саидов", "Saidov"),
        ("Ташматов", "Tashmatov", "Toshmatov"),
    ),
)

#: Latin-script communities: (key, lang, countries, male, female, family)
_LATIN_ROWS: Final = (
    (
        "dutch",
        "nl",
        ("NL",),
        ("Daan", "Sem", "Bram", "Thijs", "Lars", "Jeroen", "Ruben", "Stijn"),
        ("Lotte", "Sanne", "Femke", "Anouk", "Iris"),
        ("de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "de Jong", "Mulder"),
    ),
    (
        "french",
        "fr",
        ("FR", "FR", "BE"),
        ("Lucas", "Thomas", "Nicolas", "Julien", "Maxime", "Kévin", "Théo", "Mathieu"),
        ("Camille", "Léa", "Manon", "Chloé", "Émilie"),
        ("Martin", "Bernard", "Petit", "Moreau", "Laurent", "Lefèvre", "Girard", "Rousseau"),
    ),
    (
        "german",
        "de",
        ("DE", "DE", "AT"),
        ("Lukas", "Jonas", "Felix", "Leon", "Maximilian", "Tobias", "Jürgen", "Sebastian"),
        ("Anna", "Lena", "Katharina", "Jana", "Sophie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Schäfer", "Köhler"),
    ),
    (
        "spanish",
        "es",
        ("ES",),
        ("Javier", "Alejandro", "Pablo", "Sergio", "Álvaro", "Iván"),
        ("Lucía", "María", "Paula", "Laura"),
        ("García", "Martínez", "López", "Sánchez", "Fernández", "Gómez", "Ruiz"),
    ),
    (
        "turkish",
        "tr",
        ("TR",),
        ("Mehmet", "Mustafa", "Emre", "Burak", "Hüseyin", "Oğuz", "Serkan", "İbrahim"),
        ("Ayşe", "Fatma", "Elif", "Zeynep", "Gülşen"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan"),  # noqa: RUF001
    ),
    (
        "somali",
        "so",
        ("SO", "SO", "KE"),
        ("Abdirahman", "Abdi", "Mohamed", "Hassan", "Abdullahi", "Liban", "Yusuf"),
        ("Hodan", "Fadumo", "Sahra", "Ifrah"),
        ("Warsame", "Hirsi", "Farah", "Jama", "Abdullahi", "Omar", "Nur", "Osman"),
    ),
    (
        "pakistani",
        "ur-Latn",
        ("PK", "PK", "GB"),
        ("Usman", "Bilal", "Faisal", "Imran", "Kashif", "Zeeshan", "Asif"),
        ("Ayesha", "Sana", "Hina", "Rabia"),
        ("Qureshi", "Chaudhry", "Malik", "Butt", "Siddiqui", "Raza", "Sheikh"),
    ),
    (
        "indonesian",
        "id",
        ("ID",),
        ("Budi", "Agus", "Hendra", "Rizky", "Fajar", "Joko", "Dedi"),
        ("Siti", "Dewi", "Nurul", "Putri"),
        ("Santoso", "Setiawan", "Wijaya", "Saputra", "Hidayat", "Nugroho", "Pratama"),
    ),
    (
        "british",
        "en",
        ("GB",),
        ("James", "Daniel", "Thomas", "Ryan", "Connor", "Liam", "Jack"),
        ("Emma", "Charlotte", "Sophie", "Hannah"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Davies"),
    ),
)


def _latin_culture(
    row: tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]],
) -> Culture:
    key, lang, countries, male, female, family = row
    return Culture(
        key=key,
        script="Latn",
        lang=lang,
        countries=countries,
        male=tuple(NamePart(n, (n,)) for n in male),
        female=tuple(NamePart(n, (n,)) for n in female),
        family=tuple(NamePart(n, (n,)) for n in family),
    )


#: Cultures weighted by repetition (about 35% Arabic, 25% Cyrillic, 40% Latin script).
CULTURES: Final[tuple[Culture, ...]] = (
    (ARABIC,) * 7
    + (RUSSIAN, RUSSIAN, CHECHEN, CHECHEN, UZBEK)
    + tuple(_latin_culture(row) for row in _LATIN_ROWS)
    + (_latin_culture(_LATIN_ROWS[4]), _latin_culture(_LATIN_ROWS[5]))
)

#: Fictional organisations by script: (heads, tails), each part (native, romanised). Names are
#: composed head + tail ("Katibat al-Fajr", "Джамаат Рассвет", "Zelle Nordwacht").
ORGANISATION_PARTS: Final[
    dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]]
] = {
    "Arab": (
        (
            ("جماعة", "Jama'at"),
            ("كتيبة", "Katibat"),
            ("أنصار", "Ansar"),
            ("لواء", "Liwa"),
            ("سرايا", "Saraya"),
            ("حركة", "Harakat"),
        ),
        (
            ("الفجر", "al-Fajr"),
            ("الشرق", "al-Sharq"),
            ("الساحل", "al-Sahil"),
            ("الوادي", "al-Wadi"),
            ("النور", "al-Nur"),
            ("الجبل", "al-Jabal"),
            ("الصحراء", "al-Sahra"),
            ("الحدود", "al-Hudud"),
            ("الرعد", "al-Ra'd"),
            ("السيف", "al-Sayf"),
        ),
    ),
    "Cyrl": (
        (("Джамаат", "Dzhamaat"), ("Бригада", "Brigada"), ("Отряд", "Otryad")),
        (("Рассвет", "Rassvet"), ("Восход", "Voskhod"), ("Перевал", "Pereval"), ("Гроза", "Groza")),
    ),
    "Latn": (
        (("Zelle", "Zelle"), ("Front", "Front"), ("Célula", "Célula")),
        (("Nordwacht", "Nordwacht"), ("Aube Noire", "Aube Noire"), ("Tormenta", "Tormenta")),
    ),
}
