"""``accord peer update``: a registered peer's URL and key are changed from the command line,
audited, the key shown by its fingerprint; ``accord peer add`` of a known peer says how to
change it; bad input gets a message a person can act on and changes nothing. Run through the
real entry point (``accord.cli.main.main``) in this process, against the test database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.cli.main import main
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


def _key_file(path: Path) -> Path:
    pem = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    path.write_bytes(pem)
    return path


@pytest.fixture
def cli(db, monkeypatch, tmp_path, capsys):
    """``accord ...`` in this process; (exit status, stdout, stderr)."""
    monkeypatch.setenv("ACCORD_DATA_DIR", os.environ["ACCORD_DATA_DIR"])  # restored afterwards

    def run(*args: str) -> tuple[int, str, str]:
        rc = main([*args, "--data-dir", str(tmp_path)])
        out = capsys.readouterr()
        return rc, out.out, out.err

    rc, out, err = run("peer", "add", "--node-id", "node-b", "--url", "http://127.0.0.1:9/",
                       "--jurisdiction", "DE", "--public-key",
                       str(_key_file(tmp_path / "b-old.pub")))  # fmt: skip
    assert rc == 0 and "key SHA256:" in out, err
    return run


def _listed(cli) -> dict:
    _, out, _ = cli("peer", "list", "--json")
    (peer,) = json.loads(out)
    return peer


def test_add_of_a_known_peer_says_how_to_change_it(cli, tmp_path):
    key = str(_key_file(tmp_path / "x.pub"))
    rc, _, err = cli("peer", "add", "--node-id", "node-b", "--url", "http://127.0.0.1:10/",
                     "--jurisdiction", "DE", "--public-key", key)  # fmt: skip
    assert rc == 2
    assert "already registered" in err and "accord peer update node-b" in err
    assert _listed(cli)["url"] == "http://127.0.0.1:9/"


def test_update_changes_url_and_key_shows_fingerprints_and_audits(cli, tmp_path):
    before = _listed(cli)
    new_key = _key_file(tmp_path / "b-new.pub")
    rc, out, err = cli("peer", "update", "node-b", "--url", "http://127.0.0.1:8443",
                       "--public-key", str(new_key))  # fmt: skip
    assert rc == 0, err
    after = _listed(cli)
    assert after["url"] == "http://127.0.0.1:8443/"
    assert after["key_fingerprint"] != before["key_fingerprint"]
    assert after["key_fingerprint"].startswith("SHA256:")
    assert f"key_fingerprint {before['key_fingerprint']} -> {after['key_fingerprint']}" in out
    assert "url http://127.0.0.1:9/ -> http://127.0.0.1:8443/" in out
    detail = AuditEvent.objects.filter(action="peer.update").latest("pk").detail
    assert detail["changed"] == ["public_key_pem", "url"]
    assert detail["values"]["key_fingerprint"] == {
        "before": before["key_fingerprint"],
        "after": after["key_fingerprint"],
    }
    rc, out, _ = cli("peer", "update", "node-b", "--url", "http://127.0.0.1:8443/", "--json")
    assert rc == 0 and json.loads(out) == {"node_id": "node-b", "changed": {}}
    rc, out, _ = cli("peer", "update", "node-b", "--disable")
    assert rc == 0 and "enabled True -> False" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("node-z", "--url", "http://127.0.0.1:1/"), "no peer 'node-z'"),
        (("node-b",), "nothing to change"),
        (("node-b", "--url", "ftp://127.0.0.1/"), "use http:// or https://"),
        (("node-b", "--public-key", "/nonexistent/b.pub"), "No such file"),
        (("node-b", "--public-key", "JUNK"), "not a PEM public key"),
        (("node-b", "--jurisdiction", "XX"), "ISO 3166-1"),
    ],
    ids=["unknown-peer", "no-change", "bad-url", "missing-key-file", "not-a-key", "jurisdiction"],
)
def test_update_refuses_bad_input_and_changes_nothing(cli, tmp_path, args, words):
    if "JUNK" in args:
        (tmp_path / "junk.pub").write_text("not a key")
        args = tuple(str(tmp_path / "junk.pub") if a == "JUNK" else a for a in args)
    before = _listed(cli)
    audited = AuditEvent.objects.count()
    rc, out, err = cli("peer", "update", *args)
    assert rc == 2, out
    assert words in err and "Traceback" not in err
    assert _listed(cli) == before
    assert AuditEvent.objects.count() == audited
