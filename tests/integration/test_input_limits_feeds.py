"""A failed feed run says what went wrong in words (never an exception's class name), against
the real TAXII 2.1 server of test_feeds_pull on loopback."""

from __future__ import annotations

import json
import logging

import pytest
from tests.integration.test_feeds_pull import _feed, _objects, taxii  # noqa: F401 (fixture)
from tests.integration.test_input_limits_api import records_refused_by_the_database  # noqa: F401

from accord.feeds.models import FeedRun
from accord.feeds.services import pull_feed
from accord.intel.models import Record

pytestmark = pytest.mark.django_db

CLASS_NAMES = ("KeyError", "ValueError", "TypeError", "AttributeError", "Traceback", "internal")


def _without_content_type(h, status, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def test_an_answer_without_content_type_is_named(taxii, caplog):  # noqa: F811
    taxii.add(_objects(3))
    taxii._send = _without_content_type
    with caplog.at_level(logging.WARNING, "accord.feeds"):
        run = pull_feed(_feed(taxii))
    assert run.status == FeedRun.Status.FAILED
    assert "content-type" in run.error.lower() and "TAXII 2.1" in run.error
    for name in CLASS_NAMES:
        assert name not in run.error
    assert any(r.exc_info for r in caplog.records)
    assert Record.objects.count() == 0


def test_an_unexpected_failure_is_told_in_words(taxii, records_refused_by_the_database):  # noqa: F811
    taxii.add(_objects(3))
    run = pull_feed(_feed(taxii))
    assert run.status == FeedRun.Status.FAILED
    assert "unexpected error" in run.error and f"({run.pk})" in run.error
    for name in CLASS_NAMES:
        assert name not in run.error
    assert Record.objects.count() == 0
