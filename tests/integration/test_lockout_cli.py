"""``accord user unlock``: a real data directory, real processes, the pause lifted and audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.nodes import accord_cli, run_python

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery 9"

#: Signs in as argv[1] with argv[2] from each address of argv[3:], in a process of the node's
#: own (account limit 5, to spend less time hashing); prints whether each attempt signed in.
ATTEMPTS = """
import json, os, sys
os.environ["ACCORD_LOGIN_ACCOUNT_FAILURES"] = "5"
from accord.cli.main import setup_django
setup_django(None)
from django.contrib.auth import authenticate
from django.test import RequestFactory
name, password, *addresses = sys.argv[1:]
out = []
for address in addresses:
    request = RequestFactory().post("/login/", REMOTE_ADDR=address)
    user = authenticate(request, username=name, password=password)
    out.append(user is not None)
print(json.dumps(out))
"""

AUDIT = """
import json
from accord.cli.main import setup_django
setup_django(None)
from accord.oversight.models import AuditEvent
rows = AuditEvent.objects.filter(action__in=["auth.throttle", "auth.unlock"]).order_by("seq")
print(json.dumps([[e.action, e.actor, e.detail] for e in rows]))
"""


def attempts(data_dir: Path, name: str, password: str, *addresses: str) -> list[bool]:
    return json.loads(run_python(data_dir, ATTEMPTS, name, password, *addresses))


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("unlock") / "node"
    accord_cli(data_dir, "init", "--data-dir", str(data_dir), "--node-id", "n",
               "--jurisdiction", "NL")  # fmt: skip
    accord_cli(data_dir, "user", "add", "--data-dir", str(data_dir), "alice", "--role",
               "analyst", "--password", PASSWORD)  # fmt: skip
    return data_dir


def test_accord_user_unlock_lifts_an_account_pause_and_is_audited(node):
    strangers = [f"203.0.113.{i}" for i in range(1, 6)]  # each attempt from its own address
    assert attempts(node, "alice", "wrong password 12", *strangers) == [False] * 5
    assert attempts(node, "alice", PASSWORD, "192.0.2.5") == [False]  # paused
    listed = accord_cli(node, "user", "list", "--data-dir", str(node)).stdout
    assert "alice\tanalyst\t\tactive\tsign-in paused until " in listed

    done = accord_cli(node, "user", "unlock", "--data-dir", str(node), "alice")
    assert done.stdout.strip() == "alice: pause lifted."
    assert attempts(node, "alice", PASSWORD, "192.0.2.5") == [True]
    assert "paused" not in accord_cli(node, "user", "list", "--data-dir", str(node)).stdout

    events = json.loads(run_python(node, AUDIT))
    throttle = [e for e in events if e[0] == "auth.throttle"]
    assert throttle[-1][1] == "alice"
    assert throttle[-1][2]["address"] == "203.0.113.5"
    assert events[-1][0:2] == ["auth.unlock", "system"]
    assert events[-1][2] == {"scope": "account", "was_paused": True}


def test_accord_user_unlock_lifts_an_address_pause(node):
    address = "198.51.100.9"
    assert attempts(node, "mallory", "wrong password 12", *[address] * 10) == [False] * 10
    assert attempts(node, "alice", PASSWORD, address) == [False]  # the address is paused
    done = accord_cli(node, "user", "unlock", "--data-dir", str(node), "--address", address)
    assert done.stdout.strip() == f"{address}: pause lifted."
    assert attempts(node, "alice", PASSWORD, address) == [True]
    events = json.loads(run_python(node, AUDIT))
    assert events[-1][0] == "auth.unlock"
    assert events[-1][2]["address"] == address


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "no user 'nobody' on this node"),
        (["--address", "not-an-address"], "'not-an-address' is not an IPv4 or IPv6 address"),
        ([], "name a user, or an address with --address"),
    ],
)
def test_accord_user_unlock_refuses_clearly(node, args, message):
    done = accord_cli(node, "user", "unlock", "--data-dir", str(node), *args, check=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
