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

    schemas: dict[str, dict[str, object]] = {"person-of-interest": PERSON_EXTENSION_SCHEMA}
    try:
        from accord.engine.stix.validate import HANDLING_EXTENSION_SCHEMA
    except ImportError:  # pragma: no cover - the validator defines it
        pass
    else:
        schemas["accord-handling-marking"] = HANDLING_EXTENSION_SCHEMA
    return schemas


@require_GET
def extension_schema(request: HttpRequest, name: str) -> JsonResponse:
    """GET /schemas/<name>.json: the JSON Schema of an Accord extension."""
    schema = _schemas().get(name)
    if schema is None:
        raise Http404("no such schema")
    return JsonResponse(schema, json_dumps_params={"indent": 2, "ensure_ascii": False})
