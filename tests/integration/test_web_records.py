"""Web UI: dashboard, search (plain and htmx), record page, history, roles, working context."""

from __future__ import annotations

import copy
import html as htmllib

import pytest
from tests.browser.samples import (
    HOSTILE_ID,
    HOSTILE_NAME,
    PERSON_ID,
    RELATIONSHIP_ID,
    sample_objects,
)

from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(db):
    report = ingest_objects(None, sample_objects(), source="web-test")
    assert report.ok, report.refused
    return report


@pytest.fixture
def analyst_client(client, make_user):
    client.force_login(make_user("ana"))
    return client


def test_dashboard_counts_visible_records_by_type_and_tlp_and_lists_own_audit(
    analyst_client, records
):
    analyst_client.get(f"/records/{PERSON_ID}/")  # an audited read
    page = analyst_client.get("/").content.decode()
    assert 'hx-get="/dashboard/counts/"' in page  # counts come after the page (htmx)
    assert "record.read" in page  # the user's own audit entries
    partial = analyst_client.get("/dashboard/counts/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Records you can see, by type" in partial
    html = analyst_client.get("/", {"counts": "1"}).content.decode()  # without JavaScript
    assert "Records you can see, by type" in html
    assert '>identity</a></td><td class="num">2<' in html
    assert 'tlp-amber">TLP:AMBER</span></td><td class="num">1<' in html
    assert 'tlp-green">TLP:GREEN</span></td><td class="num">' in html
    assert "record.read" in html  # the user's own audit entries


def test_search_by_name_in_either_script_finds_the_person(analyst_client, records):
    html = analyst_client.get("/records/", {"q": "karim"}).content.decode()
    assert "<html" in html  # a full page without htmx
    assert "Karim Haddad" in html
    assert f'href="/records/{PERSON_ID}/"' in html
    arabic = analyst_client.get("/records/", {"q": "حداد"}).content.decode()
    assert "Karim Haddad" in arabic
    none = analyst_client.get("/records/", {"q": "zzzqqq"}).content.decode()
    assert "Karim Haddad" not in none
    assert "0 records found" in none


def test_htmx_search_returns_only_the_results_table(analyst_client, records):
    response = analyst_client.get("/records/", {"q": "karim"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Karim Haddad" in html
    assert "results-table" in html


def test_results_can_be_selected_and_shared_together(analyst_client, records):
    """An analyst ticks results and goes to one share page with all of them; the list also
    offers the form that records a person."""
    html = analyst_client.get("/records/", {"q": "karim"}).content.decode()
    assert '<form method="get" action="/disseminations/new/">' in html
    assert f'<input type="checkbox" name="record" value="{PERSON_ID}"' in html
    assert "Share selected" in html
    assert 'href="/disseminations/person/new/"' in html


def test_roles_that_cannot_share_get_no_selection(client, make_user, records):
    client.force_login(make_user("sup-legal", role="legal"))
    html = client.get("/records/", {"q": "karim"}).content.decode()
    assert "Karim Haddad" in html  # the legal officer reads and searches, but does not share
    assert 'name="record"' not in html and "Share selected" not in html
    assert "Record a person" not in html


def test_search_filters_by_tlp_and_type(analyst_client, records):
    green = analyst_client.get("/records/", {"tlp": "green"}).content.decode()
    assert "Karim Haddad" not in green
    assert "Mallory" in green
    rel = analyst_client.get("/records/", {"type": "relationship"}).content.decode()
    assert f"/records/{RELATIONSHIP_ID}/" in rel
    assert f"/records/{PERSON_ID}/" not in rel
    year = analyst_client.get("/records/", {"birth_year": "1975", "q": "karim"}).content.decode()
    assert "Karim Haddad" in year
    bad = analyst_client.get("/records/", {"birth_year": "nineteen"})
    assert "Birth year" in bad.content.decode()


def test_record_page_shows_banner_person_relationships_and_versions(analyst_client, records):
    response = analyst_client.get(f"/records/{PERSON_ID}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="marking-banner tlp-amber"' in html
    assert "TLP:AMBER" in html
    assert "No further dissemination without the originator" in html  # H2 meaning
    assert "Germany (DE)" in html and "France (FR)" in html
    assert "counter-terrorism" in html
    assert "كريم حداد" in html and "Arab" in html
    assert "about 1975" in html
    assert "Mosul, Iraq" in html
    assert "Iraq (IQ)" in html
    assert "P7654321" in html
    assert "Discreet check: gather information" in html
    assert "Suspected facilitator" in html
    assert "2 November 2026" in html  # review by
    assert f'href="/records/{HOSTILE_ID}/"' in html  # relationship's other end
    assert "related-to" in html
    assert "2026-01-05T10:00:00.000Z" in html  # version list
    assert "&quot;identity_class&quot;: &quot;individual&quot;" in html  # raw JSON, escaped
    read = AuditEvent.objects.filter(action="record.read", actor="ana").order_by("-seq").first()
    assert read is not None and read.purpose == "counter-terrorism"
    assert PERSON_ID in read.object_ids


def test_hostile_name_is_shown_as_text_never_as_markup(analyst_client, records):
    html = analyst_client.get(f"/records/{HOSTILE_ID}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert htmllib.escape(HOSTILE_NAME, quote=False) in html
    listing = analyst_client.get("/records/", {"q": "mallory"}).content.decode()
    assert "<script>alert(1)" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Mallory" in listing


def test_history_lists_versions_and_what_changed(analyst_client, records):
    v2 = copy.deepcopy(sample_objects()[1])
    v2["modified"] = "2026-02-01T00:00:00.000Z"
    v2["description"] = "Seen in Hamburg"
    assert ingest_objects(None, [sample_objects()[0], v2], source="v2").ok
    html = analyst_client.get(f"/records/{PERSON_ID}/history/").content.decode()
    assert "2 versions" in html
    assert '<code>description</code> <span class="change change-added">added</span>' in html
    assert '<code>modified</code> <span class="change change-changed">changed</span>' in html
    assert "Seen in Hamburg" in html


def test_hidden_or_missing_record_is_404_and_leaks_nothing(analyst_client, records):
    response = analyst_client.get("/records/identity--00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404
    assert "not visible to you" in response.content.decode()


def test_purpose_restricted_record_disappears_under_another_purpose(analyst_client, records):
    response = analyst_client.post(
        "/context/", {"purpose": "serious-crime", "case": "", "next": "/records/?q=karim"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/records/?q=karim"
    html = analyst_client.get("/records/", {"q": "karim"}).content.decode()
    assert "Karim Haddad" not in html  # restricted to counter-terrorism
    assert "Prevention and investigation of serious crime" in html  # shown in the top bar
    assert analyst_client.get(f"/records/{PERSON_ID}/").status_code == 404


def test_context_form_refuses_unknown_purpose_and_foreign_redirects(analyst_client):
    assert analyst_client.post("/context/", {"purpose": "fishing"}).status_code == 400
    response = analyst_client.post(
        "/context/", {"purpose": "serious-crime", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("role", "phrase"),
    [("oversight", "only during a declared review"), ("admin", "never read intelligence")],
)
def test_oversight_and_admin_see_an_explanation_not_content(
    client, make_user, records, role, phrase
):
    client.force_login(make_user("o1", role=role))
    for url in ("/", "/records/?q=karim"):
        html = client.get(url).content.decode()
        assert phrase in html
        assert "Karim Haddad" not in html
    response = client.get(f"/records/{PERSON_ID}/")
    assert response.status_code == 403
    assert "Karim Haddad" not in response.content.decode()


def test_oversight_reads_content_in_a_declared_review(client, make_user, records):
    client.force_login(make_user("o1", role="oversight"))
    client.post("/context/", {"purpose": "oversight-review"})
    assert "Karim Haddad" in client.get("/records/", {"q": "karim"}).content.decode()
    assert client.get(f"/records/{PERSON_ID}/").status_code == 200
