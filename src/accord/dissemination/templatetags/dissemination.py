"""``{% dissemination_box record %}``: provenance, revoked banner, the Share action and, for
this node's own shared records, Revoke / Order deletion on the record page. Filters that put
decisions and statuses in plain words for analysts and supervisors (``decision_label``,
``status_label``, ``status_class``) and name a peer (``peer_label``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

if TYPE_CHECKING:
    from accord.federation.models import Peer
    from accord.intel.models import Record

__all__ = [
    "decision_label",
    "dissemination_box",
    "name_of",
    "peer_label",
    "purpose_label",
    "status_class",
    "status_label",
]

register = template.Library()

#: The policy decisions in plain words (the codes stay in the REST API and the audit log).
DECISION_LABELS = {
    "ALLOW": "Allowed",
    "NEEDS_APPROVAL": "Needs approval",
    "HIT_NO_HIT_ONLY": "Hit/no-hit only",
    "DENY": "Refused",
}

#: The stylesheet's status badge per entry status (``accord.css``: ``.status-*``).
_STATUS_CLASSES = {
    "queued": "status-queued",
    "awaiting_approval": "status-running",
    "awaiting_consent": "status-running",
    "recorded": "status-done",
    "denied": "status-failed",
}


@register.filter
def decision_label(code: str) -> str:
    """``ALLOW`` -> "Allowed" (an unknown code is shown as it is)."""
    return DECISION_LABELS.get(str(code), str(code))


@register.filter
def status_label(code: str) -> str:
    """An entry status code (``awaiting_approval``) in plain words, as the model labels it."""
    from accord.dissemination.models import DisseminationEntry

    try:
        return str(DisseminationEntry.Status(str(code)).label)
    except ValueError:
        return str(code)


@register.filter
def status_class(code: str) -> str:
    """The badge class of an entry status."""
    return _STATUS_CLASSES.get(str(code), "")


@register.filter
def name_of(names: dict[str, str], stix_id: str) -> str:
    """The record's display name from a view's map of visible names, else its id."""
    return names.get(stix_id, stix_id) if isinstance(names, dict) else stix_id


@register.filter
def purpose_label(code: str) -> str:
    """A purpose code (``counter-terrorism``) as its description."""
    from accord.engine.stix.markings import PURPOSES

    return PURPOSES.get(str(code), str(code))


@register.filter
def peer_label(peer: Peer | None, node_id: str = "") -> str:
    """A peer as people know it: "BKA Germany (DE)"; its node id when it has no name."""
    if peer is None:
        return node_id
    return f"{peer.name or peer.node_id} ({peer.jurisdiction})"


@register.inclusion_tag("dissemination/_record_box.html", takes_context=True)
def dissemination_box(context: Any, record: Record) -> dict[str, Any]:
    from accord.dissemination.models import ReceivedDisclosure
    from accord.federation.models import OutboxItem
    from accord.intel.writes import change_denial, share_denial
    from accord.node.models import NodeIdentity

    user = context["request"].user
    can_share = bool(user.can("record.share")) and not share_denial(user, record)
    me = NodeIdentity.current()
    own = not record.origin_node or (me is not None and record.origin_node == me.node_id)
    can_revoke = (
        user.can("record.revoke")
        and own
        and not record.revoked
        and not change_denial(user, record)
        and OutboxItem.objects.filter(stix_id=record.stix_id).exists()
    )
    return {
        "record": record,
        "received": ReceivedDisclosure.objects.filter(stix_id=record.stix_id).first(),
        "can_share": can_share and not record.revoked,
        "can_revoke": can_revoke,
    }
