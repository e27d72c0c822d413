"""Fuzz the two HTTP entry points that store what strangers send, through Django's test client
with a real user and a real database: TAXII 2.1 Add Objects (``POST .../objects/``, section 5.5)
and the federation inbox (``POST /federation/inbox/``), unsigned and correctly signed by a
registered peer. Every answer is a TAXII message (never a server error or a traceback), and a
refused input stores nothing: the store's rows are counted before and after each input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from accord.engine.signing import sign_object, sign_request
from accord.federation.models import peer_identity_id
from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import Identifier, NameToken, Record, RecordMarking, RecordVersion
from accord.taxii.auth import clear_basic_cache
from accord.taxii.models import CollectionEntry
from tests.fuzz.support import (
    HTTP,
    check_refusal,
    hostile_json,
    mutated,
    serialised,
    time_bound,
    tree_mutated,
)
from tests.integration.taxii_helpers import TAXII, TaxiiClient, make_collection

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

STORED = (Record, RecordVersion, RecordMarking, NameToken, Identifier, CollectionEntry)
KEY_PEER = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
PEER = "node-fuzz-peer"


def _rows() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in STORED)


def _check_answer(response: Any, before: tuple[int, ...]) -> None:
    """A TAXII answer; a refusal (or a status without successes) stores nothing; an accepted
    envelope stores at most one record and one version per success."""
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"] == TAXII, response["Content-Type"]
    body = response.json()
    after = _rows()
    event(f"HTTP {response.status_code}")
    if response.status_code != 202:
        assert body["http_status"] == str(response.status_code)
        check_refusal(body["description"])
        assert after == before, (response.status_code, body)
        return
    for failure in body.get("failures", []):
        check_refusal(failure["message"])
    successes = body["success_count"]
    assert body["total_count"] == successes + body["failure_count"] + body["pending_count"]
    event("objects stored" if after != before else "nothing new stored")
    if successes == 0:
        assert after == before, body
    assert after[0] - before[0] <= successes and after[1] - before[1] <= successes


def _objects() -> list[dict[str, Any]]:
    return list(synthetic_objects(10))


OBJECTS = _objects()


@st.composite
def _envelope(draw: st.DrawFn, objects: list[dict[str, Any]]) -> Any:
    """An envelope of real objects, some with hostile values in their trees, or an envelope
    with a hostile shape."""
    items = draw(st.lists(tree_mutated(objects, most=3) | st.sampled_from(objects), max_size=4))
    envelope: Any = {"objects": items}
    if draw(st.integers(0, 4)) == 0:
        envelope = draw(tree_mutated([envelope], most=2))
    return envelope


def _bodies(objects: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    seed = json.dumps({"objects": objects[:3]}).encode()
    return st.one_of(
        serialised(_envelope(objects)),
        mutated([seed], units=b',:{}[]"', raw_size=256),
        serialised(hostile_json()),
    )


@pytest.fixture
def taxii(make_user, client):
    clear_basic_cache()
    writer = make_user("fuzz-writer", agency="ctu")
    collection = make_collection((writer, True, True), alias="fuzz")
    yield TaxiiClient(client, "fuzz-writer"), f"/taxii2/accord/collections/{collection.pk}/objects/"
    clear_basic_cache()


@HTTP
@given(_bodies(OBJECTS))
def test_taxii_add_objects(taxii, body):
    taxii_client, url = taxii
    before = _rows()
    with time_bound():
        response = taxii_client.post(url, body)
    _check_answer(response, before)


# -- federation inbox ---------------------------------------------------------------------------


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def peer(db):
    """This node's identity and one registered peer with a known key."""
    from accord.federation.services import add_peer
    from accord.node.models import NodeIdentity

    NodeIdentity.objects.create(
        node_id="node-fuzz-self",
        jurisdiction="NL",
        name="Self",
        identity_id=peer_identity_id("node-fuzz-self"),
        public_key_pem=_pem(Ed25519PrivateKey.from_private_bytes(bytes(range(32)))),
    )
    return add_peer(
        None,
        node_id=PEER,
        url="http://127.0.0.1:9/",
        jurisdiction="DE",
        public_key_pem=_pem(KEY_PEER),
    )


PEER_OBJECTS = [person_object(n, created_by_ref=peer_identity_id(PEER)) for n in range(4)]


def _signed(obj: Any) -> Any:
    """The object signed by the peer, when it can be signed (a dict that canonicalises)."""
    if not isinstance(obj, dict):
        return obj
    try:
        return sign_object(obj, PEER, KEY_PEER)
    except (ValueError, TypeError):
        return obj


@st.composite
def _peer_envelope(draw: st.DrawFn) -> Any:
    """Objects of the peer, mutated then signed (correct signatures over hostile content),
    signed then mutated (tampered) or as signed, in an envelope that may itself be mutated."""
    items = []
    for obj in draw(st.lists(st.sampled_from(PEER_OBJECTS), min_size=1, max_size=3)):
        way = draw(st.integers(0, 2))
        if way == 0:
            items.append(_signed(draw(tree_mutated([obj], most=2))))
        elif way == 1:
            items.append(draw(tree_mutated([_signed(obj)], most=2)))
        else:
            items.append(_signed(obj))
    envelope: Any = {"objects": items}
    if draw(st.integers(0, 5)) == 0:
        envelope = draw(tree_mutated([envelope], most=2))
    return envelope


def _post_inbox(body: bytes, *, signed: bool) -> Any:
    url = "http://testserver/federation/inbox/"
    extra: dict[str, str] = {}
    if signed:
        headers = sign_request(
            "POST", url, {"Content-Type": TAXII}, body, keyid=PEER, private_key=KEY_PEER
        )
        extra = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in headers.items()
            if k.lower() != "content-type"
        }
    return Client().post("/federation/inbox/", data=body, content_type=TAXII, **extra)


@HTTP
@given(serialised(_peer_envelope()) | _bodies(PEER_OBJECTS))
def test_inbox_signed(peer, body):
    before = _rows()
    with time_bound():
        response = _post_inbox(body, signed=True)
    _check_answer(response, before)


@HTTP
@given(serialised(_peer_envelope()) | _bodies(PEER_OBJECTS))
def test_inbox_unsigned(peer, body):
    before = _rows()
    with time_bound():
        response = _post_inbox(body, signed=False)
    assert response.status_code == 401
    _check_answer(response, before)
