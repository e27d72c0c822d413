"""The extension registry (:mod:`accord.node.extensions`): registering twice is one entry, a
taken or reserved name and an undeclared point are refused, order is kept; and what the node's
apps register, in one table, so that a change to an extension point shows here."""

from __future__ import annotations

from typing import Any

import pytest

from accord.node import extensions
from accord.node.extensions import (
    ADMISSION_HOOK,
    ENVELOPE_MEMBER,
    NOTICE_HANDLER,
    POINTS,
    RECEIVE_HOOK,
    RETRY_AFTER_WORKER_DEATH,
    SCHEDULE,
    WORKER_DEATH_SETTLER,
    ExtensionError,
    ExtensionPoint,
    ExtensionRegistry,
    ScheduleEntry,
)


def _member(peer: Any, items: list[Any]) -> dict[str, Any]:
    return {"x_one": len(items)}


def _other_member(peer: Any, items: list[Any]) -> dict[str, Any]:
    return {"x_two": len(items)}


def _handler(peer: Any, body: dict[str, Any]) -> str:
    return ""


@pytest.fixture
def registry() -> ExtensionRegistry:
    return ExtensionRegistry(POINTS)


def test_registering_the_same_value_twice_is_one_entry(registry):
    first = registry.register("alpha", ENVELOPE_MEMBER, "alpha.one", _member)
    again = registry.register("alpha", ENVELOPE_MEMBER, "alpha.one", _member)
    assert again is first
    assert registry.registered(ENVELOPE_MEMBER) == (_member,)
    assert len(registry.registrations(ENVELOPE_MEMBER)) == 1


def test_an_equal_schedule_entry_built_again_is_the_same_registration(registry):
    # ``ready`` builds its entries anew each time it runs: equal values are one entry.
    for _ in range(2):
        registry.register("alpha", SCHEDULE, "alpha.tick", ScheduleEntry(every=5.0, run=list))
    assert [r.name for r in registry.registrations(SCHEDULE)] == ["alpha.tick"]


def test_another_value_under_a_taken_name_is_refused(registry):
    registry.register("alpha", ENVELOPE_MEMBER, "alpha.one", _member)
    with pytest.raises(ExtensionError, match=r"already registered .* by alpha"):
        registry.register("alpha", ENVELOPE_MEMBER, "alpha.one", _other_member)
    with pytest.raises(ExtensionError, match="already registered"):
        registry.register("beta", ENVELOPE_MEMBER, "alpha.one", _member)
    assert registry.registered(ENVELOPE_MEMBER) == (_member,)


def test_an_unknown_point_is_refused(registry):
    with pytest.raises(ExtensionError, match=r"no extension point 'federation\.nothing'"):
        registry.register("alpha", "federation.nothing", "alpha.one", _member)
    stranger: ExtensionPoint[Any] = ExtensionPoint("federation.receive", "not the declared one")
    with pytest.raises(ExtensionError, match="no extension point"):
        registry.register("alpha", stranger, "alpha.one", _member)
    with pytest.raises(ExtensionError, match="no extension point"):
        registry.registered(stranger)


def test_a_reserved_name_and_an_empty_name_are_refused(registry):
    with pytest.raises(ExtensionError, match="'ack' is reserved"):
        registry.register("screening", NOTICE_HANDLER, "ack", _handler)
    with pytest.raises(ExtensionError, match="needs a name"):
        registry.register("screening", NOTICE_HANDLER, "", _handler)
    assert registry.lookup(NOTICE_HANDLER, "ack") is None


def test_registration_order_is_kept(registry):
    registry.register("beta", ENVELOPE_MEMBER, "zeta", _other_member)
    registry.register("alpha", ENVELOPE_MEMBER, "alpha", _member)
    registry.register("beta", ENVELOPE_MEMBER, "zeta", _other_member)  # again: stays first
    assert registry.registered(ENVELOPE_MEMBER) == (_other_member, _member)
    assert [(r.app, r.name) for r in registry.registrations()] == [
        ("beta", "zeta"),
        ("alpha", "alpha"),
    ]


def test_lookup_by_name(registry):
    registry.register("screening", NOTICE_HANDLER, "screening.hit", _handler)
    assert registry.lookup(NOTICE_HANDLER, "screening.hit") is _handler
    assert registry.lookup(NOTICE_HANDLER, "screening.other") is None


def test_isolated_forgets_what_was_registered_inside(registry):
    registry.register("alpha", ENVELOPE_MEMBER, "alpha.one", _member)
    with registry.isolated():
        registry.register("beta", ENVELOPE_MEMBER, "beta.one", _other_member)
        assert len(registry.registered(ENVELOPE_MEMBER)) == 2
    assert registry.registered(ENVELOPE_MEMBER) == (_member,)


def test_a_schedule_entry_needs_a_task_or_a_callable():
    with pytest.raises(ExtensionError, match="a task to queue or a callable"):
        ScheduleEntry(every=1.0)
    assert ScheduleEntry(every=lambda: -3.0, run=list).interval() == 0.0


def test_dissemination_reserves_its_own_notice_kinds():
    from accord.dissemination.notices import NOTICE_KINDS

    assert frozenset(NOTICE_KINDS) == NOTICE_HANDLER.reserved


def test_what_the_node_registers():
    """Every registration of the node's apps, point by point, in the order the core runs
    them (``INSTALLED_APPS``, then each ``ready``)."""
    seen = {p.name: [(r.app, r.name) for r in extensions.registrations(p)] for p in POINTS}
    assert seen == {
        ADMISSION_HOOK.name: [("dissemination", "dissemination.disclosures")],
        RECEIVE_HOOK.name: [("dissemination", "dissemination.provenance")],
        ENVELOPE_MEMBER.name: [("dissemination", "dissemination.disclosures")],
        NOTICE_HANDLER.name: [
            ("screening", "screening.hit"),
            ("screening", "screening.hit_answer"),
        ],
        SCHEDULE.name: [
            ("feeds", "feeds.poll"),
            ("federation", "federation.recover"),
            ("federation", "federation.delivery"),
            ("federation", "federation.pull"),
            ("federation", "federation.prune_nonces"),
            ("dissemination", "dissemination.notices"),
            ("screening", "screening.retention"),
        ],
        RETRY_AFTER_WORKER_DEATH.name: [
            ("federation", "accord.federation.tasks.deliver_outbox"),
            ("federation", "accord.federation.tasks.pull_peers"),
        ],
        WORKER_DEATH_SETTLER.name: [
            ("intel", "accord.intel.tasks.run_import_job"),
            ("screening", "accord.screening.tasks.run_screening_job"),
        ],
    }


def test_the_schedule_as_registered():
    """Intervals and first runs of the node's schedule (seconds; None: one interval)."""
    from accord.federation.pull import pull_interval

    table = {
        r.name: (r.value.interval(), r.value.first_after, r.value.task_path())
        for r in extensions.registrations(SCHEDULE)
    }
    assert table == {
        "feeds.poll": (60.0, 5.0, "accord.feeds.tasks.run_feed_pull"),
        "federation.recover": (5.0, 0.0, ""),
        "federation.delivery": (1.0, 0.0, "accord.federation.tasks.deliver_outbox"),
        "federation.pull": (float(pull_interval()), None, "accord.federation.tasks.pull_peers"),
        "federation.prune_nonces": (60.0, 60.0, ""),
        "dissemination.notices": (
            1.0,
            0.0,
            "accord.dissemination.notices.deliver_notices_task",
        ),
        "screening.retention": (60.0, 0.0, "accord.screening.retention.apply_hit_retention"),
    }
