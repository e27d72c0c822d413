from django.apps import AppConfig

__all__ = ["TaxiiConfig"]


class TaxiiConfig(AppConfig):
    name = "accord.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1 server"
    default_auto_field = "django.db.models.BigAutoField"
