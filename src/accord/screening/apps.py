from django.apps import AppConfig

__all__ = ["ScreeningConfig"]


class ScreeningConfig(AppConfig):
    name = "accord.screening"
    label = "screening"
    verbose_name = "Screening: watchlist, manifests, hits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Receive the signed hit notices and answers from partners (handlers.py); erase the
        personal data past its retention on the task worker's schedule (retention.py); fail a
        screening job whose worker dies, with the reason."""
        from accord.node.extensions import (
            NOTICE_HANDLER,
            SCHEDULE,
            WORKER_DEATH_SETTLER,
            ScheduleEntry,
            register,
        )
        from accord.screening import handlers, retention
        from accord.screening.notices import ANSWER_KIND, HIT_KIND
        from accord.screening.tasks import fail_screening_job, run_screening_job

        register(self, NOTICE_HANDLER, HIT_KIND, handlers.receive_hit)
        register(self, NOTICE_HANDLER, ANSWER_KIND, handlers.receive_answer)
        register(self, WORKER_DEATH_SETTLER, run_screening_job.module_path, fail_screening_job)
        register(self, SCHEDULE, "screening.retention", ScheduleEntry(
            every=retention.CHECK_EVERY,
            task=retention.apply_hit_retention,
            due=retention.retention_due,
            summary="erase the personal data of hits and jobs past their retention",
        ))  # fmt: skip
