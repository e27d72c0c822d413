"""TAXII 2.1 content negotiation (section 1.6.8) and error messages (section 3.6.1), as every
TAXII view of the node checks and writes them (accord.http.taxii)."""

from __future__ import annotations

import orjson
import pytest

from accord.http.taxii import (
    TAXII_MEDIA_TYPE,
    accepts_taxii,
    is_taxii_media_type,
    peer_error,
    taxii_error,
)


@pytest.mark.parametrize(
    "value",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json; version=2.1",
        "application/taxii+json ; version = 2.1",
        "Application/TAXII+JSON;Version=2.1",
        'application/taxii+json;version="2.1"',
        "application/taxii+json;charset=utf-8;version=2.1",
        "application/taxii+json",  # no version: the latest, 2.1
        "application/taxii+json; charset=utf-8",
    ],
)
def test_taxii_media_types(value):
    assert is_taxii_media_type(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "application/json",
        "application/taxii+json;version=2.0",
        "application/taxii+json;version=2.10",
        "application/taxii+jsonx;version=2.1",
        "application/stix+json;version=2.1",
        "text/plain; version=2.1",
        "application/taxii+json;version*=unknown-charset''2.1",
    ],
)
def test_other_media_types(value):
    assert not is_taxii_media_type(value)


@pytest.mark.parametrize(
    ("accept", "admitted"),
    [
        ("", True),
        ("*/*", True),
        ("application/*", True),
        (TAXII_MEDIA_TYPE, True),
        ("application/taxii+json", True),
        ("text/html, application/taxii+json;version=2.1;q=0.9", True),
        ('text/html;x="a,b", application/taxii+json', True),
        ("text/html", False),
        ("application/json", False),
        ("application/taxii+json;version=2.0", False),
        ("application/taxii+json;q=0, text/html", False),
        ('text/html;x="a, application/taxii+json"', False),
    ],
)
def test_accept(accept, admitted):
    assert accepts_taxii(accept) is admitted


def test_error_message():
    response = taxii_error(404, "Not Found", headers={"X-Extra": "1"})
    assert response.status_code == 404
    assert response["Content-Type"] == TAXII_MEDIA_TYPE
    assert response["X-Extra"] == "1"
    assert response.content == orjson.dumps(
        {
            "title": "Not Found",
            "description": "Not Found",
            "error_code": "not-found",
            "http_status": "404",
        }
    )


def test_peer_error_message():
    response = peer_error(401, "Unauthorized", "signed request refused: bad key")
    assert response["Content-Type"] == TAXII_MEDIA_TYPE
    assert orjson.loads(response.content) == {
        "title": "Unauthorized",
        "description": "signed request refused: bad key",
        "error_code": "accord.peer.401",
        "http_status": "401",
    }
