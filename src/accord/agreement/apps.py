from django.apps import AppConfig

__all__ = ["AgreementConfig"]


class AgreementConfig(AppConfig):
    name = "accord.agreement"
    label = "agreement"
    verbose_name = "Agreements and jurisdiction profiles"
    default_auto_field = "django.db.models.BigAutoField"
