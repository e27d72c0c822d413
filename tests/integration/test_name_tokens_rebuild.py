"""The migration that rebuilds the name tokens of records whose names search now reads with
the screening engine's Arabic folding: affected records get the tokens a new import would give
them, the others are left alone."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.intel.factories import person_object
from accord.intel.models import NameToken, Record
from accord.intel.services import ingest_objects

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accord.intel.migrations.0007_name_tokens_arabic_folding")


def _person(n: int, latin: str, other: str) -> dict:
    obj = person_object(n)
    obj["name"] = latin
    obj["extensions"][PERSON_EXTENSION_ID]["names"] = [
        {"full_name": latin, "name_type": "primary"},
        {"full_name": other, "name_type": "alias"},
    ]
    return obj


def _tokens(stix_id: str) -> set[str]:
    pk = Record.objects.get(stix_id=stix_id).pk
    return set(NameToken.objects.filter(record_id=pk).values_list("token", flat=True))


def test_tokens_of_names_with_affected_letters_are_rebuilt():
    fatima = _person(1, "Fatima Hamza", "فاطمة حمزة")
    ivan = _person(2, "Ivan Petrov", "Иван Петров")
    assert ingest_objects(None, [fatima, ivan], source="test").ok
    fresh = _tokens(fatima["id"])
    assert {"fatm", "فاطم", "hmz", "حمز"} <= fresh
    # As the tokens were written before search shared the screening engine's folding:
    for sid, stale in ((fatima["id"], ["fatmh", "فاطمه"]), (ivan["id"], ["marker"])):
        pk = Record.objects.get(stix_id=sid).pk
        NameToken.objects.filter(record_id=pk).delete()
        NameToken.objects.bulk_create(NameToken(record_id=pk, token=t) for t in stale)

    migration.rebuild(apps, None)

    assert _tokens(fatima["id"]) == fresh
    assert _tokens(ivan["id"]) == {"marker"}  # no affected letter: not read again
