"""Web UI: the import page (upload, progress, report, limits) and the API token page."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.browser.samples import upload_bundle

from accord.accounts.models import ApiToken
from accord.intel.models import ImportJob, Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run in the request (immediate backend); the browser tests use the real worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def analyst(make_user):
    return make_user("ana")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def test_import_page_has_labelled_upload_form(analyst_client):
    html = analyst_client.get("/imports/new/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    for field in ("id_file", "id_format", "id_purpose"):
        assert f'<label for="{field}">' in html
    assert 'value="un-xml"' in html and 'value="ftm"' in html and 'value="auto"' in html


def test_uploading_a_stix_bundle_imports_it_and_shows_the_report(
    analyst_client, analyst, immediate_tasks, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("one.json", upload_bundle("Yusuf Demir"), "application/json")
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        response = analyst_client.post(
            "/imports/new/", {"file": upload, "format": "auto", "purpose": "counter-terrorism"}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get(user=analyst)
    assert response["Location"] == f"/imports/{job.pk}/"
    # Tasks ran immediately on commit: the job is finished already.
    html = analyst_client.get(response["Location"]).content.decode()
    assert "Import finished" in html
    assert re.search(r'id="report-imported">1<', html)
    assert '<td>identity</td><td class="num">1</td>' in html
    assert 'hx-trigger="every 1s"' not in html  # polling stops when done
    assert Record.objects.filter(display_name="Yusuf Demir").exists()
    partial = analyst_client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert "<html" not in partial and "Import finished" in partial


def test_refused_objects_are_listed_with_property_and_message(
    analyst_client, analyst, immediate_tasks, django_capture_on_commit_callbacks
):
    bundle = json.loads(upload_bundle("Bad Date"))
    del bundle["objects"][0]["created"]
    upload = SimpleUploadedFile("bad.json", json.dumps(bundle).encode(), "application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            "/imports/new/", {"file": upload, "format": "stix", "purpose": "counter-terrorism"}
        )
    html = analyst_client.get(response["Location"]).content.decode()
    assert "Nothing was stored" in html
    assert "Refused objects" in html
    assert "created" in html
    assert not Record.objects.filter(display_name="Bad Date").exists()


def test_auto_format_that_cannot_be_told_asks_for_the_format(analyst_client):
    upload = SimpleUploadedFile("notes.txt", b"just some text", "text/plain")
    response = analyst_client.post(
        "/imports/new/", {"file": upload, "format": "auto", "purpose": "counter-terrorism"}
    )
    assert response.status_code == 400
    assert "could not be told" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_running_job_polls_its_progress_partial(analyst_client, analyst):
    job = ImportJob.objects.create(
        user=analyst, format="stix", filename="big.json", status="running", total=10, done=4
    )
    html = analyst_client.get(f"/imports/{job.pk}/").content.decode()
    assert f'hx-get="/imports/{job.pk}/progress/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert '<progress max="100" value="40"' in html


def test_another_users_import_is_not_found(client, make_user, analyst):
    job = ImportJob.objects.create(user=analyst, format="stix", filename="mine.json")
    client.force_login(make_user("bob"))
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/progress/").status_code == 404


def test_upload_over_the_limit_is_refused_with_a_clear_message(analyst_client, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100
    upload = SimpleUploadedFile("big.json", upload_bundle(), "application/json")
    response = analyst_client.post(
        "/imports/new/", {"file": upload, "format": "stix", "purpose": "counter-terrorism"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file was not imported" in html
    assert "the limit is 100" in html
    assert not ImportJob.objects.exists()


def test_roles_without_import_permission_cannot_import(client, make_user):
    client.force_login(make_user("lia", role="liaison"))
    upload = SimpleUploadedFile("one.json", upload_bundle(), "application/json")
    response = client.post(
        "/imports/new/", {"file": upload, "format": "stix", "purpose": "counter-terrorism"}
    )
    assert response.status_code == 403
    assert "does not allow importing" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_token_is_shown_once_stored_hashed_and_can_be_revoked(analyst_client, analyst):
    response = analyst_client.post("/tokens/", {"name": "scanner", "expires_in_days": "30"})
    html = response.content.decode()
    assert "Copy it now" in html
    raw = re.search(r'value="(acc_[A-Za-z0-9_\-]+)"', html).group(1)
    token = ApiToken.objects.get(user=analyst)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.key_prefix, token.digest}
    assert token.key_prefix == raw[:10]
    assert token.expires_at is not None
    again = analyst_client.get("/tokens/").content.decode()
    assert raw not in again  # shown once only
    assert "scanner" in again and token.key_prefix in again
    # the token works against the API until revoked
    from django.test import Client

    api = Client()
    revoke = analyst_client.post(f"/tokens/{token.pk}/revoke/")
    assert revoke.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in analyst_client.get("/tokens/").content.decode()
    assert api.get("/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 302


def test_cannot_revoke_another_users_token(client, make_user, analyst):
    from accord.accounts.services import create_token

    _, token = create_token(analyst, analyst, name="mine")
    client.force_login(make_user("bob"))
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
