"""Web UI: sign-in, sign-in pauses, sign-out, deny by default, CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accord.web.urls import PUBLIC_URL_NAMES

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 9"


def test_login_page_is_open_and_has_labelled_inputs(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_with_right_password_reaches_dashboard_and_logout_ends_session(client, make_user):
    make_user("ana")
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "ana" in page.content.decode()
    assert client.get("/logout/").status_code == 405  # sign-out is a POST only
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user):
    make_user("ana")
    response = client.post("/login/", {"username": "ana", "password": "wrong password 1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "correct username and password" in html
    assert "locked" not in html
    unknown = client.post("/login/", {"username": "nobody", "password": "wrong password 1"})
    assert "correct username and password" in unknown.content.decode()


def test_paused_account_gets_the_wrong_password_answer_even_with_the_right_password(
    client, make_user, settings
):
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 2
    make_user("ana")
    for _ in range(2):
        client.post("/login/", {"username": "ana", "password": "wrong password 1"})
    response = client.post("/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 200
    html = response.content.decode()
    assert "correct username and password" in html
    assert "locked" not in html
    assert client.get("/").status_code == 302  # not signed in


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _concrete(route: str) -> str:
    import re

    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug):\w+>", "identity--0b7a1e8e-3b0c-4c8f-8a44-6d8f3c2e1a01", route)
    return "/" + route


def test_every_web_url_needs_a_session():
    """Walk every URL pattern of the web UI anonymously: GET and POST must redirect to the
    login page (or answer 401/403); only the login page itself is open."""
    client = Client()
    walked = 0
    resolver = get_resolver()
    for route, pattern in _walk(resolver.url_patterns):
        if route.startswith(("api/", "schemas/")):
            continue  # the API and the public schema endpoint have their own tests
        if pattern.name in PUBLIC_URL_NAMES:
            continue
        url = _concrete(route)
        walked += 1
        for method in (client.get, client.post):
            response = method(url)
            # 405 for a method a resource does not have (POST /taxii2/, GET of an inbox) gives
            # nothing away either.
            assert response.status_code in (302, 401, 403, 405), (url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), (url, response["Location"])
    assert walked >= 10


def test_htmx_request_without_session_gets_401_and_a_redirect_header():
    response = Client().get("/records/?q=x", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/"


def test_csrf_is_enforced_on_post(make_user):
    user = make_user("ana")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    for url, data in [
        ("/context/", {"purpose": "serious-crime"}),
        ("/tokens/", {"name": "x"}),
        ("/logout/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    login = Client(enforce_csrf_checks=True)
    assert login.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 403
    # with the token from the form it works
    page = login.get("/login/")
    token = page.cookies["accord_csrftoken"].value
    ok = login.post(
        "/login/", {"username": "ana", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert ok.status_code == 302
