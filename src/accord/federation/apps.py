from django.apps import AppConfig

__all__ = ["FederationConfig"]


class FederationConfig(AppConfig):
    name = "accord.federation"
    label = "federation"
    verbose_name = "Federation (TAXII 2.1 server)"
    default_auto_field = "django.db.models.BigAutoField"
