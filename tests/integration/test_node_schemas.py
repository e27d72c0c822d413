"""The JSON Schemas of Accord's STIX extensions, published by every node without login."""

from __future__ import annotations

import jsonschema_rs
import pytest
from django.test import Client

from accord.engine.stix.person import PERSON_EXTENSION_SCHEMA, person_extension_definition

pytestmark = pytest.mark.django_db


def test_person_extension_schema_is_published_and_usable():
    response = Client().get("/schemas/person-of-interest.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema == PERSON_EXTENSION_SCHEMA
    assert "/schemas/person-of-interest.json" in person_extension_definition()["schema"]
    validator = jsonschema_rs.validator_for(schema)
    good = {
        "extension_type": "property-extension",
        "names": [{"full_name": "Karim Haddad", "name_type": "primary", "script": "Latn"}],
        "birth_dates": [{"precision": "between", "from_year": 1970, "to_year": 1975}],
        "watchlist": {"action": "discreet_check", "review_by": "2027-01-01"},
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "names": [{"full_name": "X", "name_type": "nick"}]})


def test_handling_marking_schema_is_published():
    schema = Client().get("/schemas/accord-handling-marking.json").json()
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid({"extension_type": "property-extension", "handling_code": "H2"})
    assert not validator.is_valid({"extension_type": "property-extension", "handling_code": "H9"})


def test_unknown_schema_is_404():
    assert Client().get("/schemas/nothing-here.json").status_code == 404
