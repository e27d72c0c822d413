"""Settings for the test suite: the production settings, a throw-away data directory and
background tasks run at once (so an import job finishes inside the request that starts it).

Loaded by pytest-django (``DJANGO_SETTINGS_MODULE`` in pyproject.toml) before any conftest runs.
Node processes that functional tests start get the production settings, with a real worker.
"""

import os
import tempfile

os.environ.setdefault("ACCORD_DATA_DIR", tempfile.mkdtemp(prefix="accord-test-"))

from accord.node.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Argon2 at full cost makes every test login slow; tests that check the hasher use the real one.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]

# pytest-xdist gives each worker its own test database by suffixing TEST NAME; with no name it
# would suffix "test_" + the file path of this custom SQLite engine. In memory, per worker process.
if "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
