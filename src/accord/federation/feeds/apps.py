from django.apps import AppConfig

__all__ = ["FeedsConfig"]


class FeedsConfig(AppConfig):
    name = "accord.federation.feeds"
    label = "feeds"
    verbose_name = "Federation: TAXII 2.1 feeds (client)"
    default_auto_field = "django.db.models.BigAutoField"
