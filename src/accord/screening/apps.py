from django.apps import AppConfig

__all__ = ["ScreeningConfig"]


class ScreeningConfig(AppConfig):
    name = "accord.screening"
    label = "screening"
    verbose_name = "Screening: watchlist, manifests, hits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Receive the signed hit notices and answers from partners (see notices.py); erase
        their traveller details past retention on the worker's schedule (retention.py); a
        screening job whose worker dies is failed with the reason."""
        from accord.federation.peers.workers import when_worker_dies
        from accord.screening import notices, retention
        from accord.screening.tasks import fail_screening_job, run_screening_job

        notices.register()
        retention.register()
        when_worker_dies(run_screening_job, fail_screening_job)
