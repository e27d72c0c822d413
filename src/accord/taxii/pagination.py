"""Pagination (TAXII 2.1 section 3.4 and 3.7): ``limit``, ``more``, an opaque ``next`` token and
the ``X-TAXII-Date-Added-First`` / ``-Last`` headers.

``next`` is signed with :mod:`django.core.signing`; it carries the keyset position (the last
entry's date added and primary key) and a hash of the filters and resource it was issued for,
so a malformed, tampered or re-used-elsewhere token is a 400. A page is one range scan of the
``(collection, ..., date_added_us)`` indexes: the cost of a page does not grow with the
collection (no OFFSET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import QueryDict

from accord.taxii.envelope import TaxiiError, format_timestamp
from accord.taxii.filters import Filters

__all__ = ["Page", "decode_next", "encode_next", "fetch_page"]

# The module's earlier path: part of the signature of every next token handed out, so it never
# changes (a client paging through a collection across an upgrade keeps going).
_SALT = "accord.federation.taxii.next"


def encode_next(date_added_us: int, pk: int, digest: str) -> str:
    return signing.dumps([date_added_us, pk, digest], salt=_SALT, compress=False)


def decode_next(token: str, digest: str) -> tuple[int, int]:
    """The keyset position in ``token`` (400 if malformed, tampered or for other filters)."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise TaxiiError(400, "Bad Request", "the next token is malformed or altered") from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(v, int) for v in value[:2])
        or value[2] != digest
    ):
        raise TaxiiError(400, "Bad Request", "the next token belongs to another request")
    return int(value[0]), int(value[1])


@dataclass
class Page:
    rows: list[tuple[Any, ...]]
    more: bool
    next_token: str | None

    def headers(self) -> dict[str, str]:
        if not self.rows:
            return {}
        return {
            "X-TAXII-Date-Added-First": format_timestamp(self.rows[0][1]),
            "X-TAXII-Date-Added-Last": format_timestamp(self.rows[-1][1]),
        }

    def resource(self, member: str, items: list[Any]) -> dict[str, Any]:
        """The page as a TAXII resource (section 3.7): ``more``, ``next`` when there is one, and
        ``items`` as ``member`` (``objects``, ``versions``) when the page has rows (section 2:
        no empty lists)."""
        body: dict[str, Any] = {"more": self.more}
        if self.next_token:
            body["next"] = self.next_token
        if self.rows:
            body[member] = items
        return body


def fetch_page(
    queryset: Any, fields: tuple[str, ...], filters: Filters, query: QueryDict, scope: str
) -> Page:
    """One page of ``queryset`` (ordered by date added). ``fields`` must start with ``pk`` and
    ``date_added_us``.

    The query is the ORM's, compiled once; its rows are read with the database cursor as they
    come (plain tuples: no per-row conversion of up to 1,001 rows). Booleans may come back as
    0/1 (SQLite): callers only test them for truth.
    """
    digest = filters.digest(scope)
    token = query.get("next")
    if token:
        after, _pk = decode_next(token, digest)
        queryset = queryset.filter(date_added_us__gt=after)
    page = queryset.order_by("date_added_us").values_list(*fields)[: filters.limit + 1]
    try:
        sql, params = page.query.sql_with_params()
    except EmptyResultSet:  # nothing can match (e.g. a user who may see no record)
        return Page([], False, None)
    with connections[page.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    more = len(rows) > filters.limit
    if more:
        rows = rows[: filters.limit]
    next_token = encode_next(rows[-1][1], rows[-1][0], digest) if more else None
    return Page(rows, more, next_token)
