from django.apps import AppConfig

__all__ = ["FederationConfig"]


class FederationConfig(AppConfig):
    name = "accord.federation"
    label = "federation"
    verbose_name = "Federation: peers and signed transport"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The transport's background work, on the task worker's schedule: deliveries when
        outbox items are due, the work of dead processes taken back, catch-up pulls, expired
        nonces pruned. Delivery passes and pulls may run again when their worker died: the
        receiver applies each (id, modified) once."""
        from accord.federation import tasks
        from accord.node.extensions import (
            RETRY_AFTER_WORKER_DEATH,
            SCHEDULE,
            ScheduleEntry,
            register,
        )

        for task in (tasks.deliver_outbox, tasks.pull_peers):
            register(self, RETRY_AFTER_WORKER_DEATH, task.module_path, task)
        schedule = [
            ("federation.recover", ScheduleEntry(
                every=5.0,
                run=tasks.recover_dead_workers,
                summary="take back the outbox items and tasks that dead processes held",
            )),
            ("federation.delivery", ScheduleEntry(
                every=1.0,
                task=tasks.deliver_outbox,
                run=tasks.request_delivery,
                due=tasks.delivery_due,
                summary="a delivery pass when outbox items are due (retries, stale claims)",
            )),
            ("federation.pull", ScheduleEntry(
                every=tasks.pull_every,
                task=tasks.pull_peers,
                first_after=None,
                summary="a catch-up pull from every Accord peer (ACCORD_PEER_PULL_INTERVAL)",
            )),
            ("federation.prune_nonces", ScheduleEntry(
                every=60.0,
                run=tasks.prune_expired_nonces,
                first_after=60.0,
                summary="forget the request nonces past acceptance",
            )),
        ]  # fmt: skip
        for name, entry in schedule:
            register(self, SCHEDULE, name, entry)
