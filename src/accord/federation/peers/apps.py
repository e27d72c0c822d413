from django.apps import AppConfig

__all__ = ["PeersConfig"]


class PeersConfig(AppConfig):
    name = "accord.federation.peers"
    label = "peers"
    verbose_name = "Federation: peers and signed transport"
    default_auto_field = "django.db.models.BigAutoField"
