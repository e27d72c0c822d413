"""Small STIX 2.1 samples for the web and browser tests: two persons (one with a hostile name),
a relationship between them, and an H2 handling marking releasable to DE and FR."""

from __future__ import annotations

import json
from typing import Any

from accord.engine.stix.markings import TLP_IDS, HandlingMarking, handling_marking_definition
from accord.engine.stix.person import PERSON_EXTENSION_ID

__all__ = [
    "HOSTILE_ID",
    "HOSTILE_NAME",
    "PERSON_ID",
    "RELATIONSHIP_ID",
    "SUSPECT_ID",
    "SUSPECT_NAME",
    "person",
    "sample_bundle",
    "sample_objects",
    "suspect_bundle",
    "upload_bundle",
]

CREATOR = "identity--7d3c1a52-5a8e-4d3b-9c6a-1f2e3d4c5b6a"
PERSON_ID = "identity--0b7a1e8e-3b0c-4c8f-8a44-6d8f3c2e1a01"
HOSTILE_ID = "identity--0b7a1e8e-3b0c-4c8f-8a44-6d8f3c2e1a02"
RELATIONSHIP_ID = "relationship--0b7a1e8e-3b0c-4c8f-8a44-6d8f3c2e1a03"
HOSTILE_NAME = "<script>alert(1)</script> Mallory"
HANDLING = HandlingMarking(
    handling_code="H2", releasable_to=("DE", "FR"), purposes=("counter-terrorism",)
)


def person(
    stix_id: str,
    name: str,
    *,
    arabic: str = "",
    tlp: str = "amber",
    modified: str = "2026-01-05T10:00:00.000Z",
    handling: bool = True,
) -> dict[str, Any]:
    names = [{"full_name": name, "name_type": "primary", "script": "Latn", "lang": "en"}]
    if arabic:
        names.append({"full_name": arabic, "name_type": "alias", "script": "Arab", "lang": "ar"})
    refs = [TLP_IDS[tlp]] + ([HANDLING.id] if handling else [])
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id,
        "created_by_ref": CREATOR,
        "created": "2026-01-05T10:00:00.000Z",
        "modified": modified,
        "name": name,
        "identity_class": "individual",
        "object_marking_refs": refs,
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": names,
                "birth_dates": [{"precision": "approximate", "year": 1975}],
                "birth_places": [{"city": "Mosul", "country": "IQ"}],
                "nationalities": ["IQ", "DE"],
                "gender": "male",
                "documents": [
                    {"document_type": "passport", "number": "P7654321", "issuing_country": "IQ"}
                ],
                "phones": ["+4915112345678"],
                "watchlist": {
                    "action": "discreet_check",
                    "reason": "Suspected facilitator",
                    "listed_on": "2025-11-02",
                    "review_by": "2026-11-02",
                },
            }
        },
    }


def sample_objects() -> list[dict[str, Any]]:
    return [
        handling_marking_definition(HANDLING),
        person(PERSON_ID, "Karim Haddad", arabic="كريم حداد"),
        person(HOSTILE_ID, HOSTILE_NAME, tlp="green", handling=False),
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": RELATIONSHIP_ID,
            "created_by_ref": CREATOR,
            "created": "2026-01-05T10:00:00.000Z",
            "modified": "2026-01-05T10:00:00.000Z",
            "relationship_type": "related-to",
            "source_ref": PERSON_ID,
            "target_ref": HOSTILE_ID,
            "object_marking_refs": [TLP_IDS["green"]],
        },
    ]


def sample_bundle() -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--0b7a1e8e-3b0c-4c8f-8a44-6d8f3c2e1a00",
        "objects": sample_objects(),
    }


def upload_bundle(name: str = "Yusuf Demir", suffix: str = "b1") -> bytes:
    """A one-person bundle to upload through the import page."""
    obj = person(
        f"identity--5e1c2d3b-4a5f-4e6d-8c7b-{suffix.encode().hex()[:12].ljust(12, '0')}",
        name,
        tlp="green",
        handling=False,
    )
    bundle = {
        "type": "bundle",
        "id": f"bundle--5e1c2d3b-4a5f-4e6d-8c7b-{suffix.encode().hex()[:12].ljust(12, '1')}",
        "objects": [obj],
    }
    return json.dumps(bundle, ensure_ascii=False).encode()


SUSPECT_ID = "identity--3f9d2c1b-7a6e-4d5c-9b8a-1e2f3a4b5c01"
SUSPECT_NAME = "Yusuf Al-Rashidi"


def suspect_bundle(creator: str) -> bytes:
    """Flow 1's suspect as a bundle to upload through the import page: names in Latin and Arabic
    script, aliases, exact date of birth, passport; TLP:AMBER and H2 ("no onward dissemination
    without consent") for counter-terrorism only, with no releasability list (so that the
    agreements, not the marking, decide each recipient). ``creator`` is the uploading node's
    STIX identity: a node signs and sends only the records it authored."""
    h2 = HandlingMarking(handling_code="H2", purposes=("counter-terrorism",))
    suspect = {
        "type": "identity",
        "spec_version": "2.1",
        "id": SUSPECT_ID,
        "created_by_ref": creator,
        "created": "2026-02-01T09:00:00.000Z",
        "modified": "2026-02-01T09:00:00.000Z",
        "name": SUSPECT_NAME,
        "identity_class": "individual",
        "object_marking_refs": [TLP_IDS["amber"], h2.id],
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": [
                    {"full_name": SUSPECT_NAME, "name_type": "primary", "script": "Latn"},
                    {"full_name": "يوسف الراشدي", "name_type": "primary", "script": "Arab"},
                    {"full_name": "Abu Yahya al-Shami", "name_type": "alias", "script": "Latn"},
                ],
                "birth_dates": [{"precision": "exact", "date": "1987-03-14"}],
                "nationalities": ["SY"],
                "documents": [
                    {"document_type": "passport", "number": "N04417729", "issuing_country": "SY"}
                ],
            }
        },
    }
    bundle = {
        "type": "bundle",
        "id": "bundle--3f9d2c1b-7a6e-4d5c-9b8a-1e2f3a4b5c00",
        "objects": [handling_marking_definition(h2), suspect],
    }
    return json.dumps(bundle, ensure_ascii=False).encode()


def sign_in(browser: Any, url: str, username: str, password: str) -> Any:
    """A fresh browser context signed in as ``username`` on the node at ``url``; the page
    collects console and page errors in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    page.goto(url + "login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)
    return page
