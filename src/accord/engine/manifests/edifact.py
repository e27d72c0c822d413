"""UN/EDIFACT interchanges (ISO 9735) split into positioned segments, tokenised with pydifact.

Used by the PAXLST and PNRGOV readers. The service string advice (UNA, ISO 9735 section 7) is
followed as declared; what carriers' systems send is read as they send it:

- non-default separators and release character (``UNA:*.? $``, ``UNA:+.\\*'``); a space in the
  release position means there is none; the repetition separator is not used by these messages
  and is ignored (a space there, the syntax version 3 reservation, is the usual value);
- an advice cut short by a line break (``UNA:+\\*'`` and a new line: a character, usually the
  decimal mark, left out): the first two characters are still the component and data
  separators, the last the segment terminator and a ``?`` or ``\\`` among the others the release
  character;
- a segment tag padded with spaces before its first separator (``UNG *PAXLST*...``);
- CR/LF line ends and spaces between segments, and line breaks *inside* a segment (long
  free-text elements wrapped at 80 columns, also right after a release character): they are
  not part of the data and are dropped;
- leading white space or a byte-order mark before UNA/UNB, text after the UNZ trailer, a second
  interchange after the first (read with the same separators unless it has its own UNA);
- a last segment without terminator when it is a trailer (UNT, UNE, UNZ);
- the typographic apostrophe (U+2019) that some word processors put for the segment terminator
  ``'``, in the data or in the UNA itself;
- bytes that are not UTF-8, read as ISO 8859-1 (syntax level C, ``UNOC``, the usual character
  set of accented names), so that a name never holds undecodable characters.

What it refuses, naming the segment and the byte where the fault is
(``segment 14 (NAD) at byte 512: ...``): a UNA that does not declare distinct usable separators,
control characters, a segment tag that is not three letters or digits, a release character at
the very end, a message that does not start with UNA, UNB or UNH, and a file that ends inside a
data segment (cut short: its last value may be cut, and a name cut short would be screened as
another name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.tokenizer import Tokenizer

from accord.engine.manifests.traveller import DEFAULT_MAX_BYTES, ManifestError, check_size

__all__ = ["EdiSegment", "component", "element", "read_segments"]

_TAG: Final = re.compile(r"^[A-Z0-9]{3}$")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS: Final = "\r\n"
_BLANKS: Final = " \t\r\n"
_TYPOGRAPHIC_APOSTROPHE: Final = "\u2019"
_TRAILERS: Final = frozenset({"UNT", "UNE", "UNZ"})
#: surrogateescape code points (one per byte that is not UTF-8) -> the ISO 8859-1 character.
_LATIN1: Final = {0xDC80 + i: 0x80 + i for i in range(128)}
#: pydifact's segment builder (stateless between segments: only its raw-segment step is used, so
#: neither its segment factory nor its logging runs).
_RAW_SEGMENTS: Final = Parser()


@dataclass(frozen=True, slots=True)
class EdiSegment:
    """One segment: its 1-based number in the file, tag, elements and starting byte."""

    number: int
    tag: str
    elements: tuple[str | list[str], ...]
    offset: int

    @property
    def where(self) -> str:
        return f"segment {self.number} ({self.tag}) at byte {self.offset}"


def element(segment: EdiSegment, index: int) -> str:
    """Element ``index`` (0-based, after the tag) as a string (its first component if composite;
    '' when absent)."""
    if index >= len(segment.elements):
        return ""
    value = segment.elements[index]
    return value[0] if isinstance(value, list) else value


def component(segment: EdiSegment, index: int, comp: int) -> str:
    """Component ``comp`` of element ``index`` ('' when absent)."""
    if index >= len(segment.elements):
        return ""
    value = segment.elements[index]
    if isinstance(value, list):
        return value[comp] if comp < len(value) else ""
    return value if comp == 0 else ""


def _decode(data: bytes) -> str:
    # surrogateescape keeps one code point per undecodable byte, so byte offsets stay exact
    return data.decode("utf-8", "surrogateescape")


class _Offsets:
    """Character index -> byte offset in the original file (computed only for errors and for
    each segment start, incrementally)."""

    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base
        self._char = 0
        self._byte = base

    def byte(self, index: int) -> int:
        if index < self._char:
            self._char, self._byte = 0, self.base
        self._byte += len(self.text[self._char : index].encode("utf-8", "surrogateescape"))
        self._char = index
        return self._byte


@dataclass(frozen=True, slots=True)
class _Separators:
    """The separators of one interchange; ``release`` is '' when there is none."""

    component: str
    data: str
    release: str
    terminator: str

    @property
    def terminators(self) -> str:
        if self.terminator == "'":
            return "'" + _TYPOGRAPHIC_APOSTROPHE
        return self.terminator

    def characters(self) -> Characters:
        chars = Characters.from_str(f"{self.component}{self.data}.? {self.terminator}")
        chars.escape_character = self.release  # '' never matches a character: no release
        return chars


_DEFAULT_SEPARATORS: Final = _Separators(":", "+", "?", "'")


class _Fault(Exception):
    def __init__(self, index: int, text: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.text = text
        self.message = message


def _service_advice(text: str, start: int) -> tuple[_Separators, int]:
    """The separators a UNA at ``text[start:]`` declares, and where the segments after it start.

    Raises :class:`_Fault` when the advice is cut short or declares unusable separators."""
    advice = text[start + 3 : start + 9]
    for index, ch in enumerate(advice):
        if ch in _LINE_BREAKS:
            advice = advice[:index]
            break
    if len(advice) < 3:
        raise _Fault(start, "UNA", "the UNA service string advice is cut short")
    if len(advice) == 6:
        component, data, release, terminator = advice[0], advice[1], advice[3], advice[5]
    else:
        component, data, terminator = advice[0], advice[1], advice[-1]
        named = [ch for ch in advice[2:-1] if ch in "?\\"]
        release = named[0] if named else ("" if "?" in advice else "?")
    if terminator == _TYPOGRAPHIC_APOSTROPHE:
        terminator = "'"
    if release == " ":
        release = ""
    declared = (component, data, terminator)
    if any(ch.isalnum() or ch in _BLANKS for ch in declared):
        raise _Fault(
            start,
            "UNA",
            f"the UNA service string advice {advice!r} declares a letter, digit or space as a "
            "separator",
        )
    if len(set(declared + ((release,) if release else ()))) < 3 + bool(release):
        raise _Fault(
            start,
            "UNA",
            f"the UNA service string advice {advice!r} does not define distinct separators",
        )
    return _Separators(component, data, release, terminator), start + 3 + len(advice)


def _split(text: str, i: int, seps: _Separators) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, segment text without terminator, terminated) for each segment from ``i``;
    ``end`` is the index after the terminator."""
    terminators = seps.terminators
    release = seps.release
    n = len(text)
    while i < n:
        while i < n and text[i] in _BLANKS:
            i += 1
        if i >= n:
            return
        start = i
        buf: list[str] = []
        while i < n:
            ch = text[i]
            if ch == release:
                i += 1
                while i < n and text[i] in _LINE_BREAKS:  # a line wrapped after the release
                    i += 1
                if i >= n:
                    raise _Fault(start, "".join(buf), "the file ends with a release character")
                buf.append(ch)
                buf.append(text[i])
                i += 1
                continue
            if ch in terminators:
                i += 1
                yield start, i, "".join(buf), True
                break
            if ch not in _LINE_BREAKS:
                buf.append(ch)
            i += 1
        else:
            yield start, i, "".join(buf), False


