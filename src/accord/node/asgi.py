"""The node's ASGI application (``accord serve`` runs it under uvicorn): Django behind the
request guard, which decides who may send a body, how large and how fast before Django reads
it (:mod:`accord.node.request_guard`)."""

import gc
import os

from django.core.asgi import get_asgi_application

__all__ = ["application", "django_application"]

os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
    "ACCORD_SETTINGS_MODULE", "accord.node.settings"
)
if os.environ.get("ACCORD_SERVE_PID", "") == str(os.getppid()):
    # A server process of ``accord serve --workers N``: it ends with ``accord serve``.
    from accord.node.process import exit_with_parent

    exit_with_parent(os.getppid())
django_application = get_asgi_application()

from accord.node.request_guard import RequestGuard  # noqa: E402 - needs the settings above

application = RequestGuard(django_application)


def _freeze_startup_objects() -> None:
    """Load the URL map (and with it every view module), then move everything allocated so far
    out of the cyclic garbage collector's reach (``gc.freeze``): these objects live as long as
    the process, so a full collection walks only what requests allocated, not them."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
