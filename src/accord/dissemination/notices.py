"""Signed node-to-node notices of dissemination: revocation acknowledgements, consent requests
and answers, and the kinds other apps register (screening's hit notices).

- Sending: :func:`queue_notice` stores a :class:`FederationNotice`; :func:`deliver_notices`
  POSTs each due one signed (RFC 9421) as JSON to the peer's
  ``/federation/dissemination/notices/``. A pass is queued right after the commit (low
  latency), and the task worker's schedule (entry ``dissemination.notices``:
  :func:`notices_tick` every second) queues one while notices are due, so failed notices are
  retried with the outbox's back-off by the same schedule that retries the outbox.
- Receiving: :func:`notices_view` checks the request and hands the notice to
  :func:`receive_notice`, which records it (idempotent on its id) and applies it with the
  handler of its kind: dissemination's own (:data:`NOTICE_KINDS`, in
  :mod:`accord.dissemination.handlers`), or the one another app registered for it
  (:data:`accord.node.extensions.NOTICE_HANDLER`, in its ``ready``).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_tasks import task

from accord.dissemination.models import FederationNotice
from accord.http.taxii import peer_error
from accord.node.extensions import NOTICE_HANDLER, lookup
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    import httpx

    from accord.federation.models import Peer

__all__ = [
    "NOTICE_KINDS",
    "NOTICE_PATH",
    "NoticeOutcome",
    "NoticeReceipt",
    "deliver_notices",
    "deliver_notices_task",
    "notices_due",
    "notices_tick",
    "notices_view",
    "queue_notice",
    "receive_notice",
]

log = logging.getLogger(__name__)

NOTICE_PATH = "federation/dissemination/notices/"
#: Dissemination's own notice kinds (reserved at :data:`accord.node.extensions.NOTICE_HANDLER`).
NOTICE_KINDS = ("ack", "consent_request", "consent_answer")

# --------------------------------------------------------------------------------------------
# Sending


def queue_notice(peer: Peer, kind: str, body: dict[str, Any]) -> FederationNotice:
    """Queue a signed notice for ``peer``; sent after the commit (and retried)."""
    notice = FederationNotice.objects.create(
        direction="out",
        peer=peer,
        kind=kind,
        body=body,
        status=FederationNotice.Status.QUEUED,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_schedule)
    return notice


_pending: list[Any] = []


def _schedule() -> None:
    """Queue a notice delivery pass, unless the last one queued from this process has not run
    yet (as the outbox's ``request_delivery``)."""
    try:
        if _pending:
            try:
                _pending[0].refresh()
                if _pending[0].status in ("READY", "RUNNING"):
                    return
            except Exception:  # unreadable result: queue a new pass
                log.debug("dissemination: the last notice pass is unreadable; queueing another")
        _pending[:] = [deliver_notices_task.enqueue()]
    except Exception:  # the next tick sends it; never fail the caller's commit
        log.exception("dissemination: could not queue the notice delivery")


def notices_due(now: Any = None) -> bool:
    """Whether an outgoing notice is waiting to be sent (queued, or failed and past its
    back-off)."""
    now = now or timezone.now()
    return FederationNotice.objects.filter(
        Q(direction="out"),
        Q(status__in=(FederationNotice.Status.QUEUED, FederationNotice.Status.FAILED)),
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
        peer__enabled=True,
    ).exists()


def notices_tick() -> None:
    """One tick of the peers delivery schedule: queue a notice pass when notices are due (a
    first send lost with its task, or a retry after back-off)."""
    if notices_due():
        _schedule()


def deliver_notices(client: httpx.Client | None = None) -> dict[str, int]:
    """Send the due notices, each one signed POST; the outcome is on each row.

    A 2xx answer marks the notice delivered; a 4xx other than 408 and 429 marks it
    ``refused`` with the peer's answer (resending the same notice cannot change it); anything
    else (unreachable, 408, 429, 5xx) leaves it ``failed``, retried after back-off.

    Legal effect: carries acknowledgements and consent messages already decided; audited as
    ``dissemination.notice`` per notice sent (outcome ok, failed or refused).
    """
    import httpx  # a fifth of a second to import: loaded by the process that delivers

    from accord.federation.delivery import backoff_seconds, node_private_key, signed_post
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    counts = {"delivered": 0, "failed": 0, "refused": 0}
    if me is None:
        return counts
    now = timezone.now()
    due = FederationNotice.objects.filter(
        Q(direction="out"),
        Q(status__in=(FederationNotice.Status.QUEUED, FederationNotice.Status.FAILED)),
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
    ).select_related("peer")
    notices = list(due[:500])
    if not notices:
        return counts
    key = node_private_key()
    http = client or httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False)
    try:
        for n in notices:
            body = orjson.dumps({"id": str(n.id), "kind": n.kind, "body": n.body})
            url = n.peer.url + NOTICE_PATH
            final = False  # the peer refused it for good: a 4xx other than 408 and 429
            try:
                response = signed_post(url, body, node_id=me.node_id, private_key=key, client=http)
                error = (
                    ""
                    if response.status_code in (200, 202)
                    else (
                        f"{n.peer.node_id} answered {response.status_code}: {response.text[:300]}"
                    )
                )
                final = 400 <= response.status_code < 500 and response.status_code not in (
                    408,
                    429,
                )
            except httpx.HTTPError as exc:
                error = f"cannot reach {n.peer.node_id}: {type(exc).__name__}: {exc}"
            if final:
                n.attempts += 1
                n.status = FederationNotice.Status.REFUSED
                n.last_error = error[:2000]
                n.next_attempt_at = None
                counts["refused"] += 1
            elif error:
                n.attempts += 1
                n.status = FederationNotice.Status.FAILED
                n.last_error = error[:2000]
                n.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(n.attempts))
                counts["failed"] += 1
            else:
                n.status = FederationNotice.Status.DELIVERED
                n.delivered_at = timezone.now()
                n.last_error = ""
                counts["delivered"] += 1
            n.save()
            audit(
                None,
                "dissemination.notice",
                object_ids=[str(n.body.get("id", ""))],
                outcome=Outcome.REFUSED if final else Outcome.FAILED if error else Outcome.OK,
                detail={
                    "peer": n.peer.node_id,
                    "kind": n.kind,
                    "notice": str(n.id),
                    "error": error[:500],
                },
            )
    finally:
        if client is None:
            http.close()
    return counts