def _tag_of(text: str, seps: _Separators) -> str:
    """The segment's tag as an error message may quote it: at most 8 characters, a byte that
    is not UTF-8 read as ISO 8859-1 and a control character shown as U+FFFD (a message is
    printed, logged and sent as JSON; it must be text)."""
    head = text.split(seps.data, 1)[0].split(seps.component, 1)[0].rstrip(" ")
    return _CONTROL.sub("\ufffd", _text(head[:8])) if head else "?"


def _text(value: str) -> str:
    return value.translate(_LATIN1)


def _elements(seg_text: str, seps: _Separators) -> tuple[str | list[str], ...]:
    """The elements after the tag, as pydifact tokenises them (released characters unescaped)."""
    tokens = Tokenizer().get_tokens(seg_text + seps.terminator, seps.characters())
    raw = list(_RAW_SEGMENTS.convert_tokens_to_raw_segments(tokens))
    if len(raw) != 1 or not raw[0]:
        raise EDISyntaxError("not one segment")
    return tuple(
        [_text(str(c)) for c in e] if isinstance(e, list) else _text(str(e)) for e in raw[0][1:]
    )


def _check_segment(seg_text: str, tag: str, where: str, *, terminated: bool, first: bool) -> None:
    """Refuse a segment cut short (no terminator and not a trailer), with a control character,
    without a tag, or (``first``) that does not start an interchange."""
    if not terminated and tag not in _TRAILERS:
        raise ManifestError(
            "the file ends inside this segment (no segment terminator and no "
            "trailer after it): it looks cut short; ask the sender for the whole file",
            where,
        )
    bad = _CONTROL.search(seg_text)
    if bad:
        raise ManifestError(f"control character U+{ord(bad.group()):04X} in the segment", where)
    if not _TAG.match(tag):
        raise ManifestError(f"{tag!r} is not a segment tag (three letters or digits)", where)
    if first and tag not in ("UNB", "UNH"):
        raise ManifestError("an interchange starts with UNA or UNB", where)


