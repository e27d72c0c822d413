"""Hit reads are restricted at the source: ``Hit.objects.restrict(user, purpose, action)`` and
``IncomingHit.objects.restrict(user, purpose, action)``.

A hit holds a traveller's details next to the record they matched, so it is read only by whom
may read that record under the declared purpose (:meth:`accord.intel.querysets.RecordQuerySet.
restrict`), and only by the roles each kind of hit is for:

- this node's own hits (``Hit``): ``view`` by supervisors (who review them) and by the person
  who ran the screening; ``review`` by supervisors only (the service also refuses the
  screener's own hits: four eyes).
- partners' hits on this node's records (``IncomingHit``): ``view`` and ``answer`` by liaison
  officers only, the single point of contact.

Each rule is checked hit by hit as the rows are read (an ``EXISTS`` on the record), not by
building the set of every record the user may see first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.db import models
from django.db.models import Exists, OuterRef

if TYPE_CHECKING:
    from accord.accounts.models import RequestUser
    from accord.screening.models import Hit, IncomingHit  # noqa: F401  the type arguments below

__all__ = [
    "HIT_ACTIONS",
    "INCOMING_ACTIONS",
    "LIAISON_ROLES",
    "REVIEW_ROLES",
    "HitQuerySet",
    "IncomingHitQuerySet",
]

#: What may be done with a hit of this node: read it, or decide it (confirm or dismiss).
HIT_ACTIONS: Final = ("view", "review")
#: What may be done with a partner's hit: read it, or answer it with the action to take.
INCOMING_ACTIONS: Final = ("view", "answer")
#: Who reviews this node's hits.
REVIEW_ROLES: Final = frozenset({"supervisor"})
#: Who reads and answers partners' hits: the liaison officer, the single point of contact.
LIAISON_ROLES: Final = frozenset({"liaison"})


def _active(user: RequestUser | None) -> bool:
    return user is not None and bool(getattr(user, "is_active", False))


def _record_visible(user: RequestUser | None, purpose: str) -> Exists:
    """The hit's record is one ``user`` may read under ``purpose``."""
    from accord.intel.models import Record

    return Exists(Record.objects.restrict(user, purpose=purpose).filter(pk=OuterRef("record_id")))


class HitQuerySet(models.QuerySet["Hit"]):
    def restrict(
        self, user: RequestUser | None, purpose: str = "", action: str = "view"
    ) -> HitQuerySet:
        """Only the hits ``user`` may ``action`` ('view' or 'review') under ``purpose``."""
        if action not in HIT_ACTIONS:
            raise ValueError(f"unknown action on a hit: {action!r}")
        if not _active(user):
            return self.none()
        reviewer = getattr(user, "role", "") in REVIEW_ROLES
        if action == "review" and not reviewer:
            return self.none()
        rows = self.filter(_record_visible(user, purpose))
        return rows if reviewer else rows.filter(screening__user=user)


class IncomingHitQuerySet(models.QuerySet["IncomingHit"]):
    def restrict(
        self, user: RequestUser | None, purpose: str = "", action: str = "view"
    ) -> IncomingHitQuerySet:
        """Only the partners' hits ``user`` may ``action`` ('view' or 'answer') under
        ``purpose``."""
        if action not in INCOMING_ACTIONS:
            raise ValueError(f"unknown action on a partner's hit: {action!r}")
        if not _active(user) or getattr(user, "role", "") not in LIAISON_ROLES:
            return self.none()
        return self.filter(_record_visible(user, purpose))
