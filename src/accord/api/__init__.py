"""The REST API (django-ninja), OpenAPI at /api/openapi.json, errors as RFC 9457 problems."""
