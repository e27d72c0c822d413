"""Template helpers: TLP labels and CSS classes, handling-code meanings, country names."""

from __future__ import annotations

from django import template

from accord.engine.stix.markings import HANDLING_CODES
from accord.intel.presenters import TLP_LABELS, country_name

__all__ = ["country", "handling_meaning", "tlp_class", "tlp_label"]

register = template.Library()


@register.filter
def tlp_class(tlp: str) -> str:
    """'amber+strict' -> 'tlp-amber-strict' (the badge colours in accord.css)."""
    return "tlp-" + ((tlp or "none").replace("+", "-"))


@register.filter
def tlp_label(tlp: str) -> str:
    return TLP_LABELS.get(tlp or "", "no TLP")


@register.filter
def handling_meaning(code: str) -> str:
    return HANDLING_CODES.get(code or "", "")


@register.filter
def country(code: str) -> str:
    return country_name(code) if code else ""
