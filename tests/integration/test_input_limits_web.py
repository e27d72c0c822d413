"""Web pages: paging far past the end, and the CSRF token read from the page (the cookie is
HttpOnly, so that scripts cannot read it)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.search import MAX_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("ana"))
    return client


@pytest.mark.parametrize("page", [str(MAX_PAGE + 1), "92233720368547758", "9" * 30])
def test_a_page_past_the_last_is_answered_with_a_message(analyst, page):
    response = analyst.get("/records/", {"q": "haddad", "page": page})
    assert response.status_code == 200
    assert "past the last page a search shows (10,000); narrow the search" in (
        response.content.decode()
    )
    partial = analyst.get("/records/", {"q": "haddad", "page": page}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "narrow the search" in partial.content.decode()


def test_csrf_cookie_is_httponly_and_the_page_carries_the_token(analyst):
    page = analyst.get("/")
    cookie = page.cookies["accord_csrftoken"]
    assert cookie["httponly"] is True
    html = page.content.decode()
    meta = re.search(r'<meta name="csrf-token" content="([A-Za-z0-9]+)">', html)
    body = re.search(r"<body hx-headers='(\{[^']+\})'>", html)
    assert meta and body
    assert json.loads(body.group(1)) == {"X-CSRFToken": meta.group(1)}


def test_a_session_request_with_the_token_from_the_page_is_accepted(analyst):
    token = re.search(r'name="csrf-token" content="([^"]+)"', analyst.get("/").content.decode())
    obj = person_object(5)
    refused = analyst.post("/api/records", obj, content_type="application/json")
    assert refused.status_code == 403
    accepted = analyst.post(
        "/api/records",
        obj,
        content_type="application/json",
        headers={"X-CSRFToken": token.group(1)},
    )
    assert accepted.status_code == 201, accepted.content
    assert Record.objects.filter(stix_id=obj["id"]).exists()
