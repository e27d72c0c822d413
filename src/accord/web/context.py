"""Template context every page gets: the node's identity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["node_context"]


def node_context(request: HttpRequest) -> dict[str, Any]:
    from accord.node.models import NodeIdentity

    return {"node": NodeIdentity.current()}
