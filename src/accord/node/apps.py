from django.apps import AppConfig


class NodeConfig(AppConfig):
    name = "accord.node"
    label = "node"
    verbose_name = "Node identity"
    default_auto_field = "django.db.models.BigAutoField"
