"""Object signatures (x_accord_signature over RFC 8785 canonical JSON): golden vector, round
trips, every kind of alteration, unknown keys and malformed signatures."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.engine.signing import SIGNATURE_PROPERTY, sign_object, signed_payload, verify_object

KEY_A = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY_B = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEYS = {"node-a": KEY_A.public_key(), "node-b": KEY_B.public_key()}

OBJ = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--6a4f2a49-1bb6-5b85-9b8d-0d8b3c7a1e11",
    "created": "2026-01-02T03:04:05.000Z",
    "modified": "2026-01-02T03:04:05.000Z",
    "name": "Ñame — 名前",
    "identity_class": "individual",
    "created_by_ref": "identity--00000000-0000-5000-8000-000000000001",
    "x_n": 1.0,
}
#: Ed25519 is deterministic (RFC 8032 section 5.1.6): this is the signature, byte for byte.
GOLDEN_SIG = (
    "EmI7nkPtupFODvxLBwdqwjAKLiGKV3uuZjJDxoH7sF0FmDLlU690ZrJPXjV36WtuMHTEH_61Ycc3uiRPMPZkBA"
)


def test_golden_signature():
    signed = sign_object(OBJ, "node-a", KEY_A)
    assert signed[SIGNATURE_PROPERTY] == {"alg": "ed25519", "keyid": "node-a", "sig": GOLDEN_SIG}
    assert OBJ.get(SIGNATURE_PROPERTY) is None  # the input is not changed


def test_payload_is_canonical_without_the_signature():
    signed = sign_object(OBJ, "node-a", KEY_A)
    reordered = dict(reversed(list(signed.items())))
    assert signed_payload(reordered) == signed_payload(OBJ)
    assert b"x_accord_signature" not in signed_payload(signed)
    assert signed_payload(OBJ).startswith(b'{"created":"2026-01-02T03:04:05.000Z"')
    assert b'"x_n":1}' in signed_payload(OBJ)  # RFC 8785 number form: 1.0 -> 1


def test_round_trip_and_key_order_and_number_form_do_not_matter():
    signed = sign_object(OBJ, "node-a", KEY_A)
    assert verify_object(signed, KEYS.get).ok
    again = dict(reversed(list(signed.items())))
    again["x_n"] = 1
    result = verify_object(again, KEYS.get)
    assert (result.ok, result.keyid, result.reason) == (True, "node-a", "")


def test_resigning_replaces_the_old_signature():
    signed = sign_object(sign_object(OBJ, "node-b", KEY_B), "node-a", KEY_A)
    assert signed[SIGNATURE_PROPERTY]["keyid"] == "node-a"
    assert signed[SIGNATURE_PROPERTY]["sig"] == GOLDEN_SIG


@pytest.mark.parametrize(
    "alter",
    [
        lambda o: o.__setitem__("name", "Other"),
        lambda o: o.__setitem__("created_by_ref", "identity--00000000-0000-5000-8000-000000000002"),
        lambda o: o.__setitem__("object_marking_refs", ["marking-definition--x"]),
        lambda o: o.pop("x_n"),
        lambda o: o.__setitem__("modified", "2026-01-02T03:04:05.001Z"),
    ],
    ids=["name", "created_by_ref", "added-marking", "removed-property", "modified"],
)
def test_any_alteration_breaks_the_signature(alter):
    signed = copy.deepcopy(sign_object(OBJ, "node-a", KEY_A))
    alter(signed)
    result = verify_object(signed, KEYS.get)
    assert not result.ok and result.keyid == "node-a" and result.reason.startswith("bad signature")


def test_claiming_another_signer_fails():
    signed = sign_object(OBJ, "node-a", KEY_A)
    signed[SIGNATURE_PROPERTY] = {**signed[SIGNATURE_PROPERTY], "keyid": "node-b"}
    assert verify_object(signed, KEYS.get).reason.startswith("bad signature")


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "unsigned"),
        ("text", "is not an object"),
        ({"alg": "ed25519", "sig": GOLDEN_SIG}, "keyid is missing"),
        ({"alg": "rsa", "keyid": "node-a", "sig": GOLDEN_SIG}, "unsupported algorithm"),
        ({"alg": "ed25519", "keyid": "node-z", "sig": GOLDEN_SIG}, "unknown key"),
        ({"alg": "ed25519", "keyid": "node-a", "sig": "a+b/"}, "not base64url"),
        ({"alg": "ed25519", "keyid": "node-a", "sig": GOLDEN_SIG, "x": 1}, "unexpected members"),
        ({"alg": "ed25519", "keyid": "node-a", "sig": "AAAA"}, "bad signature"),
    ],
)
def test_malformed_signatures_are_refused_with_a_reason(signature, reason):
    obj = dict(OBJ)
    if signature is not None:
        obj[SIGNATURE_PROPERTY] = signature
    result = verify_object(obj, KEYS.get)
    assert not result.ok and reason in result.reason


def test_not_an_object():
    assert verify_object([1], KEYS.get).reason == "not a JSON object"
