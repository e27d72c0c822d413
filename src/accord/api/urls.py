"""URLs under /api/: the NinjaAPI's paths (errors as problems) and a problem for anything else."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from accord.api.root import api
from accord.http.problems import api_not_found, problem_responses

__all__ = ["urlpatterns"]


def _wrapped(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = problem_responses(pattern.callback)
    return patterns


_ninja_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("", include((_wrapped(list(_ninja_patterns)), _app_name), namespace=_namespace)),
    re_path(r"^(?P<path>.*)$", api_not_found, name="api-not-found"),
]