def _next_interchange(text: str, end: int) -> int | None:
    """Where another interchange starts after a trailer ending at ``end``, or None: any other
    text after the trailer (a note, a date) is not data."""
    rest = end
    while rest < len(text) and text[rest] in _BLANKS:
        rest += 1
    return rest if text.startswith(("UNA", "UNB"), rest) else None


def read_segments(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, expect: Sequence[str] = ()
) -> list[EdiSegment]:
    """The segments of one interchange (or of several in a row), in order.

    ``expect`` lists message types (``PAXLST``, ``PNRGOV``); when given, a UNH naming another
    type is refused. Raises :class:`ManifestError` with the segment and byte of the fault.
    """
    check_size(data, max_bytes)
    text = _decode(data)
    stripped = text.lstrip("\ufeff" + _BLANKS)
    base = len(text[: len(text) - len(stripped)].encode("utf-8", "surrogateescape"))
    text = stripped
    if not text:
        raise ManifestError("the file is empty")
    offsets = _Offsets(text, base)
    segments: list[EdiSegment] = []
    number = 0
    seps = _DEFAULT_SEPARATORS
    position: int | None = 0
    try:
        while position is not None:
            start, position = position, None
            if text.startswith("UNA", start):
                seps, start = _service_advice(text, start)
                number += 1
            for begin, end, seg_text, terminated in _split(text, start, seps):
                number += 1
                tag = _tag_of(seg_text, seps)
                where = f"segment {number} ({tag}) at byte {offsets.byte(begin)}"
                _check_segment(seg_text, tag, where, terminated=terminated, first=not segments)
                try:
                    elements = _elements(seg_text, seps)
                except EDISyntaxError as exc:
                    reason = str(exc).removeprefix("EDIFACT Syntax Error: ")
                    raise ManifestError(f"unreadable segment ({reason})", where) from None
                segment = EdiSegment(number, tag, elements, offsets.byte(begin))
                if tag == "UNH" and expect:
                    kind = component(segment, 1, 0)
                    if kind not in expect:
                        raise ManifestError(
                            f"message type {kind or '(none)'!r}; expected {' or '.join(expect)}",
                            where,
                        )
                segments.append(segment)
                if tag == "UNZ":
                    position = _next_interchange(text, end)
                    break
    except _Fault as fault:
        tag = _tag_of(fault.text, seps)
        raise ManifestError(
            fault.message, f"segment {number + 1} ({tag}) at byte {offsets.byte(fault.index)}"
        ) from None
    if expect and not any(s.tag == "UNH" for s in segments):
        raise ManifestError(f"no UNH message header: not a {' or '.join(expect)} interchange")
    return segments
