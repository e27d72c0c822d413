"""Every error of the REST API is an RFC 9457 problem details document.

``application/problem+json`` with ``type``, ``title``, ``status``, ``detail``, ``instance`` and,
where a request was refused for its content, ``errors: [{path, message}]``. The handlers below
are registered on the NinjaAPI; :func:`problem_responses` turns the few responses produced outside
them (405 from the router) into problems, and :func:`api_not_found` answers unknown paths under
``/api/``. A 500 never carries the exception's text (it may hold personal data): it is logged.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accord.engine.json_input import JsonInputError, parse_json

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ProblemError",
    "api_not_found",
    "install_problem_handlers",
    "problem",
    "problem_openapi",
    "problem_responses",
    "read_json_body",
    "upload_errors",
]

logger = logging.getLogger("accord.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemSchema"}

#: Problem type URIs (RFC 9457 section 3.1.1): stable identifiers, documented in docs/api.md.
_TYPES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    500: "server-error",
}


def _type_uri(status: int) -> str:
    return f"urn:accord:problem:{_TYPES.get(status, 'http-' + str(status))}"


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (a refused input's undecodable byte quoted in a
    message) written as U+FFFD: a problem document is always valid UTF-8 JSON."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def problem(
    request: HttpRequest,
    status: int,
    detail: str = "",
    *,
    title: str | None = None,
    type_: str | None = None,
    errors: Iterable[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """An ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": type_ or _type_uri(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = [{"path": e["path"], "message": e["message"]} for e in errors]
    response = HttpResponse(
        _utf8(json.dumps(body, ensure_ascii=False)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ProblemError(Exception):
    """Raised by a view to answer with a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: Iterable[Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.errors = list(errors) if errors is not None else None


def read_json_body(request: HttpRequest) -> Any:
    """The request's body as JSON, read within the node's limits
    (:mod:`accord.engine.json_input`); a 400 problem naming the fault when it is not."""
    try:
        return parse_json(request.body, what="request body")
    except JsonInputError as exc:
        logger.info("POST %s refused: %s", request.path, exc)
        raise ProblemError(400, str(exc)) from None


def upload_errors(request: HttpRequest, formats: Sequence[str]) -> list[dict[str, str]]:
    """What a ``multipart/form-data`` upload lacks, as a 422 problem's ``errors``: its ``file``,
    or a ``format`` among ``formats``."""
    errors = []
    if request.FILES.get("file") is None:
        errors.append({"path": "form:file", "message": "a file is required"})
    if request.POST.get("format", "") not in formats:
        errors.append({"path": "form:format", "message": f"choose one of {', '.join(formats)}"})
    return errors


def _loc_path(loc: Iterable[Any]) -> str:
    """Ninja's ``("query", "per_page")`` or ``("body", "payload", "x")`` as a readable path."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file", "cookie"):
        where, rest = parts[0], parts[1:]
        if where in ("body", "form", "file") and len(rest) > 1:
            rest = rest[1:]  # drop the parameter name wrapping the body
        return f"{where}:{'.'.join(rest)}" if rest else where
    return ".".join(parts)


def install_problem_handlers(api: Any) -> None:
    """Register the problem handlers on a NinjaAPI (replacing ninja's defaults)."""

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "path": _loc_path(e.get("loc", ())),
                "message": str(e.get("msg", "")).removeprefix("Value error, "),
            }
            for e in exc.errors
        ]
        said = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:3])
        detail = f"The request's parameters are not valid ({said[:500]})."
        return problem(request, 422, detail if said else "", errors=errors)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request,
            401,
            "Sign in, or send 'Authorization: Bearer <API token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="accord"'},
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc.message))

    def on_problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
        return problem(request, exc.status, exc.detail, title=exc.title, errors=exc.errors)

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(request, 404, "No such resource, or it is not visible to you.")

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(request, 403, str(exc) or "Your role does not allow this.")

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(request, 413, "The request body is larger than this node accepts.")

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        return server_error(request, exc)

    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(ProblemError, on_problem)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(Exception, on_exception)


def server_error(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """A 500 problem; the exception goes to the log (redacted), never to the client."""
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(request, 500, "The node could not complete the request; it has been logged.")


def problem_responses(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn any error response that is not yet a problem (405 from ninja's router) into one."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return api_not_found(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            PROBLEM_CONTENT_TYPE
        ):
            headers = {"Allow": response["Allow"]} if response.has_header("Allow") else None
            detail = ""
            if response.status_code == 405 and headers:
                detail = f"{request.method} is not allowed here; use {headers['Allow']}."
            return problem(request, response.status_code, detail, headers=headers)
        return response

    return wrapper


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as the API answers: every error response (4xx, 5xx) is
    ``application/problem+json``, and every operation may answer 500 (a fault, logged)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses")
            if not isinstance(responses, dict):
                continue
            responses.setdefault(
                "500",
                {
                    "description": "A fault; the node logged it",
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": dict(_PROBLEM_REF)}},
                },
            )
            for status, response in responses.items():
                content = response.get("content")
                if str(status)[:1] in ("4", "5") and isinstance(content, dict):
                    response["content"] = {
                        PROBLEM_CONTENT_TYPE if media == "application/json" else media: body
                        for media, body in content.items()
                    }
    return schema


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Unknown paths under /api/."""
    return problem(request, 404, "There is no such API endpoint.")
