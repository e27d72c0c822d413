"""Jurisdiction codes: ISO 3166-1 alpha-2 plus codes of multilateral bodies."""

from __future__ import annotations

from typing import Final

import pycountry

__all__ = ["MULTILATERAL_BODIES", "JurisdictionError", "jurisdiction_name", "validate_jurisdiction"]

#: Multilateral bodies that run nodes (hubs, secretariats, regional partnerships).
MULTILATERAL_BODIES: Final[dict[str, str]] = {
    "EU": "European Union",
    "EUROPOL": "Europol",
    "EUROJUST": "Eurojust",
    "INTERPOL": "INTERPOL General Secretariat",
    "UN": "United Nations",
    "UNOCT": "UN Office of Counter-Terrorism",
    "AU": "African Union (AFRIPOL)",
    "ASEAN": "ASEAN (ASEANAPOL)",
    "GCC": "Gulf Cooperation Council (GCCPOL)",
    "OSCE": "Organization for Security and Co-operation in Europe",
    "NATO": "North Atlantic Treaty Organization",
}


class JurisdictionError(ValueError):
    """Not an ISO 3166-1 alpha-2 code nor a known multilateral body."""


def validate_jurisdiction(code: str) -> str:
    """Return the normalised code (upper case) or raise :class:`JurisdictionError`."""
    value = (code or "").strip().upper()
    if value in MULTILATERAL_BODIES:
        return value
    if len(value) == 2 and value.isalpha() and pycountry.countries.get(alpha_2=value) is not None:
        return value
    raise JurisdictionError(
        f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, JO, KE) nor one of the "
        f"multilateral bodies {', '.join(sorted(MULTILATERAL_BODIES))}"
    )


def jurisdiction_name(code: str) -> str:
    if code in MULTILATERAL_BODIES:
        return MULTILATERAL_BODIES[code]
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code
