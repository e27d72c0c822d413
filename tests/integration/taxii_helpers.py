"""Shared set-up of the TAXII integration tests: users, a collection, Basic credentials."""

from __future__ import annotations

import base64
import json

from accord.taxii.services import create_collection, grant_access

__all__ = ["PASSWORD", "TAXII", "TaxiiClient", "make_collection"]

TAXII = "application/taxii+json;version=2.1"
PASSWORD = "correct horse battery 9"


def make_collection(*grants, alias="shared", title="Shared"):
    """A collection; ``grants`` are (user, can_read, can_write)."""
    collection = create_collection(None, title=title, alias=alias, description="test")
    for user, read, write in grants:
        grant_access(None, collection, user, can_read=read, can_write=write)
    return collection


class TaxiiClient:
    """Django's test client with Basic credentials and the TAXII media types."""

    def __init__(self, client, username, password=PASSWORD, purpose=None):
        self.client = client
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_ACCEPT": TAXII}
        if purpose:
            self.headers["HTTP_X_ACCORD_PURPOSE"] = purpose

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, **{**self.headers, **extra})

    def post(self, path, body, content_type=TAXII, **extra):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.generic(
            "POST", path, data, content_type=content_type, **{**self.headers, **extra}
        )

    def delete(self, path, params=None, **extra):
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        return self.client.generic(
            "DELETE", path + (f"?{query}" if query else ""), **{**self.headers, **extra}
        )
