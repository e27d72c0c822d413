"""Template context every page gets: the node's identity and the user's working context."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["node_context"]


def node_context(request: HttpRequest) -> dict[str, Any]:
    from accord.node.models import NodeIdentity

    context: dict[str, Any] = {"node": NodeIdentity.current()}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from accord.accounts.choices import declarable_purposes
        from accord.http.access import working_context
        from accord.web.forms import WorkingContextForm
        from accord.web.views.dashboard import user_cases

        working = working_context(request)
        context["working"] = working
        context["context_form"] = WorkingContextForm(
            initial={
                "purpose": working.purpose,
                "case": working.case,
                "next": request.get_full_path(),
            },
            cases=user_cases(user),
            purposes=declarable_purposes(user.role),
        )
    return context
