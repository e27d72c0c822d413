"""Security headers, cookie flags and the no-external-resources rule of the web UI."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from tests.browser.samples import PERSON_ID, sample_objects

from accord.intel.services import ingest_objects

pytestmark = pytest.mark.django_db


def test_debug_is_off_by_default():
    assert settings.DEBUG is False


@pytest.mark.parametrize("url", ["/login/", "/", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, make_user, url):
    client.force_login(make_user("ana"))
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_secure_httponly_and_strict(client, make_user):
    make_user("ana")
    page = client.get("/login/")
    csrf = page.cookies["accord_csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Strict"
    response = client.post("/login/", {"username": "ana", "password": "correct horse battery 9"})
    session = response.cookies["accord_session"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Strict"


def test_404_page_leaks_nothing(client, make_user):
    client.force_login(make_user("ana"))
    response = client.get("/records/identity--00000000-0000-4000-8000-000000000000/history/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Traceback" not in html and "urlpatterns" not in html and "accord.web" not in html


_ATTR = re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']+)["']""", re.I)


def test_no_page_references_another_host(client, make_user):
    """Police networks are closed: every script, style, image and link is the node's own."""
    ingest_objects(None, sample_objects(), source="headers-test")
    client.force_login(make_user("ana"))
    pages = [
        "/",
        "/records/",
        "/records/?q=karim",
        f"/records/{PERSON_ID}/",
        f"/records/{PERSON_ID}/history/",
        "/imports/new/",
        "/tokens/",
        "/no-such-page/",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        refs = _ATTR.findall(html)
        assert refs, url
        for ref in refs:
            assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", ref, re.I), (url, ref)
            assert not ref.lower().startswith(("http:", "https:", "javascript:")), (url, ref)
        assert "<style" not in html and " style=" not in html, url
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, url  # no inline script
    anonymous = client.__class__().get("/login/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in anonymous or "/static/" in anonymous
