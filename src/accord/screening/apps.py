from django.apps import AppConfig

__all__ = ["ScreeningConfig"]


class ScreeningConfig(AppConfig):
    name = "accord.screening"
    label = "screening"
    verbose_name = "Screening: watchlist, manifests, hits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Receive the signed hit notices and answers from partners (see notices.py); erase
        their traveller details past retention on the worker's schedule (retention.py)."""
        from accord.screening import notices, retention

        notices.register()
        retention.register()
