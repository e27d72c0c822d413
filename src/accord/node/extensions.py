"""The node's extension points: one typed registry that each app fills in its ``AppConfig.ready``.

The core (the peers transport, the dissemination notices, the worker's schedule) never keeps a
list that other apps append to. It declares an :class:`ExtensionPoint` here, with the
signature of what may be plugged in, and iterates :func:`registered` (or looks one up with
:func:`lookup`). An app plugs in with :func:`register`, naming itself, the point, a name for
what it registers (unique within the point) and the value; every app's registrations are
therefore in its ``ready`` method, and :func:`registrations` lists them all (tests, ``accord
tasks list``).

Rules the registry enforces:

- registering the same name with the same value again changes nothing (``ready`` may run more
  than once, as in tests), and keeps the first position;
- the same name with another value, a name the point reserves, or a point the registry does not
  declare is refused (:class:`ExtensionError`);
- values are iterated in the order they were registered (the order of ``INSTALLED_APPS``, then
  of the calls in each ``ready``).

The points (see docs/architecture.md, "Extension points"):

====================================  ============================================================
:data:`ADMISSION_HOOK`                :class:`AdmissionHook`: may refuse objects of a signed push
                                      before anything of it is stored (peers inbox)
:data:`RECEIVE_HOOK`                  :class:`ReceiveHook`: runs after a push's objects are stored,
                                      in the same transaction (peers inbox)
:data:`ENVELOPE_MEMBER`               :class:`EnvelopeMember`: adds members beside ``objects`` in a
                                      pushed or pulled envelope (peers delivery and pull)
:data:`NOTICE_HANDLER`                :class:`NoticeHandler`: receives signed notices of a kind
                                      (dissemination notices; the key is the kind)
:data:`SCHEDULE`                      :class:`ScheduleEntry`: work the task worker's schedule
                                      queues at an interval (:mod:`accord.node.schedule`)
:data:`RETRY_AFTER_WORKER_DEATH`      a django-tasks task that may run again when its worker died
                                      running it (:mod:`accord.federation.workers`)
:data:`WORKER_DEATH_SETTLER`          :class:`WorkerDeathSettler`: settles a task's own record
                                      (a job row) when its worker died running it
====================================  ============================================================
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from django.apps import AppConfig
    from django_tasks.base import Task

    from accord.federation.models import OutboxItem, Peer

__all__ = [
    "ADMISSION_HOOK",
    "ENVELOPE_MEMBER",
    "NOTICE_HANDLER",
    "POINTS",
    "RECEIVE_HOOK",
    "REGISTRY",
    "RETRY_AFTER_WORKER_DEATH",
    "SCHEDULE",
    "WORKER_DEATH_SETTLER",
    "AdmissionHook",
    "EnvelopeMember",
    "ExtensionError",
    "ExtensionPoint",
    "ExtensionRegistry",
    "NoticeHandler",
    "ReceiveHook",
    "Registration",
    "ScheduleEntry",
    "WorkerDeathSettler",
    "isolated",
    "lookup",
    "register",
    "registered",
    "registrations",
]

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# What may be plugged in


class AdmissionHook(Protocol):
    """Runs inside the peers inbox's transaction (:func:`~accord.federation.services.
    receive_envelope`) BEFORE the objects are stored, on the ``indexes`` of ``objects`` whose
    signature and provenance passed; returns ``{index: reason}`` for those it refuses: each is
    refused with the reason and nothing of it is stored."""

    def __call__(
        self, peer: Peer, envelope: Mapping[str, Any], objects: Sequence[Any], indexes: list[int]
    ) -> dict[int, str]: ...


class ReceiveHook(Protocol):
    """Runs inside the peers inbox's transaction after the objects are stored; ``successes``
    lists ``{"id", "version"}`` of each object the push delivered (stored now or before)."""

    def __call__(
        self, peer: Peer, envelope: Mapping[str, Any], successes: list[dict[str, str]]
    ) -> None: ...


class EnvelopeMember(Protocol):
    """Returns members to add beside ``objects`` to the envelope carrying ``items`` to
    ``peer`` (pushed by the delivery, or served to the peer's pull). The envelope body is
    covered by the signed ``Content-Digest``, so these members travel signed."""

    def __call__(self, peer: Peer, items: list[OutboxItem]) -> dict[str, Any]: ...


class NoticeHandler(Protocol):
    """Applies a received signed notice of its kind, inside the receiving transaction, and
    writes its own audit entry; returns ``""`` when applied, else why it was refused."""

    def __call__(self, peer: Peer, body: dict[str, Any]) -> str: ...


class WorkerDeathSettler(Protocol):
    """Settles a task's own record (an import or screening job left ``running``) when the
    worker died while running it: called with the task's stored ``args_kwargs`` and the reason,
    in the transaction that fails the task."""

    def __call__(self, args_kwargs: dict[str, Any], reason: str) -> None: ...


@dataclass(frozen=True)
class ScheduleEntry:
    """Work that the task worker's schedule (:mod:`accord.node.schedule`) starts at an interval.

    Every ``every`` seconds (a number, or a callable read at each tick so that a setting can
    change it; 0 or less turns the entry off) the schedule calls ``due`` (a cheap check; no
    check: always due) and, when due, ``run``, or, when there is no ``run``, queues ``task``.
    ``run`` runs in the schedule's thread of the worker process, so it must be short: it queues
    a task (with its own rule against queueing twice), or does a few indexed reads and writes.
    ``task`` names the django-tasks task the entry queues, whose queued, running and failed
    results ``accord tasks list`` counts. The first run is ``first_after`` seconds after the
    worker starts (``None``: one interval). An entry that raises is logged and tried again at
    its next interval; the others run as usual.
    """

    every: float | Callable[[], float]
    task: Task[Any, Any] | None = None
    run: Callable[[], object] | None = None
    due: Callable[[], bool] | None = None
    first_after: float | None = 0.0
    summary: str = ""

    def __post_init__(self) -> None:
        if self.task is None and self.run is None:
            raise ExtensionError("a schedule entry needs a task to queue or a callable to run")

    def interval(self) -> float:
        """Seconds between two runs now (0: off)."""
        every = self.every() if callable(self.every) else self.every
        return max(0.0, float(every))

    def task_path(self) -> str:
        """The queued task's path (``module.function``), as the task table stores it; ''."""
        return str(self.task.module_path) if self.task is not None else ""

    def start(self) -> object:
        """Run the entry's work once: ``run()``, or queue ``task``."""
        if self.run is not None:
            return self.run()
        assert self.task is not None
        return self.task.enqueue()


# --------------------------------------------------------------------------------------------
# The registry


class ExtensionError(ValueError):
    """A registration the registry refuses (the message says why)."""


@dataclass(frozen=True)
class ExtensionPoint(Generic[T]):
    """A place where apps plug code into the core: its ``name``, what it is for, and the names
    nobody may register there (``reserved``: the owner's own, handled without the registry)."""

    name: str
    summary: str
    reserved: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Registration(Generic[T]):
    """One registration: at ``point``, ``name`` by ``app`` (its label) is ``value``."""

    point: str
    name: str
    app: str
    value: T


class ExtensionRegistry:
    """The registrations of every declared :class:`ExtensionPoint`, in registration order."""

    def __init__(self, points: Sequence[ExtensionPoint[Any]]) -> None:
        self._points = {p.name: p for p in points}
        self._entries: dict[str, dict[str, Registration[Any]]] = {p.name: {} for p in points}
        self._lock = threading.Lock()

    def points(self) -> tuple[ExtensionPoint[Any], ...]:
        """The declared points."""
        return tuple(self._points.values())

    def _point(self, point: ExtensionPoint[Any] | str) -> ExtensionPoint[Any]:
        name = point if isinstance(point, str) else point.name
        declared = self._points.get(name)
        if declared is None or (not isinstance(point, str) and point != declared):
            known = ", ".join(sorted(self._points))
            raise ExtensionError(f"no extension point {name!r} (the points are: {known})")
        return declared

    def register(
        self, app: AppConfig | str, point: ExtensionPoint[T] | str, name: str, value: T
    ) -> Registration[T]:
        """Register ``value`` as ``name`` at ``point`` for ``app`` (an ``AppConfig`` or its
        label); call it from the app's ``ready``. Idempotent for the same value; refuses
        another value under a registered name, a reserved name, and an undeclared point."""
        declared = self._point(point)
        label = app if isinstance(app, str) else app.label
        if not name:
            raise ExtensionError(f"a registration at {declared.name!r} needs a name")
        if name in declared.reserved:
            raise ExtensionError(f"{name!r} is reserved at {declared.name!r} by its owner")
        with self._lock:
            entries = self._entries[declared.name]
            existing = entries.get(name)
            if existing is not None:
                if existing.value == value and existing.app == label:
                    return existing
                raise ExtensionError(
                    f"{name!r} is already registered at {declared.name!r} by {existing.app}"
                )
            registration: Registration[T] = Registration(declared.name, name, label, value)
            entries[name] = registration
            return registration

    def registered(self, point: ExtensionPoint[T]) -> tuple[T, ...]:
        """The values registered at ``point``, in registration order (what the core iterates)."""
        entries = self._entries[self._point(point).name]
        return tuple(r.value for r in entries.values())

    def lookup(self, point: ExtensionPoint[T], name: str) -> T | None:
        """The value registered as ``name`` at ``point``; None when there is none."""
        registration = self._entries[self._point(point).name].get(name)
        return registration.value if registration is not None else None

    def registrations(self, point: ExtensionPoint[T] | None = None) -> tuple[Registration[T], ...]:
        """Every registration (at ``point``, or at all points in their declared order)."""
        names = [self._point(point).name] if point is not None else list(self._points)
        return tuple(r for n in names for r in self._entries[n].values())

    @contextmanager
    def isolated(self) -> Iterator[ExtensionRegistry]:
        """For tests: registrations made inside the block are forgotten after it."""
        with self._lock:
            saved = {n: dict(e) for n, e in self._entries.items()}
        try:
            yield self
        finally:
            with self._lock:
                self._entries = saved


#: Objects of a signed push checked before anything is stored (peers inbox).
ADMISSION_HOOK: ExtensionPoint[AdmissionHook] = ExtensionPoint(
    "federation.admission", "refuses objects of a signed push before anything of it is stored"
)
#: What runs after a signed push's objects are stored, in the same transaction (peers inbox).
RECEIVE_HOOK: ExtensionPoint[ReceiveHook] = ExtensionPoint(
    "federation.receive", "runs after a signed push's objects are stored, in its transaction"
)
#: Members beside ``objects`` in the envelopes the delivery pushes and the pull serves.
ENVELOPE_MEMBER: ExtensionPoint[EnvelopeMember] = ExtensionPoint(
    "federation.envelope_member",
    "adds signed members beside objects in pushed and pulled envelopes",
)
#: Handlers of signed notices, by kind (dissemination's own kinds are reserved).
NOTICE_HANDLER: ExtensionPoint[NoticeHandler] = ExtensionPoint(
    "dissemination.notice_handler",
    "receives the signed notices of a kind (the name is the kind)",
    reserved=frozenset({"ack", "consent_request", "consent_answer"}),
)
#: The task worker's schedule.
SCHEDULE: ExtensionPoint[ScheduleEntry] = ExtensionPoint(
    "schedule", "work the task worker's schedule starts at an interval"
)
#: Tasks that may run again when their worker died running them (named by their task path).
RETRY_AFTER_WORKER_DEATH: ExtensionPoint[Task[Any, Any]] = ExtensionPoint(
    "workers.retry_after_death", "tasks queued again when their worker died running them"
)
#: What settles a task's own record when its worker died running it (by task path).
WORKER_DEATH_SETTLER: ExtensionPoint[WorkerDeathSettler] = ExtensionPoint(
    "workers.death_settler", "settles a task's own record when its worker died running it"
)

POINTS: tuple[ExtensionPoint[Any], ...] = (
    ADMISSION_HOOK,
    RECEIVE_HOOK,
    ENVELOPE_MEMBER,
    NOTICE_HANDLER,
    SCHEDULE,
    RETRY_AFTER_WORKER_DEATH,
    WORKER_DEATH_SETTLER,
)

#: The node's registry.
REGISTRY = ExtensionRegistry(POINTS)

register = REGISTRY.register
registered = REGISTRY.registered
lookup = REGISTRY.lookup
registrations = REGISTRY.registrations
isolated = REGISTRY.isolated
