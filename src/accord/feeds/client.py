"""Talking to a TAXII 2.1 server with ``taxii2client``: only the configured server, no
redirects, time limits, and every failure turned into one actionable sentence.

- ``allowed_host(url) -> bool`` and ``check_feed_url(url)``: the ``ACCORD_FEED_ALLOWED_HOSTS``
  rule (feeds contact only hosts the operator listed; loopback by default).
- ``FeedClient(url, *, api_root, collection_id, username, secret, page_size)``: resolves the
  collection (TAXII 2.1 section 4.1 Server Discovery, 4.2 API Root, 5.2 Get a Collection) and
  ``pages(added_after)`` yields :class:`Page` objects (5.3 Get Objects, paginated with
  ``limit``/``next`` and the ``X-TAXII-Date-Added-Last`` header, section 3.4).
- ``FeedError``: what went wrong, in words an administrator can act on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from taxii2client import exceptions as taxii_exc
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import Collection, as_pages

__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "FeedClient",
    "FeedError",
    "Page",
    "allowed_host",
    "allowed_hosts",
    "check_feed_url",
    "inclusive_cursor",
]

log = logging.getLogger(__name__)

DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Seconds to connect and to wait for each answer.
TIMEOUT = (10.0, 120.0)
USER_AGENT = "accord-feeds (taxii2-client)"


class FeedError(Exception):
    """A pull failed; the message says what to check."""


def allowed_hosts() -> list[str]:
    """``ACCORD_FEED_ALLOWED_HOSTS`` (setting or environment): comma-separated host names,
    ``.example.org`` for a domain and its sub-domains, ``*`` for any host."""
    value = getattr(settings, "ACCORD_FEED_ALLOWED_HOSTS", None)
    if value is None:
        value = os.environ.get("ACCORD_FEED_ALLOWED_HOSTS")
    if value is None:
        return list(DEFAULT_ALLOWED_HOSTS)
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip().lower() for v in value if v.strip()]


def allowed_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return False
    for entry in allowed_hosts():
        entry = entry.strip("[]")
        if entry == "*" or entry == host:
            return True
        if entry.startswith(".") and (host == entry[1:] or host.endswith(entry)):
            return True
    return False


def check_feed_url(url: str) -> str:
    """Why ``url`` may not be a feed URL, or '' when it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "the URL must start with https:// (or http:// on a closed network)"
    if not parts.hostname:
        return "the URL has no host name"
    if parts.username or parts.password:
        return "put the user name and password in their own fields, not in the URL"
    if parts.query or parts.fragment:
        return "the URL must not carry a query or fragment"
    if not allowed_host(url):
        return (
            f"the host {parts.hostname} is not in ACCORD_FEED_ALLOWED_HOSTS "
            f"({', '.join(allowed_hosts()) or 'empty'}); an administrator adds it there first"
        )
    return ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def inclusive_cursor(cursor: str) -> str:
    """A timestamp one microsecond before ``cursor`` (so that ``added_after`` includes it)."""
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return cursor
    earlier = moment - timedelta(microseconds=1)
    return earlier.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _GuardedSession(requests.Session):
    """A session that contacts only the configured server, follows no redirect and never
    waits forever. It ignores proxy variables and ``.netrc`` (``trust_env`` off)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.trust_env = False
        self._origin = _origin(base_url)
        self.last_headers: dict[str, str] = {}

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        url = url.decode() if isinstance(url, bytes) else url
        if _origin(url) != self._origin:
            raise FeedError(
                f"the server pointed to {urlsplit(url).netloc}, which is not the configured "
                "server; a feed contacts only the host of its URL (configure that URL instead)"
            )
        if not allowed_host(url):
            raise FeedError(
                f"the host {urlsplit(url).hostname} is no longer in ACCORD_FEED_ALLOWED_HOSTS"
            )
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", TIMEOUT)
        response = super().request(method, url, *args, **kwargs)
        if response.is_redirect or response.is_permanent_redirect:
            target = response.headers.get("Location", "?")
            raise FeedError(
                f"the server redirected {urlsplit(url).path} to {target}; feeds follow no "
                "redirects: configure the final URL"
            )
        self.last_headers = dict(response.headers)
        return response


@dataclass
class Page:
    """One page of a collection (a TAXII envelope) and its ``X-TAXII-Date-Added-*`` headers."""

    number: int
    objects: list[dict[str, Any]]
    more: bool
    date_added_first: str
    date_added_last: str


def _describe(exc: Exception, what: str) -> FeedError:
    """One actionable sentence for a failure of ``what``."""
    if isinstance(exc, FeedError):
        return exc
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        code = exc.response.status_code
        if code == 401:
            return FeedError(
                f"{what}: the server refused the credentials (HTTP 401); check the feed's user "
                "name and password or token"
            )
        if code == 403:
            return FeedError(
                f"{what}: the account may not read this collection (HTTP 403); ask the "
                "server's administrator for read access"
            )
        if code == 404:
            return FeedError(
                f"{what}: not found (HTTP 404); check the URL, the API root and the collection id"
            )
        if code == 406:
            return FeedError(f"{what}: the server does not speak TAXII 2.1 (HTTP 406)")
        return FeedError(f"{what}: the server answered HTTP {code}")
    if isinstance(exc, requests.exceptions.SSLError):
        return FeedError(f"{what}: TLS verification failed ({exc.__class__.__name__})")
    if isinstance(exc, requests.exceptions.Timeout):
        return FeedError(f"{what}: the server did not answer in time")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return FeedError(
            f"{what}: cannot connect to the server; check that it is running and that the URL "
            "is right"
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return FeedError(f"{what}: HTTP request failed ({exc.__class__.__name__})")
    if isinstance(exc, taxii_exc.InvalidJSONError | ValueError):
        return FeedError(f"{what}: the server sent invalid JSON")
    if isinstance(exc, taxii_exc.AccessError):
        return FeedError(
            f"{what}: the collection does not allow this account to read (can_read is false); "
            "ask the server's administrator for read access"
        )
    if isinstance(exc, taxii_exc.TAXIIServiceException):
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return FeedError(f"{what}: not a TAXII 2.1 answer ({first})")
    log.warning("%s: unreadable answer", what, exc_info=exc)
    if isinstance(exc, KeyError) and exc.args:
        return FeedError(
            f"{what}: the server's answer lacks {exc.args[0]!r}, which TAXII 2.1 requires; "
            "check that the URL points at a TAXII 2.1 server"
        )
    return FeedError(
        f"{what}: the server's answer could not be read as TAXII 2.1; check that the URL "
        "points at a TAXII 2.1 server (the node's log has the details)"
    )


class FeedClient:
    """A read-only TAXII 2.1 client for one collection (with ``taxii2client.v21``)."""

    def __init__(
        self,
        url: str,
        *,
        collection_id: str,
        api_root: str = "",
        username: str = "",
        secret: str = "",
        page_size: int = 100,
        purpose: str = "",
    ) -> None:
        problem = check_feed_url(url)
        if problem:
            raise FeedError(problem)
        self.url = url if url.endswith("/") else url + "/"
        self.api_root = api_root
        self.collection_id = collection_id
        self.page_size = max(1, page_size)
        verify: Any = getattr(settings, "ACCORD_FEED_CA_BUNDLE", None) or os.environ.get(
            "ACCORD_FEED_CA_BUNDLE", True
        )
        self.conn = _HTTPConnection(verify=verify, user_agent=USER_AGENT, version="2.1")
        self.session = _GuardedSession(self.url)
        self.session.verify = verify
        if username:
            self.session.auth = requests.auth.HTTPBasicAuth(username, secret)
        elif secret:
            self.session.auth = _BearerAuth(secret)
        if purpose:  # Accord servers restrict reads by the declared purpose; others ignore it
            self.session.headers["X-Accord-Purpose"] = purpose
        self.conn.session = self.session

    def close(self) -> None:
        self.session.close()

    def _get(self, url: str) -> dict[str, Any]:
        try:
            data = self.conn.get(url)
        except Exception as exc:
            raise _describe(exc, f"GET {urlsplit(url).path}") from None
        if not isinstance(data, dict):
            raise FeedError(f"GET {urlsplit(url).path}: the answer is not a JSON object")
        return data

    def api_root_url(self) -> str:
        """The API root: the configured URL itself, or one listed by its discovery resource
        (TAXII 2.1 section 4.1), which must be on the same server."""
        resource = self._get(self.url)
        if "api_roots" not in resource and "default" not in resource:
            return self.url  # the URL is an API root (section 4.2)
        roots = [r for r in resource.get("api_roots") or [] if isinstance(r, str)]
        wanted = self.api_root.strip()
        if wanted:
            for root in roots:
                absolute = urljoin(self.url, root)
                name = urlsplit(absolute).path.rstrip("/").rsplit("/", 1)[-1]
                if wanted in (root, absolute, name) or absolute.rstrip("/") == wanted.rstrip("/"):
                    return absolute if absolute.endswith("/") else absolute + "/"
            raise FeedError(
                f"the server lists no API root {wanted!r} (it has: {', '.join(roots) or 'none'})"
            )
        chosen = resource.get("default") or (roots[0] if roots else "")
        if not isinstance(chosen, str) or not chosen:
            raise FeedError("the server's discovery resource names no API root; set one")
        absolute = urljoin(self.url, chosen)
        return absolute if absolute.endswith("/") else absolute + "/"

    def collection(self) -> Collection:
        """The collection (TAXII 2.1 section 5.2), its information loaded and readable."""
        url = urljoin(self.api_root_url(), f"collections/{self.collection_id}/")
        collection = Collection(url, conn=self.conn)
        try:
            collection.refresh()
            collection._verify_can_read()
        except Exception as exc:
            raise _describe(exc, f"collection {self.collection_id}") from None
        return collection

    def pages(self, added_after: str = "") -> Iterator[Page]:
        """Every page of objects added after ``added_after`` (TAXII 2.1 section 5.3)."""
        collection = self.collection()
        kwargs: dict[str, Any] = {}
        if added_after:
            kwargs["added_after"] = added_after
        iterator = as_pages(collection.get_objects, per_request=self.page_size, **kwargs)
        number = 0
        while True:
            number += 1
            try:
                envelope = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                raise _describe(exc, f"page {number} of collection {self.collection_id}") from None
            if not isinstance(envelope, dict):
                raise FeedError(f"page {number}: the answer is not a TAXII envelope")
            objects = envelope.get("objects", [])
            if not isinstance(objects, list):
                raise FeedError(f"page {number}: the envelope's 'objects' is not a list")
            more = bool(envelope.get("more", False))
            if more and not envelope.get("next"):
                raise FeedError(f"page {number}: the server says 'more' but gives no 'next'")
            headers = {k.lower(): v for k, v in self.session.last_headers.items()}
            yield Page(
                number=number,
                objects=objects,
                more=more,
                date_added_first=headers.get("x-taxii-date-added-first", ""),
                date_added_last=headers.get("x-taxii-date-added-last", ""),
            )


class _BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` (Accord nodes accept their API tokens so)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth([REDACTED])"
