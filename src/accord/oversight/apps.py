from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "accord.oversight"
    label = "oversight"
    default_auto_field = "django.db.models.BigAutoField"
