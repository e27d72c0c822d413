"""Property-based tests of the REST API from its own OpenAPI document (schemathesis).

The document is read from ``/api/openapi.json`` of the node's ASGI application (Django behind
the request guard, as ``accord serve`` runs it), in process, against a real database holding
the authorisation matrix's world (:mod:`tests.security.world`: records of every protection, a
screening hit, a dissemination waiting for approval, a partner's hit, a consent request). Every
operation is called as an analyst, a supervisor and a liaison officer, each with an API token,
with requests schemathesis derives from the document: its examples, its boundary values
(coverage phase) and random valid data (fuzzing phase). Each answer is checked:

- never a server error (5xx);
- its status code, content type (errors ``application/problem+json``), headers and body as the
  document gives them;
- a request the document says is valid is not refused as invalid input (400/422), except for a
  refusal in :data:`STATE_DEPENDENT`: one that depends on state the document cannot express
  (who is a member of which case, which purposes a role may declare, which peers exist, the
  STIX grammar), listed with its reason and the condition under which it is right.

Identifiers (records, hits, jobs, disseminations...) and the case header are drawn half the time
from the world, so that requests reach the objects behind them, and half the time generated (a
404 or the listed refusal); the records and recipients listed in a dissemination mostly from it.

One test per role runs every operation through schemathesis's own test builder (the examples,
coverage and fuzzing phases of ``schemathesis run``), so that the world is built once per role
in one transactional test (the handler's threads read it through their own connections);
``schema.parametrize()`` would make a test, a database and a world per operation.

Profiles (``ACCORD_FUZZ_PROFILE``, as the rest of the fuzz suite): ``ci`` (``make test``)
generates :data:`FUZZING_EXAMPLES` cases per operation and role in the fuzzing phase, derived
from a fixed seed; ``long`` (``make fuzz``) many more, at random. The examples and coverage
phases add the same cases in both. The cases run per operation are added to the fuzz suite's
report (``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pytest
import schemathesis
from django.core.asgi import get_asgi_application
from django.db import connections
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accord.accounts.choices import role_may_declare
from accord.node.request_guard import RequestGuard
from tests.fuzz.support import EXECUTIONS, PROFILE
from tests.security.world import World, build_world

__all__ = ["STATE_DEPENDENT", "StateDependentRefusal"]

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

#: Cases per operation and role in the fuzzing phase (``ACCORD_FUZZ_EXAMPLES`` scales it as
#: it scales the other targets: a tenth of the inputs per parser).
FUZZING_EXAMPLES: Final = int(
    int(os.environ["ACCORD_FUZZ_EXAMPLES"]) // 10
    if os.environ.get("ACCORD_FUZZ_EXAMPLES")
    else (10 if PROFILE == "ci" else 500)
)

#: The user of each role (tests.security.world): alice is a member of CASE-1 and owns the
#: protected records, sam is a supervisor in CASE-1, leo a liaison officer in no case.
CALLERS: Final = {"analyst": "alice", "supervisor": "sam", "liaison": "leo"}

#: The probability that an identifier or the case header is drawn from the world; an item of
#: a list (the records and recipients of a dissemination) is drawn from it more often, so that
#: a whole list names what exists now and then.
FROM_WORLD: Final = 0.5
ITEM_FROM_WORLD: Final = 0.9


@dataclass(frozen=True)
class Caller:
    """Who calls, and the state that decides refusals the document cannot express."""

    role: str
    token: str
    cases: frozenset[str]
    peers: frozenset[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _header(case: Any, name: str) -> str:
    for key, value in (case.headers or {}).items():
        if key.lower() == name.lower():
            return str(value).strip()
    return ""


def _body(case: Any) -> Any:
    body = case.body
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class StateDependentRefusal:
    """A refusal of a request the document calls valid, right because of state the document
    cannot express: ``operations`` (a pattern on ``METHOD /path``), the status, the problem's
    error ``path`` (a pattern) and the start of its message, the ``reason``, and the condition
    under which this request must be refused (``applies``)."""

    operations: str
    status: int
    path: str
    message: str
    reason: str
    applies: Callable[[Any, Caller], bool]

    def explains(self, case: Any, caller: Caller, status: int, error: dict[str, Any]) -> bool:
        return (
            status == self.status
            and re.fullmatch(self.operations, case.operation.label) is not None
            and re.fullmatch(self.path, str(error.get("path", "")), re.DOTALL) is not None
            and str(error.get("message", "")).startswith(self.message)
            and self.applies(case, caller)
        )


STATE_DEPENDENT: Final[tuple[StateDependentRefusal, ...]] = (
    StateDependentRefusal(
        operations=r".*",
        status=422,
        path=r"header:X-Accord-Case",
        message="no such case for you",
        reason=(
            "X-Accord-Case names a case the caller is a member of; which cases exist and who "
            "belongs to them is data, so the document can only give the header's form"
        ),
        applies=lambda case, caller: _header(case, "X-Accord-Case") not in caller.cases,
    ),
    StateDependentRefusal(
        operations=r".*",
        status=422,
        path=r"header:X-Accord-Purpose",
        message="not yours to declare",
        reason=(
            "oversight-review may be declared only by roles that review (record.review); one "
            "document serves every role, so it lists every purpose"
        ),
        applies=lambda case, caller: (
            not role_may_declare(
                caller.role, _header(case, "X-Accord-Purpose") or "counter-terrorism"
            )
        ),
    ),
    StateDependentRefusal(
        operations=r"POST /api/records",
        status=422,
        path=r"(?!header:|query:).*",
        message="",
        reason=(
            "the body is one STIX 2.1 object, checked by the engine's STIX validator against "
            "STIX 2.1 and the node's marking and extension definitions, and written only by "
            "who may change the record; the document gives the limits a JSON schema can state "
            "and a valid object as its example (the example must be stored: it is not exempt)"
        ),
        applies=lambda case, caller: case.meta is None or case.meta.phase.name.value != "examples",
    ),
    StateDependentRefusal(
        operations=r"POST /api/screenings",
        status=422,
        path=r"file(:.*)?",
        message="",
        reason=(
            "a batch is a document of the declared format (CSV columns, JSON lines, PAXLST, "
            "PNRGOV); its grammar is not a JSON schema"
        ),
        applies=lambda case, caller: case.media_type == "multipart/form-data",
    ),
    StateDependentRefusal(
        operations=r"POST /api/disseminations(/preview)?",
        status=422,
        path=r"body",
        message="unknown or disabled recipient(s)",
        reason="recipients are the peers this node knows and has enabled: data, not schema",
        applies=lambda case, caller: not set(_body(case).get("recipients", ())) <= caller.peers,
    ),
)


def _explained(case: Any, response: Any, caller: Caller) -> bool:
    """Whether every error of the refusal is one of :data:`STATE_DEPENDENT`, and right here."""
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if not errors:
        return False
    return all(
        any(r.explains(case, caller, response.status_code, e) for r in STATE_DEPENDENT)
        for e in errors
    )


def _acceptance(caller: Caller) -> Callable[[Any, Any, Any], bool | None]:
    """schemathesis's positive-data check, less the refusals of :data:`STATE_DEPENDENT`."""

    def positive_data_acceptance_with_state(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            return positive_data_acceptance(ctx, response, case)
        except RejectedPositiveData:
            if _explained(case, response, caller):
                return None
            raise

    return positive_data_acceptance_with_state


def _config(world: World, caller: Caller) -> Any:
    ids = world.ids
    dictionaries: dict[str, Any] = {
        "records": {"values": sorted(o["id"] for o in world.records.values())},
        "hits": {"values": [ids["hit"]]},
        "jobs": {"values": [ids["import"], ids["screening_job"]]},
        "incoming": {"values": [ids["incoming"]]},
        "disseminations": {"values": [ids["dissemination"]]},
        "approvals": {"values": [ids["approval"]]},
        "consents": {"values": [ids["consent"]]},
        "peers": {"values": sorted(caller.peers)},
    }
    parameters: dict[str, Any] = {
        f"path.{name}": {"dictionary": dictionary, "probability": FROM_WORLD}
        for name, dictionary in (
            ("stix_id", "records"),
            ("hit_id", "hits"),
            ("job_id", "jobs"),
            ("incoming_id", "incoming"),
            ("dissemination_id", "disseminations"),
            ("approval_id", "approvals"),
            ("consent_id", "consents"),
        )
    }
    parameters["body.records[*]"] = {"dictionary": "records", "probability": ITEM_FROM_WORLD}
    parameters["body.recipients[*]"] = {"dictionary": "peers", "probability": ITEM_FROM_WORLD}
    if caller.cases:
        dictionaries["cases"] = {"values": sorted(caller.cases)}
        parameters["header.X-Accord-Case"] = {"dictionary": "cases", "probability": FROM_WORLD}
    return schemathesis.Config.from_dict(
        {
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "generation": {
                "mode": "positive",
                "max-examples": FUZZING_EXAMPLES,
                "deterministic": PROFILE == "ci",
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "dictionaries": dictionaries,
            "parameters": parameters,
        }
    )


#: Django behind the request guard, as ``accord.node.asgi`` serves it.
APP: Final = RequestGuard(get_asgi_application())


def _caller(world: World, role: str) -> Caller:
    from accord.federation.models import Peer
    from accord.intel.models import Case

    user = world.users[CALLERS[role]]
    return Caller(
        role=role,
        token=world.tokens[CALLERS[role]],
        cases=frozenset(Case.objects.filter(members=user).values_list("reference", flat=True)),
        peers=frozenset(Peer.objects.filter(enabled=True).values_list("node_id", flat=True)),
    )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    """The authorisation matrix's world; its users have API tokens and no password (no
    password hashing: the tokens are what the API is called with). The connections of the
    handler's threads close after each request, so that none outlives the test."""
    from accord.accounts.services import add_user

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    def make_user(username: str, role: str = "analyst", agency: str = "", **_: Any) -> Any:
        return add_user(None, username, role=role, password=None, agency=agency)

    return build_world(make_user)


#: This module as the fuzz suite's report names it.
MODULE: Final = f"{__name__.rsplit('.', 1)[-1]}.py"


def _call(caller: Caller, checks: list[Any], counts: list[float]) -> Callable[[Any], None]:
    """One case: sent with the caller's token, counted (cases and seconds in the node), and
    its answer checked."""

    def call(case: Any) -> None:
        started = time.perf_counter()
        response = case.call(headers=caller.headers)
        counts[0] += 1
        counts[1] += time.perf_counter() - started
        case.validate_response(response, checks=checks, headers=caller.headers)

    return call


@pytest.mark.parametrize("role", list(CALLERS))
def test_api_conforms_to_its_openapi_document(world: World, role: str) -> None:
    caller = _caller(world, role)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP, config=_config(world, caller))
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        _acceptance(caller),
    ]
    documented = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
    }
    failures: list[str] = []
    tested = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        tested.add(operation.label)
        counts = EXECUTIONS.setdefault(f"{MODULE} {role} {operation.label}", [0, 0.0])
        test = create_test(
            operation=operation,
            test_func=_call(caller, checks, counts),
            config=HypothesisTestConfig(
                project=schema.config,
                modes=[
                    HypothesisTestMode.EXAMPLES,
                    HypothesisTestMode.COVERAGE,
                    HypothesisTestMode.FUZZING,
                ],
                settings=schema.config.get_hypothesis_settings(
                    operation=operation, phase="fuzzing"
                ),
                explicit_setting_names=schema.config.explicit_hypothesis_settings(
                    operation=operation, phase="fuzzing"
                ),
            ),
        )
        try:
            test()
        except (Exception, FailureGroup) as exc:  # every operation runs; reported together
            failures.append(f"{role} {operation.label}:\n{exc}")
    assert tested == documented
    assert not failures, "\n\n".join(failures)
