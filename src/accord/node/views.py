"""What a node publishes without login: the JSON Schemas of Accord's STIX extensions.

Schemas describe formats, not data; partners and tools fetch them to validate what they
receive. Nothing else of the node is public.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

__all__ = ["extension_schema"]


def _schemas() -> dict[str, dict[str, object]]:
    from accord.engine.stix.person import PERSON_EXTENSION_SCHEMA
    from accord.engine.stix.schemas import HANDLING_EXTENSION_SCHEMA

    return {
        "person-of-interest": dict(PERSON_EXTENSION_SCHEMA),
        "accord-handling-marking": dict(HANDLING_EXTENSION_SCHEMA),
    }


@require_GET
def extension_schema(request: HttpRequest, name: str) -> JsonResponse:
    """GET /schemas/<name>.json: the JSON Schema of an Accord extension."""
    schema = _schemas().get(name)
    if schema is None:
        raise Http404("no such schema")
    return JsonResponse(schema, json_dumps_params={"indent": 2, "ensure_ascii": False})
