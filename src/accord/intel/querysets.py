"""Record reads are restricted at the source: ``Record.objects.restrict(user, purpose=...)``.

A queryset that can reach personal data is always narrowed by role, agency, case membership
and markings. What each rule means:

- role: the role must hold ``record.view`` (or ``record.review`` with purpose
  ``oversight-review``); node administrators never read record content.
- TLP:RED: only the record's owner and users named in a ``RecordGrant``.
- TLP:AMBER+STRICT: only users of the owning agency.
- case: a record tied to a case is visible only to the case's members.
- purpose: a record restricted to purposes is visible only under one of them. The oversight
  review (``oversight-review``) passes purpose restrictions and is therefore declared only by
  roles that review; anyone else declaring it sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import Combinable

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser, User
    from accord.engine.stix.markings import Protection
    from accord.intel.models import Record

__all__ = ["OVERSIGHT_PURPOSE", "RecordQuerySet", "as_q", "may_read_protection", "restrict_q"]

OVERSIGHT_PURPOSE = "oversight-review"


def as_q(condition: Q | Combinable) -> Q:
    """``condition``, a ``Q`` combined with a conditional expression (``Exists``), as the
    ``Q`` Django builds for it: django-stubs types such a combination as a bare
    ``Combinable``."""
    return cast(Q, condition)


def restrict_q(
    user: RequestUser | None, purpose: str = "", action: str = "view", prefix: str = ""
) -> Q | None:
    """The conditions of :meth:`RecordQuerySet.restrict` as one ``Q`` (None: nothing visible).

    ``prefix`` is the path from the queried model to ``Record`` (``"record__"`` for
    ``NameToken``), so that search can drive its query from an index table and still apply
    exactly the same rules.
    """
    from accord.intel.models import CaseMembership, RecordGrant, RecordMarking

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    permission = "record.export" if action == "export" else "record.view"
    if purpose == OVERSIGHT_PURPOSE and not user.can("record.review"):
        return None  # only reviewers declare a review (it passes purpose restrictions)
    review = user.can("record.review") and purpose == OVERSIGHT_PURPOSE and action == "view"
    if not user.can(permission) and not review:
        return None

    pk = OuterRef(prefix[:-2] if prefix else "pk")
    # TLP:RED: named recipients only.
    granted = RecordGrant.objects.filter(record=pk, user=user)
    q = as_q(~Q(**{f"{prefix}tlp": "red"}) | Q(**{f"{prefix}owner": user}) | Exists(granted))
    # TLP:AMBER+STRICT: the owning agency only.
    q &= (
        ~Q(**{f"{prefix}tlp": "amber+strict"})
        | Q(**{f"{prefix}owner_agency": user.agency})
        | Q(**{f"{prefix}owner": user})
    )
    # Case: members only.
    member = CaseMembership.objects.filter(case=OuterRef(f"{prefix}case"), user=user)
    q &= as_q(Q(**{f"{prefix}case__isnull": True}) | Exists(member))
    if purpose == OVERSIGHT_PURPOSE:
        return q
    # Purpose: a record restricted to purposes is read only under one of them.
    restricted = RecordMarking.objects.filter(record=pk, kind="purpose")
    if purpose:
        q &= as_q(~Exists(restricted) | Exists(restricted.filter(value=purpose)))
    else:
        q = as_q(q & ~Exists(restricted))
    return q


def may_read_protection(
    user: User | None, record: Record, protection: Protection, purpose: str
) -> bool:
    """Whether ``user``, who may read ``record`` (checked by :func:`restrict_q`), may also read
    a version of it protected by ``protection`` (an older version can be more protected than
    the current one after an approved lowering). The marking rules of :func:`restrict_q`, for
    one record in Python: TLP:RED to the owner and named grantees, AMBER+STRICT to the owning
    agency, purposes under one of them (the oversight review passes them)."""
    from accord.intel.models import RecordGrant

    if user is None:
        return True
    owner = record.owner_id is not None and record.owner_id == user.pk
    granted = RecordGrant.objects.filter(record=record, user=user)
    if protection.tlp == "red" and not owner and not granted.exists():
        return False
    if protection.tlp == "amber+strict" and not owner and record.owner_agency != user.agency:
        return False
    if purpose == OVERSIGHT_PURPOSE and user.can("record.review"):
        return True
    return not protection.purposes or purpose in protection.purposes


class RecordQuerySet(models.QuerySet["Record"]):
    def restrict(
        self, user: RequestUser | None, purpose: str = "", action: str = "view"
    ) -> RecordQuerySet:
        """Only the records ``user`` may ``action`` ('view' or 'export') under ``purpose``."""
        q = restrict_q(user, purpose, action)
        if q is None:
            return self.none()
        return self.filter(q)
