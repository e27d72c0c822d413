"""Record reads are restricted at the source: ``Record.objects.restrict(user, purpose=...)``.

A queryset that can reach personal data is always narrowed by role, agency, case membership
and markings. What each rule means:

- role: the role must hold ``record.view`` (or ``record.review`` with purpose
  ``oversight-review``); node administrators never read record content.
- TLP:RED: only the record's owner and users named in a ``RecordGrant``.
- TLP:AMBER+STRICT: only users of the owning agency.
- case: a record tied to a case is visible only to the case's members.
- purpose: a record restricted to purposes is visible only under one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

if TYPE_CHECKING:
    from accord.intel.models import Record

__all__ = ["RecordQuerySet"]

OVERSIGHT_PURPOSE = "oversight-review"


class RecordQuerySet(models.QuerySet["Record"]):
    def restrict(self, user: Any, purpose: str = "", action: str = "view") -> RecordQuerySet:
        """Only the records ``user`` may ``action`` ('view' or 'export') under ``purpose``."""
        from accord.intel.models import CaseMembership, RecordGrant, RecordMarking

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if getattr(user, "is_locked", False):
            return self.none()
        permission = "record.export" if action == "export" else "record.view"
        if not user.can(permission):
            if not (user.can("record.review") and purpose == OVERSIGHT_PURPOSE and action == "view"):
                return self.none()

        qs = self
        # TLP:RED: named recipients only.
        granted = RecordGrant.objects.filter(record=OuterRef("pk"), user=user)
        qs = qs.filter(~Q(tlp="red") | Q(owner=user) | Exists(granted))
        # TLP:AMBER+STRICT: the owning agency only.
        qs = qs.filter(~Q(tlp="amber+strict") | Q(owner_agency=user.agency) | Q(owner=user))
        # Case: members only.
        member = CaseMembership.objects.filter(case=OuterRef("case"), user=user)
        qs = qs.filter(Q(case__isnull=True) | Exists(member))
        # Purpose: a record restricted to purposes is read only under one of them.
        restricted = RecordMarking.objects.filter(record=OuterRef("pk"), kind="purpose")
        allowed = restricted.filter(value=purpose) if purpose else restricted.none()
        if purpose == OVERSIGHT_PURPOSE:
            return qs
        return qs.filter(~Exists(restricted) | Exists(allowed))
