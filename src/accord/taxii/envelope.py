"""TAXII responses: JSON bodies in the TAXII media type, envelopes built from stored JSON text,
and :class:`TaxiiError`, raised by the views and answered as the error message resource (TAXII
2.1 section 3.6.1, written by :func:`accord.http.taxii.taxii_error`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import Func, TextField
from django.http import HttpResponse

from accord.http.taxii import TAXII_MEDIA_TYPE, taxii_error

__all__ = [
    "StoredJson",
    "TaxiiError",
    "envelope_bytes",
    "error_response",
    "format_timestamp",
    "taxii_response",
]


class TaxiiError(Exception):
    """An error answered as a TAXII error message with ``status``."""

    def __init__(
        self, status: int, title: str, description: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {title}: {description}")
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}


def format_timestamp(us: int) -> str:
    """Microseconds since the epoch as a STIX/TAXII timestamp (microsecond precision, UTC)."""
    dt = datetime.fromtimestamp(us // 1_000_000, tz=UTC).replace(microsecond=us % 1_000_000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def taxii_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A response with the TAXII media type; ``body`` is bytes (already JSON) or a value."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    response = HttpResponse(content, status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: TaxiiError) -> HttpResponse:
    """The error as a TAXII 2.1 error message (section 3.6.1)."""
    return taxii_error(error.status, error.title, error.description, headers=error.headers)


def envelope_bytes(
    texts: Sequence[str | bytes | memoryview], *, more: bool, next_token: str | None
) -> bytes:
    """A TAXII envelope (section 3.7) whose ``objects`` are the stored JSON texts, joined as
    they are: no object is parsed or re-serialised on the read path. The texts may be the
    stored UTF-8 bytes (see :class:`StoredJson`), which are joined without decoding them."""
    head = '{"more":' + ("true" if more else "false")
    if next_token:
        head += ',"next":' + orjson.dumps(next_token).decode()
    if not texts:
        return (head + "}").encode()
    parts = [t if isinstance(t, bytes) else _utf8(t) for t in texts]
    return (head + ',"objects":[').encode() + b",".join(parts) + b"]}"


def _utf8(text: str | bytes | memoryview) -> bytes:
    return text.encode() if isinstance(text, str) else bytes(text)


class StoredJson(Func):
    """A stored JSON text column, read as its UTF-8 bytes where the database can hand them over
    as they are (SQLite: ``CAST(... AS BLOB)``, the text's own bytes in a UTF-8 database), so that
    an envelope of 1,000 objects is joined without decoding and re-encoding 1,000 strings;
    elsewhere the text itself. Either way :func:`envelope_bytes` joins them unchanged."""

    function = ""
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS BLOB)", **extra)
