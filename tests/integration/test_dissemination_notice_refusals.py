"""Signed notices refused by the receiver (issue 4, bad input): the receiver keeps a refused
notice as refused and answers a resend of its id with the same 422; the sender stops retrying
a notice the peer refused for good (a 4xx other than 408 and 429) and keeps retrying the
others (docs/dissemination.md, "Notices")."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.test import Client

from accord.dissemination.models import FederationNotice
from accord.dissemination.notices import NOTICE_PATH, deliver_notices, queue_notice
from accord.engine.signing import sign_request
from accord.federation.models import Peer, peer_identity_id
from accord.federation.services import add_peer
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY_SELF = Ed25519PrivateKey.from_private_bytes(bytes(range(50, 82)))
KEY_PEER = Ed25519PrivateKey.from_private_bytes(bytes(range(51, 83)))


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def peer(db: Any) -> Peer:
    """This node (node-self, NL, its key in the data directory) and one peer, node-peer (DE)."""
    from accord.node.models import NodeIdentity

    (Path(settings.DATA_DIR) / "node_ed25519.pem").write_bytes(
        KEY_SELF.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    NodeIdentity.objects.create(
        node_id="node-self",
        jurisdiction="NL",
        name="Self",
        identity_id=peer_identity_id("node-self"),
        public_key_pem=_pem(KEY_SELF),
    )
    return add_peer(
        None, node_id="node-peer", url="http://127.0.0.2:9/", jurisdiction="DE",
        public_key_pem=_pem(KEY_PEER),
    )  # fmt: skip


def _from_peer(notice_id: str) -> Any:
    """POST an acknowledgement of a revocation order this node never sent (its handler refuses
    it: "no such revocation order"), signed by node-peer."""
    ack = {"id": "identity--" + str(uuid.uuid4()), "version": "v1"}
    body = orjson.dumps({"id": notice_id, "kind": "ack", "body": ack})
    url = "http://testserver/" + NOTICE_PATH
    headers = sign_request("POST", url, {"Content-Type": "application/json"}, body,
                           keyid="node-peer", private_key=KEY_PEER)  # fmt: skip
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
            if k.lower() != "content-type"}  # fmt: skip
    return Client().post("/" + NOTICE_PATH, data=body, content_type="application/json", **meta)


def test_a_refused_notice_is_kept_refused_and_a_resend_gets_the_same_422(peer):
    notice_id = str(uuid.uuid4())
    first = _from_peer(notice_id)
    assert first.status_code == 422 and "no such revocation order" in first.json()["description"]
    row = FederationNotice.objects.get(pk=notice_id)
    assert (row.direction, row.status) == ("in", "refused")
    assert row.last_error == "no such revocation order"
    again = _from_peer(notice_id)
    assert again.status_code == 422, again.content
    assert "no such revocation order" in again.json()["description"]
    assert FederationNotice.objects.filter(pk=notice_id).count() == 1


def _answering(status: int) -> httpx.Client:
    error = {
        "title": "Refused",
        "description": "no such consent request",
        "http_status": str(status),
    }
    return httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status, json=error)))


def test_a_notice_the_peer_refuses_is_not_retried(peer):
    notice = queue_notice(peer, "ack", {"id": "identity--x", "version": "v1"})
    with _answering(422) as client:
        assert deliver_notices(client=client) == {"delivered": 0, "failed": 0, "refused": 1}
        notice.refresh_from_db()
        assert notice.status == "refused" and notice.attempts == 1
        assert "422" in notice.last_error and "no such consent request" in notice.last_error
        # Not due any more: a later pass sends nothing.
        assert deliver_notices(client=client) == {"delivered": 0, "failed": 0, "refused": 0}
    event = AuditEvent.objects.filter(action="dissemination.notice").latest("pk")
    assert event.outcome == "refused" and event.detail["notice"] == str(notice.pk)


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_a_notice_answered_with_a_transient_error_is_retried(peer, status):
    notice = queue_notice(peer, "ack", {"id": "identity--x", "version": "v1"})
    with _answering(status) as client:
        assert deliver_notices(client=client) == {"delivered": 0, "failed": 1, "refused": 0}
    notice.refresh_from_db()
    assert notice.status == "failed" and notice.next_attempt_at is not None
    assert str(status) in notice.last_error
