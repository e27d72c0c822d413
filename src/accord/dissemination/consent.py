"""Onward sharing of a received record with its originator's consent: what this node sends.

- The requesting node: :func:`request_consent` (from
  :func:`accord.dissemination.services.share`, when the decision's gate is the originator's
  consent) keeps a :class:`ConsentRequest` and sends a ``consent_request`` notice to the
  originator.
- The originator: its liaison officer's answer
  (:func:`accord.dissemination.services.answer_consent`) goes back with
  :func:`send_consent_answer`.

Both notices are received by the handlers of :mod:`accord.dissemination.handlers`
(``receive_consent_request`` on the originator, ``receive_consent_answer`` on the requesting
node, which re-checks the waiting onward share).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.dissemination.models import ConsentRequest, DisseminationEntry
from accord.dissemination.notices import queue_notice
from accord.oversight.services import audit

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.dissemination.models import ConsentRequest, DisseminationEntry
    from accord.intel.models import Record

__all__ = ["request_consent", "send_consent_answer"]


def request_consent(user: User | None, entry: DisseminationEntry, record: Record) -> None:
    """Ask the originator of a received record for consent to this onward share (inside the
    share's transaction); without a registered originator the entry is denied."""
    from accord.federation.models import Peer

    origin = Peer.objects.filter(node_id=record.origin_node, enabled=True).first()
    if origin is None:
        entry.status = DisseminationEntry.Status.DENIED
        entry.reasons = [
            *entry.reasons,
            {
                "code": "consent.no_originator",
                "message": f"the originator {record.origin_node} is not a registered peer",
                "source": "handling code H2 / onward transfer with consent",
            },
        ]
        entry.save(update_fields=["status", "reasons"])
        return
    consent = ConsentRequest.objects.create(
        direction="out",
        peer=origin,
        stix_id=record.stix_id,
        recipient_node=entry.peer.node_id,
        recipient_jurisdiction=entry.peer.jurisdiction,
        purpose=entry.dissemination.purpose,
        entry=entry,
    )
    queue_notice(
        origin,
        "consent_request",
        {
            "consent": str(consent.id),
            "id": record.stix_id,
            "recipient_node": entry.peer.node_id,
            "recipient_jurisdiction": entry.peer.jurisdiction,
            "purpose": consent.purpose,
            "requested_by": getattr(user, "username", ""),
        },
    )
    audit(
        user,
        "dissemination.consent_request",
        object_ids=[record.stix_id],
        purpose=consent.purpose,
        detail={"originator": origin.node_id, "recipient": entry.peer.node_id},
    )


def send_consent_answer(consent: ConsentRequest) -> None:
    """Queue the liaison officer's answer to a received consent request, signed, for the peer
    that asked (inside the answer's transaction)."""
    queue_notice(
        consent.peer,
        "consent_answer",
        {
            "consent": str(consent.id),
            "id": consent.stix_id,
            "granted": consent.status == "granted",
            "reason": consent.reason,
            "answered_by": consent.answered_by,
        },
    )
