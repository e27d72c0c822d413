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

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

__all__ = ["OVERSIGHT_PURPOSE", "RecordQuerySet", "restrict_q"]

OVERSIGHT_PURPOSE = "oversight-review"


def restrict_q(user: Any, purpose: str = "", action: str = "view", prefix: str = "") -> Q | None:
    """The conditions of :meth:`RecordQuerySet.restrict` as one ``Q`` (None: nothing visible).

    ``prefix`` is the path from the queried model to ``Record`` (``"record__"`` for
    ``NameToken``), so that search can drive its query from an index table and still apply
    exactly the same rules.
    """
    from accord.intel.models import CaseMembership, RecordGrant, RecordMarking

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if getattr(user, "is_locked", False):
        return None
    permission = "record.export" if action == "export" else "record.view"
    review = user.can("record.review") and purpose == OVERSIGHT_PURPOSE and action == "view"
    if not user.can(permission) and not review:
        return None

    pk = OuterRef(prefix[:-2] if prefix else "pk")
    # TLP:RED: named recipients only.
    granted = RecordGrant.objects.filter(record=pk, user=user)
    q = ~Q(**{f"{prefix}tlp": "red"}) | Q(**{f"{prefix}owner": user}) | Exists(granted)
    # TLP:AMBER+STRICT: the owning agency only.
    q &= (
        ~Q(**{f"{prefix}tlp": "amber+strict"})
        | Q(**{f"{prefix}owner_agency": user.agency})
        | Q(**{f"{prefix}owner": user})
    )
    # Case: members only.
    member = CaseMembership.objects.filter(case=OuterRef(f"{prefix}case"), user=user)
    q &= Q(**{f"{prefix}case__isnull": True}) | Exists(member)
    if purpose == OVERSIGHT_PURPOSE:
        return q
    # Purpose: a record restricted to purposes is read only under one of them.
    restricted = RecordMarking.objects.filter(record=pk, kind="purpose")
    if purpose:
        q &= ~Exists(restricted) | Exists(restricted.filter(value=purpose))
    else:
        q &= ~Exists(restricted)
    return q


class RecordQuerySet(models.QuerySet["Record"]):
    def restrict(self, user: Any, purpose: str = "", action: str = "view") -> RecordQuerySet:
        """Only the records ``user`` may ``action`` ('view' or 'export') under ``purpose``."""
        q = restrict_q(user, purpose, action)
        if q is None:
            return self.none()
        return self.filter(q)
