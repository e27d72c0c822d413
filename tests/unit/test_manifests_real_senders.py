"""EDIFACT as real senders write it: what the service string advice (UNA) declares is followed,
and the quirks of carriers' systems (seen in the GTAS test messages) are read rather than
refused. Own fixtures with invented passengers; the shared GTAS samples when present."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from accord.engine.manifests import ManifestError, read_manifest, read_paxlst, read_pnrgov
from accord.engine.manifests.edifact import element, read_segments

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_paxlst_una_with_space_repetition_and_a_tag_padded_with_it():
    """``UNA:*.? $`` declares a space as repetition character; the sender then writes
    ``UNG *PAXLST*...`` (the tag followed by that space) and ``UNT*24*770040 1``."""
    data = _read("paxlst_una_space_repetition.edi")
    segments = read_segments(data, expect=("PAXLST",))
    ung = segments[1]  # the UNA is segment 1 but not among the segments returned
    assert ung.tag == "UNG" and element(ung, 0) == "PAXLST"
    assert ung.where == f"segment 3 (UNG) at byte {data.index(b'UNG')}"
    assert element(segments[-3], 1) == "770040 1"  # a space inside a value stays
    first, second = read_paxlst(data)
    assert first.names == ("MUHAMMAD ALHADDAD",)
    assert first.birth_date == "1981-03-12" and first.gender == "male"
    assert first.documents[0].number == "A1234567"
    assert first.documents[0].issuing_country == "IQ"
    assert first.travel == "ZZ506 BRE-AMS 2025-03-02"
    assert first.id == "7700401/1"
    assert second.names == ("ANNA TESTER",) and second.documents[0].expires_on == "2031-02-02"


def test_pnrgov_una_cut_short_by_a_line_break():
    """``UNA:+\\*'`` then a line break: five characters, the decimal mark left out. The
    separators it declares are used: ``\\`` releases the data separator and the ``*``."""
    data = _read("pnrgov_una_line_break.edi")
    segments = read_segments(data, expect=("PNRGOV",))
    assert segments[0].tag == "UNB" and segments[0].where.startswith("segment 2 (UNB)")
    ift = next(s for s in segments if s.tag == "IFT")
    assert element(ift, 1) == "CALL BACK ON 555+31 OR *ASK DESK*"
    (traveller,) = read_pnrgov(data)
    assert traveller.names[0] == "MUHAMMAD ALHADDAD"
    assert traveller.documents[0].number == "A1234567"
    assert traveller.id == "QRS789/1"


def test_pnrgov_last_segment_without_terminator():
    (traveller,) = read_pnrgov(_read("pnrgov_no_final_terminator.edi"))
    assert traveller.names[0] == "ANNA TESTER"
    assert traveller.birth_date == "1990-01-01" and traveller.gender == "female"
    assert traveller.documents[0].expires_on == "2031-02-02"


_MESSAGE = b"UNB+UNOA:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'NAD+FL+++DOE:JOHN'"


@pytest.mark.parametrize(
    "tail",
    [b"UNT+4+1", b"UNT+4+1'UNE+1+1", b"UNT+4+1'UNZ+1+1", b"UNT+4+1'UNZ+1+1\r\n"],
)
def test_any_last_segment_may_lack_its_terminator(tail):
    (traveller,) = read_paxlst(_MESSAGE + tail)
    assert traveller.names == ("JOHN DOE",)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (_MESSAGE[:-1], "segment 4 (NAD)"),
        (_MESSAGE + b"NAD+FL+++ROE", "segment 5 (NAD)"),
        (_MESSAGE + b"UNT+4+1'UNH+2+PAXLST:D:05B:UN:IATA'NAD+FL+++R", "segment 7 (NAD)"),
    ],
)
def test_a_message_cut_short_is_refused_naming_its_last_segment(data, where):
    with pytest.raises(ManifestError, match="cut short") as err:
        read_paxlst(data)
    assert err.value.where == f"{where} at byte {data.rindex(b'NAD')}"


def test_typographic_apostrophe_declared_as_terminator():
    """A UNA written in a word processor: U+2019 for the terminator, segments ending in ``'``."""
    data = "UNA:+.\\*\u2019 UNB+IATA:1+1A+ZZ+250301:0649+3'\nUNH+1+PNRGOV:11:1:IA+X'SRC'".encode()
    data += b"TIF+DOE:I+JANEMRS::1'UNT+4+1'UNZ+1+3'"
    (traveller,) = read_pnrgov(data)
    assert traveller.names == ("JANE DOE",)


