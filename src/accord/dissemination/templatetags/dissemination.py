"""``{% dissemination_box record %}``: provenance, revoked banner, the Share action and, for
this node's own shared records, Revoke / Order deletion on the record page."""

from __future__ import annotations

from typing import Any

from django import template

__all__ = ["dissemination_box"]

register = template.Library()


@register.inclusion_tag("dissemination/_record_box.html", takes_context=True)
def dissemination_box(context: Any, record: Any) -> dict[str, Any]:
    from accord.dissemination.models import ReceivedDisclosure
    from accord.federation.peers.models import OutboxItem
    from accord.node.models import NodeIdentity

    user = context["request"].user
    can_share = bool(user.can("record.share"))
    me = NodeIdentity.current()
    own = not record.origin_node or (me is not None and record.origin_node == me.node_id)
    can_revoke = (
        can_share
        and own
        and not record.revoked
        and OutboxItem.objects.filter(stix_id=record.stix_id).exists()
    )
    return {
        "record": record,
        "received": ReceivedDisclosure.objects.filter(stix_id=record.stix_id).first(),
        "can_share": can_share and not record.revoked,
        "can_revoke": can_revoke,
    }
