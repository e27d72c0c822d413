from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "accord.intel"
    label = "intel"
    verbose_name = "Record store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """An import job whose worker dies is failed with the reason (not left running)."""
        from accord.federation.peers.workers import when_worker_dies
        from accord.intel.tasks import fail_import_job, run_import_job

        when_worker_dies(run_import_job, fail_import_job)
