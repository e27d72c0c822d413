"""Sign-in throttling: failed password attempts counted per source address and per account.

Two counters, kept in the database so that every process of the node shares them:

- **Source.** After ``ACCORD_LOGIN_SOURCE_FAILURES`` failed password attempts from one address
  (an IPv6 address counts as its /64 network), whatever user names they give, that address is
  refused for ``ACCORD_LOGIN_SOURCE_PAUSE_SECONDS``; each further failure after a pause doubles
  the pause, up to :data:`SOURCE_MAX_PAUSE_SECONDS`. A paused address is refused before any
  password is checked (no Argon2 work is spent on it), and its refused attempts do not count
  against the accounts it names.
- **Account.** After ``ACCORD_LOGIN_ACCOUNT_FAILURES`` failed attempts naming one account from
  any addresses, password sign-in to that account pauses for
  ``ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS``, doubling with each further failure after a pause, up
  to :data:`ACCOUNT_MAX_PAUSE_SECONDS`, except from an address the user signed in from with a
  password in the last :data:`KNOWN_SOURCE_DAYS` days. Names are counted as typed, whether or
  not such a user exists, so a pause says nothing about which accounts exist.

Counts start over :data:`WINDOW_SECONDS` after the last failure or the end of the last pause. A
success never resets them (an attacker's own account would otherwise reset its address). API
tokens and open sessions are separate credentials and are never throttled. Imposing and lifting
a pause are audited with the address.

The trade-off: one address can never pause an account by itself (it is stopped first), and a
user keeps signing in from the addresses they use; an attacker with many addresses can keep an
account's password sign-in paused for new addresses (one guess per pause, at most one every
:data:`ACCOUNT_MAX_PAUSE_SECONDS`) until they stop or an administrator lifts the pause.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accord.accounts.models import LoginThrottle, SignInSource, User
from accord.oversight.services import Actor, audit

__all__ = [
    "ACCOUNT_MAX_PAUSE_SECONDS",
    "KNOWN_SOURCE_DAYS",
    "SOURCE_MAX_PAUSE_SECONDS",
    "WINDOW_SECONDS",
    "account_key",
    "account_paused",
    "client_address",
    "lift_pause",
    "paused_accounts",
    "record_failure",
    "record_success",
    "source_key",
    "source_pause",
]

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 900
SOURCE_MAX_PAUSE_SECONDS = 3600
ACCOUNT_MAX_PAUSE_SECONDS = 900
KNOWN_SOURCE_DAYS = 30

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> _Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=4)
def _trusted(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            logger.error(
                "ACCORD_TRUSTED_PROXIES: %r is not an IP address or network; it is ignored", entry
            )
    return tuple(networks)


def client_address(request: HttpRequest | None) -> str:
    """The address of the client that sent ``request`` ("" when unknown).

    ``REMOTE_ADDR``, unless it is one of ``ACCORD_TRUSTED_PROXIES``: then ``X-Forwarded-For``
    is read from the right, skipping trusted proxies, and the first other address is the
    client's. Entries a client wrote itself (to the left of what a trusted proxy added) are
    never reached.
    """
    if request is None:
        return ""
    current = _ip(str(request.META.get("REMOTE_ADDR", "")))
    if current is None:
        return ""
    proxies = _trusted(tuple(settings.ACCORD_TRUSTED_PROXIES))
    hops = [h for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    while hops and any(current in network for network in proxies):
        previous = _ip(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)


def source_key(address: str) -> str:
    """The counter of ``address``: itself, or for IPv6 its /64 network (one subscriber's)."""
    ip = _ip(address)
    if ip is None:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(username: str) -> str:
    """The counter of an account name as typed (PostgreSQL text cannot hold U+0000)."""
    return username[:150].replace("\x00", "\ufffd")


def source_pause(address: str) -> int:
    """Seconds left of ``address``'s pause (0: not paused)."""
    if not address:
        return 0
    now = timezone.now()
    until = (
        LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.SOURCE, key=source_key(address), blocked_until__gt=now
        )
        .values_list("blocked_until", flat=True)
        .first()
    )
    return math.ceil((until - now).total_seconds()) if until is not None else 0


def account_paused(username: str, address: str) -> bool:
    """Whether password sign-in as ``username`` from ``address`` is paused.

    An address the user signed in from in the last :data:`KNOWN_SOURCE_DAYS` days is exempt.
    """
    now = timezone.now()
    paused = LoginThrottle.objects.filter(
        scope=LoginThrottle.Scope.ACCOUNT, key=account_key(username), blocked_until__gt=now
    ).exists()
    if not paused:
        return False
    if not address:
        return True
    known = SignInSource.objects.filter(
        user__username=username,
        address=source_key(address),
        last_success_at__gt=now - timedelta(days=KNOWN_SOURCE_DAYS),
    ).exists()
    return not known


