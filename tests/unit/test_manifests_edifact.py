"""PAXLST and PNRGOV readers: own fixtures (invented passengers), the shared GTAS samples, and
malformed input refused with the segment and byte of the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.engine.manifests import ManifestError, read_manifest, read_paxlst, read_pnrgov
from accord.engine.manifests.edifact import read_segments
from accord.engine.manifests.pnrgov import parse_docs, strip_title

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_paxlst_una_separators_crlf_leading_space():
    travellers = read_paxlst(_read("paxlst_una_crlf.edi"))
    assert [t.row for t in travellers] == [1, 2, 3]
    first = travellers[0]
    assert first.names == ("MUHAMMAD ALHADDAD",)
    assert first.birth_date == "1981-03-12"
    assert first.gender == "male"
    assert first.nationalities == ("IQ",)
    assert first.place_of_birth == "BASRA"
    assert first.documents[0].number == "A1234567"
    assert first.documents[0].issuing_country == "IQ"
    assert first.documents[0].expires_on == "2030-01-01"
    assert first.travel == "ZZ123 AMS-CDG 2025-03-01"
    assert first.id == "77001/1"
    # CCYYMMDD with format 102; a released data separator inside a document number
    assert travellers[1].birth_date == "1990-01-01"
    assert travellers[1].documents[0].number == "NL*998877"
    # ICAO code D for Germany
    assert travellers[2].nationalities == ("DE",)


def test_paxlst_malformed_names_segment_and_byte():
    data = _read("paxlst_malformed.edi")
    with pytest.raises(ManifestError) as err:
        read_paxlst(data)
    assert err.value.where == f"segment 7 (N@D) at byte {data.index(b'N@D')}"
    assert "segment 7 (N@D) at byte" in str(err.value)


def test_paxlst_control_character_refused():
    data = _read("paxlst_control.edi")
    with pytest.raises(ManifestError, match=r"segment 4 \(NAD\) at byte 87: control character"):
        read_paxlst(data)
    assert data.index(b"NAD") == 87


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (
            b"UNB+UNOA:4+X+Y+250301:0600+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++DOE",
            "segment 3 (NAD)",
        ),
        (b"NAD+FL+++DOE:JOHN'", "segment 1 (NAD) at byte 0"),
        (b"UNB+UNOA:4+X+Y+250301:0600+1'UNH+1+INVOIC:D:96A:UN'", "segment 2 (UNH)"),
        (b"UNB+UNOA:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'FTX+AAA+END?", "segment 3 (FTX)"),
    ],
)
def test_malformed_interchanges(data, where):
    with pytest.raises(ManifestError) as err:
        read_paxlst(data)
    assert where in str(err.value)


def test_enormous_file_refused_before_parsing():
    with pytest.raises(ManifestError, match="at most 1,000 bytes"):
        read_paxlst(b"UNB+UNOA:4'" + b"X" * 2000, max_bytes=1000)


def test_empty_and_utf8_offsets():
    with pytest.raises(ManifestError, match="empty"):
        read_paxlst(b"  \r\n")
    data = "UNB+UNOC:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++MÜLLER:JÖRG'B?D'".encode()
    with pytest.raises(ManifestError) as err:
        read_segments(data, expect=("PAXLST",))
    assert err.value.where.endswith(f"at byte {data.index(b'B?D')}")


def test_pnrgov_own_fixture_titles_docs_apostrophe_and_repeats():
    travellers = read_pnrgov(_read("pnrgov_small.edi"))
    assert len(travellers) == 2  # the TIF repeated after TRI is the same traveller
    muhammad, anna = travellers
    assert muhammad.names[0] == "MUHAMMAD ALHADDAD"  # title MR removed
    assert "MUHAMMAD ALI ALHADDAD" in muhammad.names  # from SSR DOCS, ended by U+2019
    assert muhammad.birth_date == "1981-03-12"
    assert muhammad.documents[0].number == "A1234567"
    assert muhammad.id == "ABC123/1"
    assert muhammad.travel == "ZZ123 AMS-CDG 2025-03-01"
    # SSR DOCS in the flight group, given to traveller 2 by its reference
    assert anna.documents[0].number == "NL998877"
    assert anna.gender == "female"


def test_docs_free_text_and_titles():
    docs = parse_docs("/P/GBR/123456789/GBR/12JUL64/M/23AUG19/SMITHJR/JONATHON/ROBERT")
    assert docs.document is not None and docs.document.number == "123456789"
    assert (docs.nationality, docs.birth_date, docs.gender) == ("GB", "1964-07-12", "male")
    assert docs.name == "JONATHON ROBERT SMITHJR"
    empty = parse_docs("////GBR/12JUL64/M//JONES/WILLIAMNEVELL")
    assert empty.document is None and empty.name == "WILLIAMNEVELL JONES"
    assert strip_title("JOHNMR") == "JOHN"
    assert strip_title("KONG CHUN MRS") == "KONG CHUN"
    assert strip_title("AMR") == "AMR"


def test_shared_paxlst_samples(shared_data):
    base = shared_data / "edifact" / "paxlst"
    crew = read_paxlst((base / "Test1.txt").read_bytes())
    assert len(crew) == 8
    assert crew[0].names == ("Andrea Pat Steur",)
    assert crew[0].birth_date == "1978-07-06"
    assert crew[0].place_of_birth == "Hartford USA"
    legs = read_paxlst((base / "multiple_flight_leg_apis.txt").read_bytes())
    assert [t.names[0] for t in legs] == ["TODD BARRETT", "KRISTIN LANG"]
    assert legs[0].documents[0].number == "YY3478621G"
    assert legs[0].travel.count(";") == 2  # three legs


def test_shared_pnrgov_samples(shared_data):
    base = shared_data / "edifact" / "pnrgov"
    counts = {}
    for path in sorted(base.iterdir()):
        counts[path.name] = read_manifest(path.read_bytes(), "pnrgov")
    assert len(counts["pnr1.txt"]) == 2
    smith = counts["pnr1.txt"][0]
    assert smith.names[0] == "JOHN SMITHJR"
    assert smith.birth_date == "1964-07-12"
    assert smith.documents[0].number == "123456789"
    # the typographic apostrophe quirk of page 75
    park = counts["pnrMessagePg75.txt"][0]
    assert park.names[0] == "SEJOON PARK" and park.documents[0].number == "JR3364288"
    assert all(counts[name] for name in counts)
