from django.apps import AppConfig

__all__ = ["DisseminationConfig"]


class DisseminationConfig(AppConfig):
    name = "accord.dissemination"
    label = "dissemination"
    verbose_name = "Dissemination: shares, approvals, provenance, revocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.dissemination import transport

        transport.install()
