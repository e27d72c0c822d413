"""HTTP Message Signatures (RFC 9421) with Ed25519, and ``Content-Digest`` (RFC 9530).

Every node-to-node request is signed by the sending node's Ed25519 key (RFC 9421 section
3.3.6, ``alg="ed25519"``). The signature covers:

- ``@method``, ``@authority``, ``@path`` and ``@query`` (derived components, section 2.2: the
  request target in parts, so that a TLS-terminating proxy that rewrites the scheme does not
  break it);
- ``content-digest`` (RFC 9530 section 2, ``sha-256``), so that the body is covered too, and
  ``content-type`` when the request has one;
- the signature parameters (section 2.3): ``created``, ``expires``, ``keyid`` (the sender's node
  id), ``nonce`` (128 random bits, for replay protection) and ``alg``.

:func:`verify_request` returns the keyid and, on failure, a reason a person can act on:
malformed, unknown key, bad signature, digest mismatch, too old, expired, from the future
beyond the allowed clock skew, or a replayed nonce. This module is framework-free: it takes
the method, URL, headers and body as plain values, whatever the HTTP library.

Why not the ``http-message-signatures`` package: its verifier takes ``requests``-shaped message
objects (not Django's), reports every failure as one exception type (no "too old" vs "from the
future" vs "replayed"), has no nonce store, and its max-age check has no allowance for clock
skew; the signature base itself is about a hundred lines, written here against the RFC and
checked with the RFC's own Ed25519 example (appendix B.2.6) in the unit tests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.engine.signing.structured import (
    ParamValue,
    parse_signature_dictionary,
    parse_signature_input_dictionary,
    serialize_inner_list,
    serialize_string,
)

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_LABEL",
    "DEFAULT_MAX_AGE",
    "DEFAULT_SIGNATURE_LIFETIME",
    "REQUIRED_COMPONENTS",
    "RequestVerification",
    "component_value",
    "content_digest",
    "sign_request",
    "signature_base",
    "verify_request",
]

#: Seconds a receiver tolerates between its clock and the sender's (both directions).
DEFAULT_CLOCK_SKEW = 300
#: Seconds after ``created`` beyond which a signature is too old (plus the clock skew).
DEFAULT_MAX_AGE = 300
#: Seconds between ``created`` and ``expires`` on the signatures this node makes.
DEFAULT_SIGNATURE_LIFETIME = 60
DEFAULT_LABEL = "accord"
#: What a receiver insists is covered (``content-type`` too, when the request has one).
REQUIRED_COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")

#: node id -> public key, or None when unknown.
PublicKeyFor = Callable[[str], Ed25519PublicKey | None]
#: (keyid, nonce, created) -> True when first seen (and now remembered), False when replayed.
RememberNonce = Callable[[str, str, int], bool]


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` field value for ``body`` (RFC 9530 section 2, ``sha-256``)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        # RFC 9421 section 2.1: multiple field lines are combined with ", ", values trimmed.
        out[key] = f"{out[key]}, {value.strip()}" if key in out else value.strip()
    return out


def _authority(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def component_value(name: str, method: str, url: str, headers: Mapping[str, str]) -> str:
    """The value of one covered component (RFC 9421 section 2.1 for fields, 2.2 for derived
    components). Raises ``KeyError`` when a covered field is absent."""
    parts = urlsplit(url)
    if name == "@method":
        return method.upper()  # section 2.2.1
    if name == "@target-uri":
        return url  # section 2.2.2
    if name == "@authority":
        return _authority(url)  # section 2.2.3
    if name == "@scheme":
        return parts.scheme.lower()  # section 2.2.4
    if name == "@path":
        return parts.path or "/"  # section 2.2.6
    if name == "@query":
        return "?" + parts.query  # section 2.2.7 (an empty query is "?")
    if name.startswith("@"):
        raise KeyError(f"unsupported derived component {name}")
    lowered = _lower_headers(headers)
    if name not in lowered:
        raise KeyError(f"covered field {name} is absent")
    return lowered[name]


def _params_value(components: Sequence[str], params: Mapping[str, ParamValue]) -> str:
    return serialize_inner_list(list(components), dict(params))


def signature_base(
    method: str,
    url: str,
    headers: Mapping[str, str],
    components: Sequence[str],
    params: Mapping[str, ParamValue],
) -> bytes:
    """The signature base (RFC 9421 section 2.5): one line per covered component, then
    ``"@signature-params"``. Raises ``KeyError`` for an absent field and ``ValueError`` for a
    component listed twice or a value with a newline."""
    if len(set(components)) != len(components):
        raise ValueError("a component is covered twice")
    lines: list[str] = []
    for name in components:
        value = component_value(name, method, url, headers)
        if "\n" in value or "\r" in value:
            raise ValueError(f"{name} contains a newline")
        lines.append(f"{serialize_string(name)}: {value}")
    lines.append(f'"@signature-params": {_params_value(components, params)}')
    return "\n".join(lines).encode("ascii")


def sign_request(  # noqa: PLR0913  RFC 9421's signature parameters as keyword options
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    keyid: str,
    private_key: Ed25519PrivateKey,
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    label: str = DEFAULT_LABEL,
) -> dict[str, str]:
    """``headers`` plus ``Content-Digest``, ``Signature-Input`` and ``Signature`` (RFC 9421
    section 3.1). ``created`` defaults to now, ``expires`` to created +
    :data:`DEFAULT_SIGNATURE_LIFETIME`, ``nonce`` to 128 random bits."""
    out = dict(headers)
    out = {k: v for k, v in out.items() if k.lower() not in ("signature", "signature-input")}
    out = {k: v for k, v in out.items() if k.lower() != "content-digest"}
    out["Content-Digest"] = content_digest(body)
    components = list(REQUIRED_COMPONENTS)
    if "content-type" in _lower_headers(out):
        components.append("content-type")
    created = int(time.time()) if created is None else int(created)
    params: dict[str, ParamValue] = {
        "created": created,
        "expires": created + DEFAULT_SIGNATURE_LIFETIME if expires is None else int(expires),
        "keyid": keyid,
        "nonce": nonce or secrets.token_urlsafe(16),
        "alg": "ed25519",
    }
    base = signature_base(method, url, out, components, params)
    signature = private_key.sign(base)
    out["Signature-Input"] = f"{label}={_params_value(components, params)}"
    out["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return out


_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def _digest_matches(value: str, body: bytes) -> bool:
    """Every ``sha-256``/``sha-512`` member of a ``Content-Digest`` (RFC 9530 section 2, a
    Dictionary of Byte Sequences) matches ``body``, and at least one is present."""
    try:
        members = parse_signature_dictionary(value)
    except ValueError:
        return False
    known = {k: v for k, v in members.items() if k in _DIGESTS}
    return bool(known) and all(_DIGESTS[k](body).digest() == v for k, v in known.items())


@dataclass(frozen=True)
class RequestVerification:
    """The outcome of :func:`verify_request`: ``ok``, the ``keyid`` the request named (also on
    failure, when it could be read), the ``reason`` of a failure, and the ``created`` time and
    ``nonce`` of the signature."""

    ok: bool
    keyid: str = ""
    reason: str = ""
    created: int = 0
    nonce: str = ""


def _fail(reason: str, keyid: str = "", created: int = 0, nonce: str = "") -> RequestVerification:
    return RequestVerification(False, keyid, reason, created, nonce)


class _Refused(Exception):
    """A check of :func:`verify_request` failed: ``verification`` says why."""

    def __init__(self, verification: RequestVerification) -> None:
        super().__init__(verification.reason)
        self.verification = verification


@dataclass(frozen=True)
class _Signature:
    """One signature of a request as its fields give it, the parameters checked for type."""

    components: list[str]
    params: dict[str, ParamValue]
    signature: bytes
    keyid: str
    created: int
    nonce: str
    expires: int | None

    def refused(self, reason: str) -> _Refused:
        return _Refused(_fail(reason, self.keyid, self.created, self.nonce))


def _read_signature(
    lowered: Mapping[str, str], label: str | None, *, nonce_required: bool
) -> _Signature:
    """The signature named ``label`` (or the only one) and its parameters; raises
    :class:`_Refused` when the fields are missing or malformed, or (``nonce_required``) the
    nonce is missing."""
    if "signature-input" not in lowered or "signature" not in lowered:
        raise _Refused(_fail("unsigned: Signature and Signature-Input are required (RFC 9421)"))
    try:
        inputs = parse_signature_input_dictionary(lowered["signature-input"])
        signatures = parse_signature_dictionary(lowered["signature"])
    except ValueError as exc:
        raise _Refused(_fail(f"malformed signature fields: {exc}")) from None
    if label is None:
        if len(inputs) != 1:
            raise _Refused(_fail("malformed signature fields: expected exactly one signature"))
        label = next(iter(inputs))
    if label not in inputs or label not in signatures:
        raise _Refused(_fail(f"malformed signature fields: no signature labelled {label!r}"))
    components, params = inputs[label]
    keyid = params.get("keyid")
    if not isinstance(keyid, str) or not keyid:
        raise _Refused(_fail("malformed signature fields: keyid is missing"))
    created = params.get("created")
    nonce = params.get("nonce", "")
    if not isinstance(created, int) or isinstance(created, bool):
        raise _Refused(_fail("malformed signature fields: created is missing", keyid))
    if not isinstance(nonce, str):
        raise _Refused(_fail("malformed signature fields: nonce is not a string", keyid, created))
    if nonce_required and not nonce:
        raise _Refused(_fail("malformed signature fields: nonce is missing", keyid, created))
    expires = params.get("expires")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise _Refused(
            _fail("malformed signature fields: expires is not an integer", keyid, created)
        )
    return _Signature(
        list(components), dict(params), signatures[label], keyid, created, nonce, expires
    )


def _check_time(signed: _Signature, now: float, max_age: int, clock_skew: int) -> None:
    """Refuse a signature created in the future beyond ``clock_skew``, older than ``max_age``
    + ``clock_skew``, or expired by more than ``clock_skew``."""
    created, expires = signed.created, signed.expires
    if created > now + clock_skew:
        raise signed.refused(
            f"from the future: created {int(created - now)} s ahead (allowed skew {clock_skew} s)"
        )
    if now - created > max_age + clock_skew:
        raise signed.refused(
            f"too old: created {int(now - created)} s ago (at most {max_age + clock_skew} s)"
        )
    if expires is not None and now > expires + clock_skew:
        raise signed.refused(f"expired {int(now - expires)} s ago (allowed skew {clock_skew} s)")


def verify_request(  # noqa: PLR0913  RFC 9421's checks, keyword options with defaults
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    public_key_for: PublicKeyFor,
    remember_nonce: RememberNonce | None,
    now: float | None = None,
    max_age: int = DEFAULT_MAX_AGE,
    clock_skew: int = DEFAULT_CLOCK_SKEW,
    required: Sequence[str] = REQUIRED_COMPONENTS,
    label: str | None = None,
) -> RequestVerification:
    """Verify a request's signature (RFC 9421 section 3.2) and its ``Content-Digest`` (RFC 9530).

    Checks, in order: the fields parse; the signature named ``label`` (or the only one) covers
    ``required`` (and ``content-type`` when present); ``alg``, if given, is ``ed25519``; the
    ``keyid`` is known; the body matches ``Content-Digest``; the Ed25519 signature over the
    signature base is valid; ``created`` is not in the future beyond ``clock_skew`` nor older
    than ``max_age`` + ``clock_skew``; ``expires`` has not passed by more than ``clock_skew``;
    and, last, the nonce has not been seen for this key (``remember_nonce``; None skips the
    replay check, as for the RFC's examples, which carry no nonce).
    """
    lowered = _lower_headers(headers)
    try:
        signed = _read_signature(lowered, label, nonce_required=remember_nonce is not None)
        components = signed.components
        needed = list(required)
        if required and "content-type" in lowered:
            needed.append("content-type")
        missing = [c for c in needed if c not in components]
        if missing:
            raise signed.refused(f"signature does not cover {', '.join(missing)}")
        alg = signed.params.get("alg", "ed25519")
        if alg != "ed25519":
            raise signed.refused(f"unsupported algorithm {alg!r}")
        key = public_key_for(signed.keyid)
        if key is None:
            raise signed.refused(f"unknown key: no peer with node id {signed.keyid!r}")
        digested = "content-digest" in components or "content-digest" in lowered
        if digested and not _digest_matches(lowered.get("content-digest", ""), body):
            raise signed.refused("digest mismatch: the body is not what was signed")
        try:
            base = signature_base(method, url, lowered, components, signed.params)
        except (KeyError, ValueError) as exc:
            raise signed.refused(f"malformed signature fields: {exc}") from None
        try:
            key.verify(signed.signature, base)
        except InvalidSignature:
            raise signed.refused("bad signature") from None
        _check_time(signed, time.time() if now is None else now, max_age, clock_skew)
        if remember_nonce is not None and not remember_nonce(
            signed.keyid, signed.nonce, signed.created
        ):
            raise signed.refused("replayed: this nonce was already used")
    except _Refused as refusal:
        return refusal.verification
    return RequestVerification(True, signed.keyid, "", signed.created, signed.nonce)
