"""The NinjaAPI instance: authentication, problem handlers and the routers of each app.

OpenAPI 3.1 at ``/api/openapi.json``; every error is an RFC 9457 problem (see problems.py).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from accord.api.auth import API_AUTH
from accord.api.dissemination import router as dissemination_router
from accord.api.imports import router as imports_router
from accord.api.problems import install_problem_handlers, problem_openapi
from accord.api.records import router as records_router
from accord.api.schemas import JSON_VALUE_SCHEMA
from accord.api.screening import router as screening_router

__all__ = ["AccordAPI", "api"]


class AccordAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document gives every error as ``application/problem+json``,
    as the problem handlers answer, and defines ``JsonValue`` (any JSON value within the limits
    every JSON body is read under) for the bodies that reference it."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem_openapi(schema)
        context_parameters(schema)
        schema.setdefault("components", {}).setdefault("schemas", {})["JsonValue"] = dict(
            JSON_VALUE_SCHEMA
        )
        return schema


def context_parameters(schema: Any) -> None:
    """Declare on every operation the two headers every call may carry: the purpose (one of
    the purposes the caller's role may declare) and the case (one the caller is a member of);
    see :func:`accord.api.auth.request_context`."""
    from accord.engine.stix.markings import PURPOSES

    declared = [
        {
            "in": "header",
            "name": "X-Accord-Purpose",
            "required": False,
            "schema": {"type": "string", "enum": list(PURPOSES)},
            "description": (
                "Why you read or write (audited); default counter-terrorism. "
                "oversight-review is for oversight officers only."
            ),
        },
        {
            "in": "header",
            "name": "X-Accord-Case",
            "required": False,
            "schema": {"type": "string", "maxLength": 64, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
            "description": "The case you work on (one you are a member of; audited).",
        },
    ]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            params = operation.setdefault("parameters", [])
            names = {(p.get("in"), p.get("name")) for p in params if isinstance(p, dict)}
            params.extend(p for p in declared if (p["in"], p["name"]) not in names)


api = AccordAPI(
    title="Accord node API",
    version="1",
    description=(
        "REST API of one Accord node. Authenticate with `Authorization: Bearer acc_...` (an API "
        "token) or the web session (CSRF token required for unsafe methods). Declare the purpose "
        "of every read in `X-Accord-Purpose` (default `counter-terrorism`) and its case in "
        "`X-Accord-Case`; both are written to the audit trail. Errors are RFC 9457 problem "
        "details (`application/problem+json`)."
    ),
    openapi_url="/openapi.json",
    docs_url=None,
    auth=API_AUTH,
    urls_namespace="api",
)
install_problem_handlers(api)
api.add_router("", records_router)
api.add_router("", imports_router)
api.add_router("", screening_router)
api.add_router("", dissemination_router)
