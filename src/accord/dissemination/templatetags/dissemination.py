"""``{% dissemination_box record %}``: provenance, revoked banner and the Share action on the
record page."""

from __future__ import annotations

from typing import Any

from django import template

__all__ = ["dissemination_box"]

register = template.Library()


@register.inclusion_tag("dissemination/_record_box.html", takes_context=True)
def dissemination_box(context: Any, record: Any) -> dict[str, Any]:
    from accord.dissemination.models import ReceivedDisclosure

    user = context["request"].user
    return {
        "record": record,
        "received": ReceivedDisclosure.objects.filter(stix_id=record.stix_id).first(),
        "can_share": user.can("record.share") and not record.revoked,
    }
