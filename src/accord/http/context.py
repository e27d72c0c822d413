"""Why a REST call reads or writes: the purpose and case it declares in its headers.

The purpose of a call comes from ``X-Accord-Purpose`` (default ``counter-terrorism``; one the
caller's role may declare) and its case from ``X-Accord-Case`` (an existing case the caller is a
member of); both are written into the audit entry of what the call reads or writes. Pages take
the same two from the session instead (:func:`accord.http.access.working_context`).
"""

from __future__ import annotations

from django.http import HttpRequest

__all__ = ["DEFAULT_PURPOSE", "request_context"]

DEFAULT_PURPOSE = "counter-terrorism"


def request_context(request: HttpRequest) -> tuple[str, str]:
    """(purpose, case) declared by the caller's headers, checked: the purpose must be one the
    caller's role may declare (:func:`accord.accounts.choices.role_may_declare`) and the case,
    when given, one that exists and that the caller is a member of. Anything else is a 422
    problem, before any read or write happens, so that nothing unchecked reaches the audit
    trail."""
    from accord.accounts.choices import declarable_purposes, role_may_declare
    from accord.http.problems import ProblemError
    from accord.intel.models import Case

    user = getattr(request, "auth", None) or getattr(request, "user", None)
    role = str(getattr(user, "role", ""))
    purpose = request.headers.get("X-Accord-Purpose", "").strip() or DEFAULT_PURPOSE
    if not role_may_declare(role, purpose):
        allowed = ", ".join(declarable_purposes(role)) or "none"
        raise ProblemError(
            422,
            f"You may not declare the purpose {purpose[:64]!r}; declare one of: {allowed}.",
            errors=[{"path": "header:X-Accord-Purpose", "message": "not yours to declare"}],
        )
    case = request.headers.get("X-Accord-Case", "").strip()
    if case and not Case.objects.filter(reference=case, members=user).exists():
        raise ProblemError(
            422,
            "The declared case is unknown or you are not one of its members.",
            errors=[{"path": "header:X-Accord-Case", "message": "no such case for you"}],
        )
    return purpose, case
