from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "accord.intel"
    label = "intel"
    verbose_name = "Record store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """An import job whose worker dies is failed with the reason (not left running)."""
        from accord.intel.tasks import fail_import_job, run_import_job
        from accord.node.extensions import WORKER_DEATH_SETTLER, register

        register(self, WORKER_DEATH_SETTLER, run_import_job.module_path, fail_import_job)
