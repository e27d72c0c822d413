"""The legal officer's pages (/legal/) with the Django test client against a real database:
who may read and edit, history and audit of every change, refusals with the JSON path of the
error (audited, nothing stored), and the contradiction warning."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.agreements import nl_to_de_request

from accord.agreement import services
from accord.agreement.models import AgreementVersion, JurisdictionProfileRecord
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


def agreement(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "nl-de-ct",
        "version": 1,
        "title": "NL-DE counter-terrorism memorandum",
        "type": "bilateral_memorandum",
        "parties": ["NL", "DE"],
        "in_force": {"from": "2024-01-01", "until": None},
        "status": "in_force",
        "data_categories": ["persons"],
        "permitted_purposes": ["counter-terrorism"],
        "sharing_mode": "full",
        "onward_transfer": "with_consent",
        "max_retention_days": 730,
        "clauses": {"scope": "Art 2", "sharing_mode": "Art 5"},
    }
    data.update(extra)
    return data


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def legal(make_user, node_identity):
    return make_user("lena", role="legal")


@pytest.fixture
def lawyer(legal) -> Client:
    return client_for(legal)


def profile_post(**extra: Any) -> dict[str, Any]:
    de = services.current_profiles().get("DE")
    assert de is not None
    data: dict[str, Any] = {
        "name": de.name,
        "death_penalty": de.death_penalty,
        "ct_instruments": sorted(de.ct_instruments),
        "torture_risk": de.torture_risk,
        "notes": de.notes,
        "sources": "\n".join(de.sources),
        "change_note": "annual review 2026",
        "based_on": services.profile_history("DE")[0].version,
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


# -- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "supervisor", "liaison", "commander", "admin"])
def test_other_roles_get_403_and_their_writes_are_audited_as_denied(make_user, node_identity, role):
    client = client_for(make_user("someone", role=role))
    for url in ("/legal/", "/legal/profiles/", "/legal/profiles/DE/", "/legal/policies/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/legal/profiles/DE/edit/").status_code == 403
    assert client.post("/legal/profiles/DE/edit/", profile_post()).status_code == 403
    text = json.dumps(agreement())
    assert client.post("/legal/new-agreement/", {"text": text}).status_code == 403
    assert not JurisdictionProfileRecord.objects.exists()
    assert not AgreementVersion.objects.exists()
    denied = AuditEvent.objects.filter(outcome="denied", actor="someone")
    assert sorted(denied.values_list("action", flat=True)) == ["agreement.save", "profile.update"]


def test_oversight_reads_history_but_cannot_edit(make_user, legal, lawyer):
    lawyer.post("/legal/profiles/DE/edit/", profile_post(torture_risk="elevated"))
    oversight = client_for(make_user("otto", role="oversight"))
    page = oversight.get("/legal/profiles/DE/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "annual review 2026" in body and "lena" in body
    assert "Edit this profile" not in body and "Read only" in body
    assert oversight.get("/legal/profiles/DE/edit/").status_code == 403
    assert oversight.post("/legal/profiles/DE/edit/", profile_post()).status_code == 403
    assert JurisdictionProfileRecord.objects.filter(code="DE").count() == 2


def test_legal_link_is_in_the_navigation_of_legal_and_oversight_only(make_user, node_identity):
    for role, shown in (("legal", True), ("oversight", True), ("analyst", False)):
        page = client_for(make_user(f"u-{role}", role=role)).get("/")
        assert ('href="/legal/"' in page.content.decode()) is shown, role


# -- profiles ----------------------------------------------------------------------------------


def test_shipped_profiles_show_as_version_1_until_edited(lawyer):
    assert not JurisdictionProfileRecord.objects.exists()  # accord init stores none
    listing = lawyer.get("/legal/profiles/").content.decode()
    assert "Germany" in listing and "(shipped default)" in listing and "INTERPOL" in listing
    detail = lawyer.get("/legal/profiles/DE/").content.decode()
    assert "Version 1 (current)" in detail and "Shipped with Accord" in detail


def test_edit_profile_stores_shipped_v1_and_new_v2_with_history_and_audit(lawyer):
    response = lawyer.post(
        "/legal/profiles/DE/edit/",
        profile_post(torture_risk="high", sources="Report A 2026\nJudgment B"),
    )
    assert response.status_code == 302 and response["Location"] == "/legal/profiles/DE/"
    rows = JurisdictionProfileRecord.objects.filter(code="DE").order_by("version")
    assert [(r.version, r.data["torture_risk"], r.note) for r in rows] == [
        (1, "low", "shipped default"),
        (2, "high", "annual review 2026"),
    ]
    assert rows[1].data["sources"] == ["Report A 2026", "Judgment B"]
    event = AuditEvent.objects.filter(action="profile.update", outcome="ok").latest("seq")
    assert event.actor == "lena" and event.object_ids == ["DE"]
    assert event.detail["changed"] == ["sources", "torture_risk"]
    assert event.detail["note"] == "annual review 2026"
    page = lawyer.get("/legal/profiles/DE/").content.decode()
    assert "Version 2 (current)" in page and "Version 1" in page
    assert "<code>torture_risk</code>" in page and "Judgment B" in page
    listing = lawyer.get("/legal/profiles/").content.decode()
    assert "v2" in listing


def test_profile_without_change_note_is_refused_next_to_the_field_and_audited(lawyer):
    response = lawyer.post("/legal/profiles/DE/edit/", profile_post(change_note=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="change_note-error"' in body and "Say why you change the profile" in body
    assert not JurisdictionProfileRecord.objects.exists()
    event = AuditEvent.objects.filter(action="profile.update").latest("seq")
    assert event.outcome == "refused" and "change_note" in event.detail["errors"]


def test_profile_with_unknown_value_is_refused_and_keeps_what_was_typed(lawyer):
    response = lawyer.post(
        "/legal/profiles/DE/edit/", profile_post(torture_risk="none", notes="my draft")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="torture_risk-error"' in body and "my draft" in body  # nothing lost
    assert not JurisdictionProfileRecord.objects.exists()
    assert AuditEvent.objects.filter(action="profile.update", outcome="refused").exists()


def test_edit_based_on_an_old_version_is_refused_and_audited(lawyer, make_user):
    stale = profile_post(torture_risk="elevated")  # opened at version 1
    other = client_for(make_user("lars", role="legal"))
    assert other.post("/legal/profiles/DE/edit/", profile_post(notes="lars")).status_code == 302
    response = lawyer.post("/legal/profiles/DE/edit/", stale)
    assert response.status_code == 400
    body = response.content.decode()
    assert "the profile changed after you opened it: version 2 by lars is now current" in body
    assert 'name="based_on" value="2"' in body  # the next save starts from what is current
    assert JurisdictionProfileRecord.objects.filter(code="DE").count() == 2
    event = AuditEvent.objects.filter(action="profile.update").latest("seq")
    assert event.outcome == "refused" and event.actor == "lena"
    retry = lawyer.post("/legal/profiles/DE/edit/", {**stale, "based_on": 2})
    assert retry.status_code == 302
    assert JurisdictionProfileRecord.objects.filter(code="DE").count() == 3


def test_field_with_an_error_is_marked_for_assistive_technology(lawyer):
    body = lawyer.post("/legal/profiles/DE/edit/", profile_post(change_note="")).content.decode()
    assert 'aria-invalid="true"' in body and 'aria-describedby="change_note-error"' in body


def new_profile(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "ir",
        "name": "Iran",
        "death_penalty": "retentionist",
        "death_penalty_for_terrorism": "on",
        "torture_risk": "high",
        "sources": "Amnesty International, Death Sentences and Executions 2023",
        "change_note": "first assessment",
        "based_on": 0,
    }
    data.update(extra)
    return data


def test_new_jurisdiction_profile_then_an_agreement_may_name_it(lawyer):
    refused = lawyer.post(
        "/legal/new-agreement/", {"text": json.dumps(agreement(parties=["NL", "IR"]))}
    )
    assert '<span class="error-path">$.parties[1]</span>' in refused.content.decode()
    response = lawyer.post("/legal/profiles/new/", new_profile())
    assert response.status_code == 302 and response["Location"] == "/legal/profiles/IR/"
    row = JurisdictionProfileRecord.objects.get(code="IR")
    assert (row.version, row.data["death_penalty"], row.data["death_penalty_for_terrorism"]) == (
        1,
        "retentionist",
        True,
    )
    saved = lawyer.post(
        "/legal/new-agreement/", {"text": json.dumps(agreement(parties=["NL", "IR"]))}
    )
    assert saved.status_code == 302
    assert "Iran" in lawyer.get("/legal/profiles/").content.decode()


@pytest.mark.parametrize(
    ("code", "words"),
    [("DE", "DE has a profile already"), ("XX", "not an ISO 3166-1 alpha-2 country code")],
)
def test_new_profile_for_a_known_or_invalid_code_is_refused_next_to_the_code(lawyer, code, words):
    response = lawyer.post("/legal/profiles/new/", new_profile(code=code))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="code-error"' in body and words in body
    assert not JurisdictionProfileRecord.objects.exists()
    event = AuditEvent.objects.filter(action="profile.update").latest("seq")
    assert event.outcome == "refused"


def test_unknown_jurisdiction_has_no_profile_page(lawyer):
    assert lawyer.get("/legal/profiles/XX/").status_code == 404
    assert lawyer.get("/legal/profiles/XX/edit/").status_code == 404


# -- agreements --------------------------------------------------------------------------------


def test_new_agreement_then_new_version_with_history_and_cedar(lawyer):
    response = lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement())})
    assert response.status_code == 302 and response["Location"] == "/legal/agreements/nl-de-ct/"
    form = lawyer.get("/legal/agreements/nl-de-ct/new-version/").content.decode()
    assert "&quot;version&quot;: 2" in form  # the current JSON with the next version number
    second = agreement(version=2, max_retention_days=365)
    upload = SimpleUploadedFile("v2.json", json.dumps(second).encode(), "application/json")
    response = lawyer.post("/legal/agreements/nl-de-ct/new-version/", {"file": upload})
    assert response.status_code == 302
    assert list(
        AgreementVersion.objects.filter(agreement_id="nl-de-ct")
        .order_by("version")
        .values_list("version", "created_by")
    ) == [(1, "lena"), (2, "lena")]
    page = lawyer.get("/legal/agreements/nl-de-ct/").content.decode()
    assert "Version 2 (current)" in page and "Version 1" in page
    assert "<code>max_retention_days</code>" in page
    assert "@id(&quot;nl-de-ct.v2.permit&quot;)" in page  # the Cedar policies of version 2
    assert '<a href="/legal/profiles/DE/">DE</a>' in page  # each party links to its profile
    listing = lawyer.get("/legal/agreements/").content.decode()
    assert "in force" in listing and "NL, DE" in listing and "v2" in listing
    saves = AuditEvent.objects.filter(action="agreement.save", outcome="ok")
    assert [e.detail["version"] for e in saves.order_by("seq")] == [1, 2]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"parties": ["NL", "XX"]}, "$.parties[1]", "not a known jurisdiction"),
        ({"permitted_purposes": ["espionage"]}, "$.permitted_purposes[0]", "espionage"),
        ({"sharing_mode": "most"}, "$.sharing_mode", "most"),
        ({"in_force": {"from": "2024-01-01", "until": "2023-01-01"}}, "$.in_force.until", "before"),
    ],
)
def test_bad_agreement_is_refused_with_its_json_path_audited_nothing_stored(
    lawyer, change, path, words
):
    response = lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement(**change))})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'<span class="error-path">{path}</span>' in body
    assert words in body
    assert "&quot;nl-de-ct&quot;" in body  # the text typed is shown again, nothing lost
    assert not AgreementVersion.objects.exists()
    event = AuditEvent.objects.filter(action="agreement.save").latest("seq")
    assert event.outcome == "refused" and event.detail["path"] == path


def test_text_that_is_not_json_is_refused_with_line_and_column(lawyer):
    response = lawyer.post("/legal/new-agreement/", {"text": '{\n  "id": "x",\n  oops\n}'})
    assert response.status_code == 400
    body = response.content.decode()
    assert "not valid JSON" in body and "line 3, column 3" in body
    event = AuditEvent.objects.filter(action="agreement.save").latest("seq")
    assert event.outcome == "refused" and event.detail["path"] == "$"
    assert not AgreementVersion.objects.exists()


def test_empty_form_and_non_utf8_file_are_refused_and_audited(lawyer):
    assert lawyer.post("/legal/new-agreement/", {"text": "  "}).status_code == 400
    upload = SimpleUploadedFile("a.json", b"\xff\xfe{", "application/json")
    response = lawyer.post("/legal/new-agreement/", {"file": upload})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    assert AuditEvent.objects.filter(action="agreement.save", outcome="refused").count() == 2


def test_version_page_refuses_another_id_and_new_page_refuses_an_existing_one(lawyer):
    lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement())})
    other = json.dumps(agreement(id="nl-fr-ct", parties=["NL", "FR"], version=2))
    response = lawyer.post("/legal/agreements/nl-de-ct/new-version/", {"text": other})
    assert response.status_code == 400 and "is not this agreement" in response.content.decode()
    again = json.dumps(agreement(version=5))
    response = lawyer.post("/legal/new-agreement/", {"text": again})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    stale = json.dumps(agreement(version=1, title="changed"))
    response = lawyer.post("/legal/agreements/nl-de-ct/new-version/", {"text": stale})
    assert '<span class="error-path">$.version</span>' in response.content.decode()
    assert AgreementVersion.objects.count() == 1


def test_withdrawn_agreement_shows_no_policy(lawyer):
    lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement())})
    lawyer.post(
        "/legal/agreements/nl-de-ct/new-version/",
        {"text": json.dumps(agreement(version=2, status="withdrawn"))},
    )
    page = lawyer.get("/legal/agreements/nl-de-ct/").content.decode()
    assert "No policy: the agreement is withdrawn" in page
    assert "withdrawn" in lawyer.get("/legal/agreements/").content.decode()


def test_contradiction_is_shown_with_which_agreements_what_and_the_stricter_winner(lawyer):
    lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement())})
    eu = agreement(
        id="eu-de-nl-matching",
        title="Matching arrangement",
        parties=["NL", "DE", "FR"],
        sharing_mode="hit_no_hit",
        onward_transfer="forbidden",
    )
    response = lawyer.post("/legal/new-agreement/", {"text": json.dumps(eu)}, follow=True)
    body = response.content.decode()
    assert "Contradiction: eu-de-nl-matching v1 and nl-de-ct v1 overlap" in body  # the message
    listing = lawyer.get("/legal/agreements/").content.decode()
    assert "Contradictions between agreements in force" in listing
    assert "between DE, NL for persons for the purpose counter-terrorism" in listing
    assert (
        "Sharing mode: eu-de-nl-matching says hit/no-hit only, nl-de-ct says full sharing; "
        "the stricter one wins: eu-de-nl-matching (hit/no-hit only)"
    ) in listing
    assert "Onward transfer" in listing
    event = AuditEvent.objects.filter(action="agreement.save", outcome="ok").latest("seq")
    assert "stricter one wins" in event.detail["contradictions"][0]
    # The engine decides as the page says: the stricter agreement (hit/no-hit) wins for NL->DE.
    from accord.engine.policy import Decision

    result = services.policy_engine().decide(nl_to_de_request())
    assert result.decision is Decision.HIT_NO_HIT_ONLY
    # Not contradicting any more once the stricter one is withdrawn.
    lawyer.post(
        "/legal/agreements/eu-de-nl-matching/new-version/",
        {"text": json.dumps({**eu, "version": 2, "status": "withdrawn"})},
    )
    assert "Contradictions between" not in lawyer.get("/legal/agreements/").content.decode()


def test_policies_page_and_schema(lawyer):
    lawyer.post("/legal/new-agreement/", {"text": json.dumps(agreement())})
    page = lawyer.get("/legal/policies/").content.decode()
    assert "safeguard.death_penalty" in page and "nl-de-ct.v1.permit" in page
    schema = lawyer.get("/legal/agreement.schema.json").json()
    assert schema["title"] == "Accord information-sharing agreement"