@task()
def deliver_notices_task() -> dict[str, int]:
    """One pass over the due notices (see :func:`deliver_notices`)."""
    return deliver_notices()


# --------------------------------------------------------------------------------------------
# Receiving


class NoticeOutcome(enum.Enum):
    """What :func:`receive_notice` made of a notice."""

    #: Recorded and applied.
    RECEIVED = "received"
    #: The same notice id was received and applied before: nothing done again.
    ALREADY_RECEIVED = "already received"
    #: Its handler refused it (now or at an earlier receipt of that id); kept as refused.
    REFUSED = "refused"
    #: It could not be recorded at all (an id clash with a notice of another peer, ...).
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class NoticeReceipt:
    """The outcome of receiving one notice and, when refused or invalid, why."""

    outcome: NoticeOutcome
    reason: str = ""


def receive_notice(peer: Peer, notice_id: str, kind: str, body: dict[str, Any]) -> NoticeReceipt:
    """Record the signed notice ``notice_id`` of ``kind`` from ``peer`` and apply it with its
    kind's handler, in one transaction; idempotent on the notice id. Returns what became of it
    and, for a refused or invalid one, why.

    A notice its handler refuses is kept with status ``refused`` and the reason; a resend of
    that id is refused again with the same reason (never "already received"), so the sender
    never takes a refused notice for a delivered one.

    Legal effect: that of the notice's kind (the originator's record of an acknowledgement, a
    consent request or answer, another app's notice); each handler writes its audit entry.
    """
    try:
        with transaction.atomic():
            notice = FederationNotice.objects.create(
                id=notice_id,
                direction="in",
                peer=peer,
                kind=kind,
                body=body,
                status=FederationNotice.Status.RECEIVED,
            )
            refused = _handle_notice(peer, kind, body)
            if refused:
                # Kept as refused, with the reason: a resend of this id is refused again.
                notice.status = FederationNotice.Status.REFUSED
                notice.last_error = refused[:2000]
                notice.save(update_fields=["status", "last_error"])
    except (IntegrityError, ValueError) as exc:
        earlier = FederationNotice.objects.filter(pk=notice_id, direction="in", peer=peer).first()
        if earlier is not None and earlier.status == FederationNotice.Status.REFUSED:
            return NoticeReceipt(NoticeOutcome.REFUSED, earlier.last_error or "refused")
        if earlier is not None:
            return NoticeReceipt(NoticeOutcome.ALREADY_RECEIVED)
        return NoticeReceipt(NoticeOutcome.INVALID, f"notice refused: {exc}")
    if refused:
        return NoticeReceipt(NoticeOutcome.REFUSED, refused)
    return NoticeReceipt(NoticeOutcome.RECEIVED)


def _handle_notice(peer: Peer, kind: str, body: dict[str, Any]) -> str:
    """Apply a received notice; '' or why it was refused (audited either way)."""
    from accord.dissemination import handlers

    handler = lookup(NOTICE_HANDLER, kind)
    if handler is not None:
        return handler(peer, body)
    stix_id = str(body.get("id", ""))[:100]
    if kind == "ack":
        return handlers.receive_acknowledgement(peer, stix_id, body)
    if kind == "consent_request":
        return handlers.receive_consent_request(peer, stix_id, body)
    return handlers.receive_consent_answer(peer, body)


def _taxii_error(status: int, message: str) -> HttpResponse:
    return peer_error(status, "Refused", message)


@csrf_exempt
def notices_view(request: HttpRequest) -> HttpResponse:
    """``POST /federation/dissemination/notices/``: a signed notice from a peer (RFC 9421
    signature checked by the peers middleware); 202 once recorded, idempotent on its id. A
    notice its handler refuses is kept with status ``refused`` and the reason, and answered
    422; a resend of that id gets the same 422 (not "already received"), so the sender never
    takes a refused notice for a delivered one (:func:`receive_notice`)."""
    if request.method != "POST":
        response = _taxii_error(405, "allowed: POST")
        response["Allow"] = "POST"
        return response
    peer = getattr(request, "peer", None)
    if peer is None:
        return _taxii_error(401, "only requests signed by a peer (RFC 9421)")
    try:
        data = orjson.loads(request.body)
        notice_id, kind, body = str(data["id"]), str(data["kind"]), data["body"]
        known = kind in NOTICE_KINDS or lookup(NOTICE_HANDLER, kind) is not None
        if not known or not isinstance(body, dict):
            raise ValueError(kind)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        return _taxii_error(400, f"a notice is {{id, kind, body}} with a known kind: {exc}")
    receipt = receive_notice(peer, notice_id, kind, body)
    if receipt.outcome is NoticeOutcome.REFUSED:
        return _taxii_error(422, receipt.reason)
    if receipt.outcome is NoticeOutcome.INVALID:
        return _taxii_error(400, receipt.reason)
    if receipt.outcome is NoticeOutcome.ALREADY_RECEIVED:
        return HttpResponse(
            b'{"status":"already received"}', status=202, content_type="application/json"
        )
    return HttpResponse(b'{"status":"received"}', status=202, content_type="application/json")