def test_no_release_character_keeps_spaces():
    """A space in the release position means there is none (ISO 9735 section 7)."""
    data = b"UNA:+. *'UNB+UNOA:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++DOE:JOHN PAUL?'UNT+3+1'"
    (traveller,) = read_paxlst(data)
    assert traveller.names == ("JOHN PAUL? DOE",)


def test_release_before_a_wrapped_line_releases_the_next_character():
    data = _MESSAGE + b"FTX+AAA+CALL 555?\r\n+31'DOC+P+NL?\n:12'UNT+5+1'"
    segments = read_segments(data)
    assert element(segments[4], 1) == "CALL 555+31"
    assert read_paxlst(data)[0].documents[0].number == "NL:12"


def test_latin1_names_of_unoc_interchanges():
    """Syntax level C (UNOC) is ISO 8859-1: bytes that are not UTF-8 are read as Latin-1, so a
    name never carries undecodable characters into a hit or a log line."""
    data = b"UNB+UNOC:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++M\xdcLLER:J\xd6RG'UNT+3+1'"
    (traveller,) = read_paxlst(data)
    assert traveller.names == ("JÖRG MÜLLER",)
    utf8 = "UNB+UNOC:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++MÜLLER:JÖRG'UNT+3+1'".encode()
    assert read_paxlst(utf8)[0].names == ("JÖRG MÜLLER",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"UNA:'\nUNB+UNOA:4'", "cut short"),
        (b"UNA++.? 'UNB+UNOA:4'", "distinct"),
        (b"UNA:+.? A", "UNA"),
        (b"UNA", "cut short"),
    ],
)
def test_unreadable_service_string_advice_is_refused(data, message):
    with pytest.raises(ManifestError, match=message) as err:
        read_segments(data)
    assert err.value.where == "segment 1 (UNA) at byte 0"


def test_parsing_logs_nothing_at_info(caplog):
    """The EDIFACT library's INFO lines (one per interchange header) are not printed; errors
    still reach the caller as :class:`ManifestError`."""
    with caplog.at_level(logging.DEBUG):
        read_paxlst(_read("paxlst_una_crlf.edi"))
        read_pnrgov(_read("pnrgov_small.edi"))
        with pytest.raises(ManifestError):
            read_paxlst(_read("paxlst_malformed.edi"))
    assert [r for r in caplog.records if r.name.startswith("pydifact")] == []


def test_shared_samples_read_without_log_lines(shared_data, caplog):
    base = shared_data / "edifact"
    with caplog.at_level(logging.INFO):
        for path in sorted(base.glob("*/*")):
            kind = path.parent.name
            travellers = read_manifest(path.read_bytes(), kind)
            assert travellers, path.name
            for t in travellers:
                for name in t.names:
                    name.encode("utf-8")  # no undecodable characters
    assert not [r for r in caplog.records if r.name.startswith("pydifact")]


def test_interchanges_in_a_row_are_all_read():
    """Two interchanges in one file (the second with its own UNA) are both read; a note after
    the last trailer is not data."""
    second = b"UNA:*.? $UNB*UNOA:4*X*Y*2$UNH*2*PAXLST:D:05B:UN:IATA$NAD*FL***ROE:RICHARD$UNT*3*2$"
    data = _MESSAGE + b"UNT+4+1'UNZ+1+1'\r\n" + second + b"UNZ*1*2$\n13Nov09"
    travellers = read_paxlst(data)
    assert [t.names for t in travellers] == [("JOHN DOE",), ("RICHARD ROE",)]
    assert [t.id for t in travellers] == ["1/1", "2/1"]


def test_a_refusal_quotes_the_segment_as_text():
    """Bytes that are not UTF-8 and control characters in a refused segment's tag are quoted as
    text (ISO 8859-1, U+FFFD), so the message can be printed, logged and sent as JSON."""
    from accord.engine.manifests import ManifestError, read_manifest

    with pytest.raises(ManifestError) as caught:
        read_manifest(b"\xff\xfe\x00garbage\xff", "paxlst", max_bytes=10**6)
    message = str(caught.value)
    message.encode("utf-8")  # no lone surrogate left
    assert "segment 1 (\u00ff\u00fe\ufffdgarba)" in message
