"""The Feeds pages: who may see and change them, the write-only secret, "Pull now" and the
run page with its htmx progress partial."""

from __future__ import annotations

import pytest
from tests.integration.test_feeds_pull import COLLECTION, PASSWORD, USER, TaxiiServer

from accord.feeds.models import Feed, FeedRun
from accord.feeds.secrets import decrypt_secret
from accord.intel.factories import synthetic_objects
from accord.intel.models import RecordVersion
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxii(settings):
    settings.ACCORD_FEED_ALLOWED_HOSTS = "127.0.0.1"
    server = TaxiiServer()
    yield server
    server.close()


def _form(taxii, **kw):
    data = {"name": "partner", "url": f"{taxii.url}/taxii2/", "api_root": "",
            "collection_id": COLLECTION, "username": USER, "secret": PASSWORD, "enabled": "on",
            "interval_minutes": "60", "page_size": "10", "purpose": "counter-terrorism",
            "default_tlp": "", "origin": ""}  # fmt: skip
    data.update(kw)
    return data


def test_admin_adds_a_feed_and_the_secret_is_never_shown_back(client, make_user, taxii):
    client.force_login(make_user("root", role="admin"))
    response = client.post("/feeds/new/", _form(taxii))
    assert response.status_code == 302, response.content.decode()[:2000]
    feed = Feed.objects.get(name="partner")
    assert decrypt_secret(feed.secret_encrypted) == PASSWORD
    for url in ("/feeds/", f"/feeds/{feed.pk}/", f"/feeds/{feed.pk}/edit/"):
        page = client.get(url)
        assert page.status_code == 200
        assert PASSWORD not in page.content.decode()
        assert feed.secret_encrypted not in page.content.decode()
    assert "A secret is stored" in client.get(f"/feeds/{feed.pk}/edit/").content.decode()
    # An edit with the secret field empty keeps the stored secret.
    response = client.post(f"/feeds/{feed.pk}/edit/", _form(taxii, secret="", page_size="5"))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.page_size == 5 and decrypt_secret(feed.secret_encrypted) == PASSWORD
    event = AuditEvent.objects.filter(action="feed.update").latest("seq")
    assert event.detail["changed"] == ["page_size"] and "secret" not in event.detail
    # Removing it.
    client.post(f"/feeds/{feed.pk}/edit/", _form(taxii, secret="", clear_secret="on"))
    feed.refresh_from_db()
    assert feed.secret_encrypted == ""


def test_a_host_outside_the_allowed_list_is_refused_with_the_reason(client, make_user, taxii):
    client.force_login(make_user("root", role="admin"))
    response = client.post(
        "/feeds/new/", _form(taxii, url="https://taxii.elsewhere.example/taxii2/")
    )
    assert response.status_code == 400
    assert "ACCORD_FEED_ALLOWED_HOSTS" in response.content.decode()
    assert not Feed.objects.exists()


def test_pull_now_shows_the_run_and_its_outcome(client, make_user, taxii):
    taxii.add(list(synthetic_objects(12)))
    client.force_login(make_user("root", role="admin"))
    client.post("/feeds/new/", _form(taxii))
    feed = Feed.objects.get(name="partner")
    response = client.post(f"/feeds/{feed.pk}/pull/")
    assert response.status_code == 302
    run = FeedRun.objects.get(feed=feed)
    assert response["Location"] == f"/feeds/runs/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Pull finished" in page and 'id="run-stored">12<' in page
    assert "hx-trigger" not in page  # finished: no more polling
    partial = client.get(f"/feeds/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert RecordVersion.objects.filter(source="feed:partner").count() == 12


def test_a_running_pull_is_polled(client, make_user, taxii):
    client.force_login(make_user("root", role="admin"))
    client.post("/feeds/new/", _form(taxii))
    run = FeedRun.objects.create(feed=Feed.objects.get(), status="running", pages=2, received=20)
    page = client.get(f"/feeds/runs/{run.pk}/").content.decode()
    assert f'hx-get="/feeds/runs/{run.pk}/progress/"' in page and "page 2, 20 objects" in page


def test_roles_supervisors_pull_analysts_see_nothing(client, make_user, taxii):
    taxii.add(list(synthetic_objects(3)))
    client.force_login(make_user("root", role="admin"))
    client.post("/feeds/new/", _form(taxii))
    feed = Feed.objects.get()
    client.force_login(make_user("sup", role="supervisor"))
    assert client.get("/feeds/").status_code == 200
    assert "Add a feed" not in client.get("/feeds/").content.decode()
    assert client.get("/feeds/new/").status_code == 403
    assert client.post(f"/feeds/{feed.pk}/edit/", _form(taxii)).status_code == 403
    assert client.post(f"/feeds/{feed.pk}/pull/").status_code == 302
    client.force_login(make_user("ana", role="analyst"))
    assert "/feeds/" not in client.get("/").content.decode()  # no menu entry
    for url in ("/feeds/", f"/feeds/{feed.pk}/", "/feeds/new/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/feeds/{feed.pk}/pull/").status_code == 403
    assert FeedRun.objects.count() == 1
