"""Dissemination reads are restricted at the source: ``Dissemination.objects.restrict(user,
purpose, action)``.

A dissemination names the records shared (by STIX id), the recipients, the purpose and what
the policy decided; the records themselves are read through
:meth:`accord.intel.querysets.RecordQuerySet.restrict`. Who may read a dissemination:

- ``view``: the analyst who asked for it, supervisors (who approve disclosures:
  ``disclosure.approve``) and the oversight officer (``audit.view``). The purpose does not
  narrow it: the request is the requester's own act, and the others review it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.db import models

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser, User
    from accord.dissemination.models import Dissemination  # noqa: F401  the type argument below

__all__ = ["DISSEMINATION_ACTIONS", "DisseminationQuerySet", "reviews_disseminations"]

#: What may be done with a dissemination through a restricted queryset: read it.
DISSEMINATION_ACTIONS: Final = ("view",)


def reviews_disseminations(user: User) -> bool:
    """Whether ``user`` reads every dissemination (supervisors and the oversight officer)."""
    return bool(user.can("disclosure.approve") or user.can("audit.view"))


class DisseminationQuerySet(models.QuerySet["Dissemination"]):
    def restrict(
        self, user: RequestUser | None, purpose: str = "", action: str = "view"
    ) -> DisseminationQuerySet:
        """Only the disseminations ``user`` may ``action`` ('view')."""
        if action not in DISSEMINATION_ACTIONS:
            raise ValueError(f"unknown action on a dissemination: {action!r}")
        if user is None or not user.is_active:
            return self.none()
        return self if reviews_disseminations(user) else self.filter(requested_by=user)
