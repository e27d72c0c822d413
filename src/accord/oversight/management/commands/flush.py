"""``flush`` wipes the whole database (tests, development). The audit trail's append-only
triggers would refuse it, so they are removed for the wipe and put back afterwards; nothing else
may delete audit entries."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from accord.oversight.triggers import install_triggers, remove_triggers

__all__ = ["Command"]


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        remove_triggers(connection)
        try:
            super().handle(**options)
        finally:
            install_triggers(connection)
