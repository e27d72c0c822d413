from django.apps import AppConfig

__all__ = ["PeersConfig"]


class PeersConfig(AppConfig):
    name = "accord.federation.peers"
    label = "peers"
    verbose_name = "Federation: peers and signed transport"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.federation.peers.tasks import deliver_outbox, pull_peers
        from accord.federation.peers.workers import retry_after_worker_death

        # Both may run twice: the receiver applies each (id, modified) once.
        retry_after_worker_death(deliver_outbox)
        retry_after_worker_death(pull_peers)
