"""Object signatures: each STIX object version carries its originator's Ed25519 signature.

The signature is over the object's RFC 8785 canonical JSON (JSON Canonicalization Scheme,
section 3.2: sorted keys, no whitespace, ECMAScript number serialisation, UTF-8) **without** the
signature property itself, and travels inside the object as the custom property
``x_accord_signature``::

    "x_accord_signature": {"alg": "ed25519", "keyid": "<originator node id>", "sig": "<b64url>"}

Why a custom property and not a detached signature or a wrapping envelope:

- STIX 2.1 (section 11.1, "Custom Properties") allows producers to add properties whose names
  start with ``x_``; consumers that do not know them keep and ignore them, so a signed object
  is still a valid STIX object for MISP, OpenCTI or any TAXII client.
- The signature belongs to the object *version* (id, modified), not to a transport message, so a
  hub that relays the object passes the originator's signature along unchanged and the final
  recipient checks it against the originator's key, not the relay's.
- Any alteration of any other property (a name, a marking, ``created_by_ref``) changes the
  canonical bytes and breaks the signature. Ed25519 (RFC 8032) is deterministic: signing the
  same version again gives the same bytes, so re-deliveries stay idempotent on (id, modified).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.engine.stix.canonical import canonical_json

__all__ = [
    "SIGNATURE_ALG",
    "SIGNATURE_PROPERTY",
    "VerifyResult",
    "b64url_decode",
    "b64url_encode",
    "sign_object",
    "signed_payload",
    "verify_object",
]

SIGNATURE_PROPERTY = "x_accord_signature"
SIGNATURE_ALG = "ed25519"

#: Looks up a node's public key by its node id (the ``keyid``); None when the node is unknown.
PublicKeyFor = Callable[[str], Ed25519PublicKey | None]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a signature check: ``ok``, the ``keyid`` it named, and why it failed."""

    ok: bool
    keyid: str = ""
    reason: str = ""


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """base64url with or without padding; raises ``ValueError`` on anything else."""
    if not isinstance(text, str) or not text or any(c in text for c in "+/ \n"):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def signed_payload(obj: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: RFC 8785 canonical JSON of ``obj`` without its signature."""
    return canonical_json({k: v for k, v in obj.items() if k != SIGNATURE_PROPERTY})


def sign_object(
    obj: Mapping[str, Any], node_id: str, private_key: Ed25519PrivateKey
) -> dict[str, Any]:
    """A copy of ``obj`` carrying ``node_id``'s signature (any earlier signature is replaced).

    Raises ``ValueError`` when the object cannot be canonicalised (RFC 8785 section 3.2.2.3:
    NaN, infinities, integers beyond IEEE 754 doubles).
    """
    if not node_id:
        raise ValueError("a signature needs the signer's node id")
    signature = private_key.sign(signed_payload(obj))
    out = {k: v for k, v in obj.items() if k != SIGNATURE_PROPERTY}
    out[SIGNATURE_PROPERTY] = {
        "alg": SIGNATURE_ALG,
        "keyid": node_id,
        "sig": b64url_encode(signature),
    }
    return out


def verify_object(obj: Any, public_key_for: PublicKeyFor) -> VerifyResult:
    """Check the object's ``x_accord_signature`` against the key of the node it names.

    The caller still decides whether that node may have originated the object (its
    ``created_by_ref``); this function only says whether the named node signed these bytes.
    """
    if not isinstance(obj, Mapping):
        return VerifyResult(False, "", "not a JSON object")
    envelope = obj.get(SIGNATURE_PROPERTY)
    if envelope is None:
        return VerifyResult(False, "", f"unsigned: no {SIGNATURE_PROPERTY}")
    if not isinstance(envelope, Mapping):
        return VerifyResult(False, "", f"{SIGNATURE_PROPERTY} is not an object")
    keyid = envelope.get("keyid")
    if not isinstance(keyid, str) or not keyid:
        return VerifyResult(False, "", f"{SIGNATURE_PROPERTY}.keyid is missing")
    if envelope.get("alg") != SIGNATURE_ALG:
        return VerifyResult(False, keyid, f"unsupported algorithm {envelope.get('alg')!r}")
    extra = sorted(set(envelope) - {"alg", "keyid", "sig"})
    if extra:
        return VerifyResult(False, keyid, f"unexpected members in signature: {', '.join(extra)}")
    try:
        signature = b64url_decode(str(envelope.get("sig", "")))
    except ValueError:
        return VerifyResult(False, keyid, "signature is not base64url")
    key = public_key_for(keyid)
    if key is None:
        return VerifyResult(False, keyid, f"unknown key: no public key for node {keyid!r}")
    try:
        payload = signed_payload(obj)
    except ValueError as exc:
        return VerifyResult(False, keyid, f"not canonicalisable (RFC 8785): {exc}")
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        return VerifyResult(
            False, keyid, "bad signature: the object was altered or not signed by this node"
        )
    return VerifyResult(True, keyid, "")
