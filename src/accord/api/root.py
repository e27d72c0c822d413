"""The NinjaAPI instance: authentication, problem handlers and the router of each domain app
(its ``api.py``).

OpenAPI 3.1 at ``/api/openapi.json``; every error is an RFC 9457 problem
(:mod:`accord.http.problems`).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from accord.api.auth import API_AUTH
from accord.dissemination.api import router as dissemination_router
from accord.http.problems import install_problem_handlers, problem_openapi
from accord.http.schemas import JSON_VALUE_SCHEMA
from accord.intel.api import router as intel_router
from accord.screening.api import router as screening_router

__all__ = ["AccordAPI", "api"]


class AccordAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document gives every error as ``application/problem+json``,
    as the problem handlers answer, and defines ``JsonValue`` (any JSON value within the limits
    every JSON body is read under) for the bodies that reference it."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """``accord_api_<tag>_<url name>`` (``accord_api_records_search``): clients generated
        from the document name their methods after these, so they depend on the operation's
        tag and name only, never on the module its code lives in."""
        tag = operation.tags[0] if operation.tags else "api"
        name = getattr(operation, "url_name", None) or operation.view_func.__name__
        return f"accord_api_{tag}_{name}"

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
    see :func:`accord.http.context.request_context`."""
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
api.add_router("", intel_router)
api.add_router("", screening_router)
api.add_router("", dissemination_router)
