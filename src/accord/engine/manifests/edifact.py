"""UN/EDIFACT interchanges (ISO 9735) split into positioned segments, parsed with pydifact.

Used by the PAXLST and PNRGOV readers. What it tolerates, as carriers send it:

- the UNA service string advice (ISO 9735 section 7): non-default separators, release character
  and segment terminator (``UNA:*.? $``, ``UNA:+.\\*'``);
- CR/LF line ends and spaces between segments, and line breaks *inside* a segment (long
  free-text elements wrapped at 80 columns): they are not part of the data and are dropped;
- leading white space or a byte-order mark before UNA/UNB, text after the UNZ trailer, and a
  UNZ trailer without its terminator;
- the typographic apostrophe (U+2019) that some word processors put for the segment terminator
  ``'``.

What it refuses, naming the segment and the byte where the fault is
(``segment 14 (NAD) at byte 512: ...``): control characters, a segment tag that is not three
letters or digits, a release character at the very end, a message that does not start with UNA
or UNB, and a last segment without terminator.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser

from accord.engine.manifests.traveller import DEFAULT_MAX_BYTES, ManifestError, check_size

__all__ = ["EdiSegment", "component", "element", "read_segments"]

_TAG: Final = re.compile(r"^[A-Z0-9]{3}$")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DEFAULT_UNA: Final = ":+.? '"


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


def _split(text: str, chars: Characters) -> Iterator[tuple[int, str, bool]]:
    """(start index, segment text without terminator, terminated) for each segment."""
    terminator = chars.segment_terminator
    release = chars.escape_character
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \r\n\t":
            i += 1
        if i >= n:
            return
        start = i
        buf: list[str] = []
        while i < n:
            ch = text[i]
            if ch == release and release != " ":
                if i + 1 >= n:
                    raise _Fault(start, "".join(buf), "the file ends with a release character")
                buf.append(ch)
                buf.append(text[i + 1])
                i += 2
                continue
            if ch == terminator:
                i += 1
                yield start, "".join(buf), True
                break
            if ch not in "\r\n":
                buf.append(ch)
            i += 1
        else:
            yield start, "".join(buf), False


class _Fault(Exception):
    def __init__(self, index: int, text: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.text = text
        self.message = message


def _tag_of(text: str, chars: Characters) -> str:
    head = text.split(chars.data_separator, 1)[0].split(chars.component_separator, 1)[0]
    return head[:8] if head else "?"


def read_segments(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, expect: Sequence[str] = ()
) -> list[EdiSegment]:
    """The segments of one interchange, in order, each parsed by pydifact.

    ``expect`` lists message types (``PAXLST``, ``PNRGOV``); when given, a UNH naming another
    type is refused. Raises :class:`ManifestError` with the segment and byte of the fault.
    """
    check_size(data, max_bytes)
    text = _decode(data)
    stripped = text.lstrip("\ufeff \t\r\n")
    base = len(text[: len(text) - len(stripped)].encode("utf-8", "surrogateescape"))
    text = stripped
    if not text:
        raise ManifestError("the file is empty")
    offsets = _Offsets(text, base)

    chars = Characters.from_str(_DEFAULT_UNA)
    body_start = 0
    if text.startswith("UNA"):
        if len(text) < 9:
            where = f"segment 1 (UNA) at byte {base}"
            raise ManifestError("the UNA service string advice is cut short", where)
        una = text[3:9]
        if len(set(una[:2] + una[3] + una[5])) < 4 or any(c in "\r\n" for c in una):
            raise ManifestError(
                f"the UNA service string advice {una!r} does not define distinct separators",
                f"segment 1 (UNA) at byte {base}",
            )
        chars = Characters.from_str(una)
        body_start = 9
    if chars.segment_terminator == "'":
        text = text.replace("\u2019", "'")

    parser = Parser(characters=chars)
    segments: list[EdiSegment] = []
    number = 1 if body_start else 0
    after_unz = False
    try:
        for start, seg_text, terminated in _split(text[body_start:], chars):
            start += body_start
            number += 1
            if after_unz:
                break  # text after the interchange trailer (a note, a date) is not data
            tag = _tag_of(seg_text, chars)
            where = f"segment {number} ({tag}) at byte {offsets.byte(start)}"
            if not terminated and tag != "UNZ":  # a trailer without terminator is common
                raise ManifestError("the file ends inside a segment (no segment terminator)", where)
            bad = _CONTROL.search(seg_text)
            if bad:
                raise ManifestError(
                    f"control character U+{ord(bad.group()):04X} in the segment", where
                )
            if not _TAG.match(tag):
                raise ManifestError(
                    f"{tag!r} is not a segment tag (three letters or digits)", where
                )
            if not segments and tag not in ("UNB", "UNH"):
                raise ManifestError("an interchange starts with UNA or UNB", where)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    parsed = list(parser.parse(seg_text + chars.segment_terminator, chars))
            except (EDISyntaxError, ValueError, IndexError) as exc:
                raise ManifestError(f"unreadable segment ({exc})", where) from None
            if len(parsed) != 1:
                raise ManifestError("unreadable segment", where)
            seg = parsed[0]
            elements = tuple(
                [str(c) for c in e] if isinstance(e, list) else str(e) for e in seg.elements
            )
            segment = EdiSegment(number, tag, elements, offsets.byte(start))
            if tag == "UNH" and expect:
                kind = component(segment, 1, 0)
                if kind not in expect:
                    raise ManifestError(
                        f"message type {kind or '(none)'!r}; expected {' or '.join(expect)}",
                        where,
                    )
            segments.append(segment)
            after_unz = tag == "UNZ"
    except _Fault as fault:
        tag = _tag_of(fault.text, chars)
        raise ManifestError(
            fault.message,
            f"segment {number + 1} ({tag}) at byte {offsets.byte(fault.index + body_start)}",
        ) from None
    if expect and not any(s.tag == "UNH" for s in segments):
        raise ManifestError(f"no UNH message header: not a {' or '.join(expect)} interchange")
    return segments
