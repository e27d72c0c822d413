from django.apps import AppConfig

__all__ = ["ScreeningConfig"]


class ScreeningConfig(AppConfig):
    name = "accord.screening"
    label = "screening"
    verbose_name = "Screening: watchlist, manifests, hits"
    default_auto_field = "django.db.models.BigAutoField"
