from django.apps import AppConfig

__all__ = ["DisseminationConfig"]


class DisseminationConfig(AppConfig):
    name = "accord.dissemination"
    label = "dissemination"
    verbose_name = "Dissemination: shares, approvals, provenance, revocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into the federation (handlers.py): the disclosure facts sent beside pushed
        objects, their check before the inbox stores anything, the provenance and revocation
        applied after; and, on the task worker's schedule, the notices pass while notices are
        due."""
        from accord.dissemination import handlers
        from accord.dissemination.notices import deliver_notices_task, notices_tick
        from accord.node.extensions import (
            ADMISSION_HOOK,
            ENVELOPE_MEMBER,
            RECEIVE_HOOK,
            SCHEDULE,
            ScheduleEntry,
            register,
        )

        register(self, ENVELOPE_MEMBER, "dissemination.disclosures", handlers.envelope_disclosures)
        register(self, ADMISSION_HOOK, "dissemination.disclosures", handlers.check_disclosures)
        register(self, RECEIVE_HOOK, "dissemination.provenance", handlers.on_received)
        register(self, SCHEDULE, "dissemination.notices", ScheduleEntry(
            every=1.0,
            task=deliver_notices_task,
            run=notices_tick,
            summary="a notices pass when signed notices are due (first sends, retries)",
        ))  # fmt: skip
