from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "accord.intel"
    label = "intel"
    verbose_name = "Record store"
    default_auto_field = "django.db.models.BigAutoField"
