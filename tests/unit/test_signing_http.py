"""RFC 9421 HTTP Message Signatures with Ed25519 and RFC 9530 Content-Digest: the RFC's own
Ed25519 example (appendix B.2.6), golden signature bases, and every refusal reason."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.engine.signing import content_digest, sign_request, signature_base, verify_request
from accord.engine.signing.structured import (
    parse_signature_dictionary,
    parse_signature_input_dictionary,
)

# RFC 9421 appendix B.1.4, "Example Ed25519 Test Key" (test-key-ed25519).
RFC_KEY = serialization.load_pem_private_key(
    b"-----BEGIN PRIVATE KEY-----\n"
    b"MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
    b"-----END PRIVATE KEY-----\n",
    None,
)
RFC_PUBLIC = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    b"-----END PUBLIC KEY-----\n"
)
# RFC 9421 appendix B.2: the test request.
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNy"
    "ealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
# RFC 9421 appendix B.2.6, "Signing a Request Using ed25519".
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPp"
    "BKRCw==:"
)

KEY_A = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYS = {"node-a": KEY_A.public_key(), "test-key-ed25519": RFC_KEY.public_key()}
URL = "http://127.0.0.1:8001/federation/inbox/?x=1"
BODY = b'{"objects":[]}'
CT = {"Content-Type": "application/taxii+json;version=2.1"}
NOW = 1_800_000_000


def test_rfc_9421_test_key_is_the_one_in_the_rfc():
    public = RFC_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == RFC_PUBLIC


def test_rfc_9421_b26_signature_base_and_signature():
    inputs = parse_signature_input_dictionary(RFC_SIGNATURE_INPUT)
    components, params = inputs["sig-b26"]
    base = signature_base("POST", RFC_URL, RFC_HEADERS, components, params)
    assert base.decode() == RFC_BASE
    expected = parse_signature_dictionary(RFC_SIGNATURE)["sig-b26"]
    assert RFC_KEY.sign(base) == expected  # Ed25519 is deterministic


def test_rfc_9421_b26_request_verifies():
    headers = {**RFC_HEADERS, "Signature-Input": RFC_SIGNATURE_INPUT, "Signature": RFC_SIGNATURE}
    result = verify_request(
        "POST", RFC_URL, headers, RFC_BODY, public_key_for=KEYS.get, remember_nonce=None,
        now=1618884473, required=(),
    )  # fmt: skip
    assert (result.ok, result.keyid, result.reason) == (True, "test-key-ed25519", "")
    tampered = verify_request(
        "POST", RFC_URL, headers, b'{"hello": "World"}', public_key_for=KEYS.get,
        remember_nonce=None, now=1618884473, required=(),
    )  # fmt: skip
    assert tampered.reason.startswith("digest mismatch")


def test_content_digest_rfc_9530():
    # RFC 9530 section 2 example body {"hello": "world"} with sha-256.
    assert content_digest(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


def _signed(created=NOW, nonce="n-1", body=BODY, headers=CT, url=URL, method="POST", **kw):
    return sign_request(
        method, url, headers, body, keyid="node-a", private_key=KEY_A, created=created,
        nonce=nonce, **kw,
    )  # fmt: skip


def test_golden_signature_input():
    headers = _signed()
    assert headers["Content-Digest"] == content_digest(BODY)
    assert headers["Signature-Input"] == (
        'accord=("@method" "@authority" "@path" "@query" "content-digest" "content-type")'
        f';created={NOW};expires={NOW + 60};keyid="node-a";nonce="n-1";alg="ed25519"'
    )
    components, params = parse_signature_input_dictionary(headers["Signature-Input"])["accord"]
    base = signature_base("POST", URL, headers, components, params).decode()
    assert base.splitlines()[:5] == [
        '"@method": POST',
        '"@authority": 127.0.0.1:8001',
        '"@path": /federation/inbox/',
        '"@query": ?x=1',
        f'"content-digest": {content_digest(BODY)}',
    ]
    signature = parse_signature_dictionary(headers["Signature"])["accord"]
    assert signature == KEY_A.sign(base.encode())
    assert base64.b64encode(signature).decode() in headers["Signature"]


class Nonces:
    def __init__(self):
        self.seen = set()

    def __call__(self, keyid, nonce, created):
        if (keyid, nonce) in self.seen:
            return False
        self.seen.add((keyid, nonce))
        return True


def _verify(headers, *, body=BODY, now=NOW, nonces=None, url=URL, method="POST", keys=KEYS):
    return verify_request(
        method, url, headers, body, public_key_for=keys.get,
        remember_nonce=nonces if nonces is not None else Nonces(), now=now,
    )  # fmt: skip


def test_valid_request_and_header_case_does_not_matter():
    headers = {k.upper(): v for k, v in _signed().items()}
    result = _verify(headers)
    assert (result.ok, result.keyid, result.created, result.nonce) == (True, "node-a", NOW, "n-1")


def test_get_without_body_or_content_type():
    headers = _signed(body=b"", headers={}, method="GET")
    assert "content-type" not in headers["Signature-Input"]
    assert _verify(headers, body=b"", method="GET").ok


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h: h.pop("Signature"), "unsigned"),
        (lambda h: h.__setitem__("Signature", "accord=:!!:"), "malformed"),
        (lambda h: h.__setitem__("Signature-Input", "accord=(@method)"), "malformed"),
        (lambda h: h.__setitem__("Content-Type", "application/json"), "bad signature"),
        (
            lambda h: h.__setitem__("Content-Digest", content_digest(b"other")),
            "digest mismatch",
        ),
        (
            lambda h: h.__setitem__(
                "Signature-Input", h["Signature-Input"].replace('"node-a"', '"node-z"')
            ),
            "unknown key",
        ),
        (
            lambda h: h.__setitem__(
                "Signature-Input", h["Signature-Input"].replace(' "content-type"', "")
            ),
            "does not cover content-type",
        ),
        (
            lambda h: h.__setitem__(
                "Signature-Input", h["Signature-Input"].replace('"ed25519"', '"rsa-pss-sha512"')
            ),
            "unsupported algorithm",
        ),
    ],
    ids=[
        "unsigned",
        "bad-base64",
        "bad-input",
        "content-type",
        "digest",
        "unknown",
        "cover",
        "alg",
    ],
)
def test_refusals_name_their_reason(change, reason):
    headers = _signed()
    change(headers)
    result = _verify(headers)
    assert not result.ok and reason in result.reason, result


def test_tampered_body_is_a_digest_mismatch():
    result = _verify(_signed(), body=b'{"objects":[{}]}')
    assert (result.ok, result.keyid) == (False, "node-a")
    assert result.reason.startswith("digest mismatch")


def test_other_target_is_a_bad_signature():
    headers = _signed()
    assert _verify(headers, url=URL.replace("8001", "8002")).reason == "bad signature"
    assert _verify(headers, url=URL.replace("x=1", "x=2")).reason == "bad signature"
    assert _verify(headers, method="PUT").reason == "bad signature"


def test_clock_skew_within_allowance_is_accepted():
    assert _verify(_signed(created=NOW - 180)).ok  # sender's clock 3 minutes behind
    assert _verify(_signed(created=NOW + 180)).ok  # or 3 minutes ahead


def test_beyond_the_allowed_skew_is_refused():
    ahead = _verify(_signed(created=NOW + 301))
    assert not ahead.ok and ahead.reason.startswith("from the future")
    expired = _verify(_signed(created=NOW - 400))
    assert not expired.ok and expired.reason.startswith("expired")
    old = _verify(_signed(created=NOW - 700, expires=NOW + 100))
    assert not old.ok and old.reason.startswith("too old")


def test_replayed_nonce_is_refused_and_a_fresh_one_accepted():
    nonces = Nonces()
    headers = _signed()
    assert _verify(headers, nonces=nonces).ok
    replay = _verify(headers, nonces=nonces)
    assert (replay.ok, replay.keyid) == (False, "node-a") and replay.reason.startswith("replayed")
    assert _verify(_signed(nonce="n-2"), nonces=nonces).ok


def test_nonce_is_required_and_not_remembered_for_bad_signatures():
    nonces = Nonces()
    headers = _signed()
    headers["Signature-Input"] = headers["Signature-Input"].replace(';nonce="n-1"', "")
    assert "nonce is missing" in _verify(headers, nonces=nonces).reason
    forged = _signed()
    forged["Content-Type"] = "text/plain"
    assert not _verify(forged, nonces=nonces).ok
    assert not nonces.seen
