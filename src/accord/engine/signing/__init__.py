"""Signatures between Accord nodes (framework-free; never imports Django).

- :mod:`accord.engine.signing.objects`: every STIX object version carries its originator's
  Ed25519 signature over its RFC 8785 canonical JSON (custom property ``x_accord_signature``).
- :mod:`accord.engine.signing.http`: HTTP Message Signatures (RFC 9421) with Ed25519 and
  ``Content-Digest`` (RFC 9530) for node-to-node requests, with freshness and replay checks.
"""

from __future__ import annotations

from accord.engine.signing.http import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_MAX_AGE,
    DEFAULT_SIGNATURE_LIFETIME,
    RequestVerification,
    content_digest,
    sign_request,
    signature_base,
    verify_request,
)
from accord.engine.signing.objects import (
    SIGNATURE_PROPERTY,
    VerifyResult,
    sign_object,
    signed_payload,
    verify_object,
)

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_MAX_AGE",
    "DEFAULT_SIGNATURE_LIFETIME",
    "SIGNATURE_PROPERTY",
    "RequestVerification",
    "VerifyResult",
    "content_digest",
    "sign_object",
    "sign_request",
    "signature_base",
    "signed_payload",
    "verify_object",
    "verify_request",
]
