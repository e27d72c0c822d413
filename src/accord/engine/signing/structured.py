"""The small part of Structured Field Values for HTTP (RFC 8941) that RFC 9421 needs.

``Signature-Input`` is a Dictionary (RFC 8941 section 3.2) whose members are Inner Lists
(section 3.1.1) of String items (section 3.3.3) with Parameters (section 3.1.2);
``Signature`` is a Dictionary of Byte Sequences (section 3.3.5). Parsing is strict: anything
outside this subset raises ``ValueError``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "ParamValue",
    "parse_signature_dictionary",
    "parse_signature_input_dictionary",
    "serialize_inner_list",
    "serialize_string",
]

_T = TypeVar("_T")

ParamValue = int | str | bool

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")


def serialize_string(value: str) -> str:
    """An sf-string (RFC 8941 section 4.1.6): printable ASCII, ``\\`` and ``"`` escaped."""
    if any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise ValueError("sf-string must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _serialize_param(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "" if value else "=?0"
    if isinstance(value, int):
        return f"={value}"
    return "=" + serialize_string(value)


def serialize_inner_list(items: list[str], params: dict[str, ParamValue]) -> str:
    """An Inner List of strings with parameters (RFC 8941 section 4.1.1.1), as RFC 9421 section
    2.3 serialises ``@signature-params``."""
    inner = " ".join(serialize_string(i) for i in items)
    return f"({inner})" + "".join(f";{k}{_serialize_param(v)}" for k, v in params.items())


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.s)

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at {self.i}")
        self.i += 1

    def key(self) -> str:
        m = _KEY.match(self.s, self.i)
        if not m:
            raise ValueError(f"expected a key at {self.i}")
        self.i = m.end()
        return m.group()

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise ValueError("unterminated string")
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise ValueError("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif ord(c) < 0x20 or ord(c) > 0x7E:
                raise ValueError("non-ASCII character in string")
            else:
                out.append(c)

    def bare_item(self) -> ParamValue:
        c = self.peek()
        if c == '"':
            return self.string()
        if c == "?":
            self.i += 1
            flag = self.peek()
            if flag not in ("0", "1"):
                raise ValueError("bad boolean")
            self.i += 1
            return flag == "1"
        m = _INTEGER.match(self.s, self.i)
        if m and not (m.end() < len(self.s) and self.s[m.end()] == "."):
            self.i = m.end()
            return int(m.group())
        m = _TOKEN.match(self.s, self.i)
        if m:
            self.i = m.end()
            return m.group()
        raise ValueError(f"unsupported value at {self.i}")

    def params(self) -> dict[str, ParamValue]:
        out: dict[str, ParamValue] = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            name = self.key()
            value: ParamValue = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            out[name] = value
        return out

    def inner_list(self) -> tuple[list[str], dict[str, ParamValue]]:
        self.expect("(")
        items: list[str] = []
        while True:
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return items, self.params()
            items.append(self.string())
            if self.peek() == ";":
                raise ValueError("component parameters are not supported")
            if self.peek() not in (" ", ")"):
                raise ValueError(f"bad inner list at {self.i}")

    def byte_sequence(self) -> bytes:
        self.expect(":")
        end = self.s.find(":", self.i)
        if end < 0:
            raise ValueError("unterminated byte sequence")
        text = self.s[self.i : end]
        self.i = end + 1
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("byte sequence is not base64") from exc

    def member_separator(self) -> bool:
        self.skip_ows()
        if self.done():
            return False
        self.expect(",")
        self.skip_ows()
        if self.done():
            raise ValueError("trailing comma")
        return True


def _dictionary(text: str, field: str, member: Callable[[_Parser], _T]) -> dict[str, _T]:
    """An RFC 8941 dictionary (section 3.2) of ``field``: label -> the member ``member`` reads
    after the label's ``=``."""
    p = _Parser(text.strip())
    out: dict[str, _T] = {}
    if p.done():
        raise ValueError(f"empty {field}")
    while True:
        label = p.key()
        p.expect("=")
        out[label] = member(p)
        if not p.member_separator():
            return out


def parse_signature_input_dictionary(
    text: str,
) -> dict[str, tuple[list[str], dict[str, ParamValue]]]:
    """``Signature-Input``: label -> (covered component names, signature parameters)."""
    return _dictionary(text, "Signature-Input", _Parser.inner_list)


def _signature(p: _Parser) -> bytes:
    signature = p.byte_sequence()
    p.params()
    return signature


def parse_signature_dictionary(text: str) -> dict[str, bytes]:
    """``Signature``: label -> signature bytes (parameters of members are ignored)."""
    return _dictionary(text, "Signature", _signature)