def paused_accounts() -> dict[str, datetime]:
    """Account names whose password sign-in is paused now, with the end of each pause."""
    rows = LoginThrottle.objects.filter(
        scope=LoginThrottle.Scope.ACCOUNT, blocked_until__gt=timezone.now()
    ).values_list("key", "blocked_until")
    return {key: until for key, until in rows if until is not None}


def _limits(scope: str) -> tuple[int, int, int]:
    if scope == LoginThrottle.Scope.SOURCE:
        return (
            settings.ACCORD_LOGIN_SOURCE_FAILURES,
            settings.ACCORD_LOGIN_SOURCE_PAUSE_SECONDS,
            SOURCE_MAX_PAUSE_SECONDS,
        )
    return (
        settings.ACCORD_LOGIN_ACCOUNT_FAILURES,
        settings.ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS,
        ACCOUNT_MAX_PAUSE_SECONDS,
    )


def _fail(scope: str, key: str, now: datetime, *, address: str, username: str) -> None:
    threshold, base, cap = _limits(scope)
    row, created = LoginThrottle.objects.select_for_update().get_or_create(
        scope=scope, key=key, defaults={"expires_at": now + timedelta(seconds=WINDOW_SECONDS)}
    )
    if created:  # forget what has expired (bounded work: only when a counter is added)
        LoginThrottle.objects.filter(expires_at__lt=now).delete()
    if row.expires_at <= now:
        row.failures, row.strikes, row.blocked_until = 0, 0, None
    if row.blocked_until is not None and row.blocked_until > now:
        return  # already paused: attempts during a pause do not lengthen it
    row.failures += 1
    if row.failures >= max(threshold, 1):
        seconds = min(base * 2 ** min(row.strikes, 20), cap)
        row.blocked_until = now + timedelta(seconds=seconds)
        row.strikes += 1
        failures, row.failures = row.failures, max(threshold, 1) - 1
        detail: dict[str, Any] = {
            "scope": scope,
            "address": address,
            "failures": failures,
            "pause": row.strikes,
            "seconds": seconds,
            "until": row.blocked_until.isoformat(),
        }
        if scope == LoginThrottle.Scope.SOURCE:
            detail["key"] = key
            audit(None, "auth.throttle", detail={**detail, "last_name": username})
        else:
            audit(username, "auth.throttle", object_ids=[f"user:{username}"], detail=detail)
    row.expires_at = max(now, row.blocked_until or now) + timedelta(seconds=WINDOW_SECONDS)
    row.save()


def record_failure(address: str, username: str, *, count_account: bool = True) -> None:
    """Count a failed password attempt from ``address`` naming ``username``; pause the address
    or the account when it reaches its limit (audited). ``count_account=False`` for an attempt
    refused because the account is paused (it counts against the address only)."""
    now = timezone.now()
    name = account_key(username)
    with transaction.atomic():
        if address:
            _fail(LoginThrottle.Scope.SOURCE, source_key(address), now, address=address,
                  username=name)  # fmt: skip
        if count_account:
            _fail(LoginThrottle.Scope.ACCOUNT, name, now, address=address, username=name)


def record_success(address: str, user: User) -> None:
    """Remember ``address`` as one ``user`` signs in from (exempt from the account's pauses)."""
    if not address:
        return
    now = timezone.now()
    key = source_key(address)
    with transaction.atomic():
        if not SignInSource.objects.filter(user=user, address=key).update(last_success_at=now):
            SignInSource.objects.get_or_create(
                user=user, address=key, defaults={"last_success_at": now}
            )
            SignInSource.objects.filter(
                last_success_at__lt=now - timedelta(days=KNOWN_SOURCE_DAYS)
            ).delete()


def lift_pause(actor: Actor, *, username: str = "", address: str = "") -> dict[str, bool]:
    """Lift the sign-in pause of the account ``username`` and/or the source ``address``, and
    forget their failed attempts. Returns, for each, whether it was paused.

    Legal effect: none on data; the person (or the address) may sign in with a password again.
    Audited (``auth.unlock``) whether or not a pause was in force.
    """
    now = timezone.now()
    lifted: dict[str, bool] = {}
    targets = []
    if username:
        targets.append((LoginThrottle.Scope.ACCOUNT, account_key(username)))
    if address:
        targets.append((LoginThrottle.Scope.SOURCE, source_key(address)))
    with transaction.atomic():
        for scope, key in targets:
            rows = LoginThrottle.objects.filter(scope=scope, key=key)
            paused = rows.filter(blocked_until__gt=now).exists()
            rows.delete()
            lifted[scope] = paused
            if scope == LoginThrottle.Scope.ACCOUNT:
                audit(actor, "auth.unlock", object_ids=[f"user:{key}"],
                      detail={"scope": scope, "was_paused": paused})  # fmt: skip
            else:
                audit(actor, "auth.unlock",
                      detail={"scope": scope, "address": address, "key": key,
                              "was_paused": paused})  # fmt: skip
    return lifted
