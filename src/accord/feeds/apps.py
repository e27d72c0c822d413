from django.apps import AppConfig

__all__ = ["FeedsConfig"]


class FeedsConfig(AppConfig):
    name = "accord.feeds"
    label = "feeds"
    verbose_name = "TAXII 2.1 feeds (client)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The scheduled feed pulls, on the task worker's schedule (docs/taxii-client.md)."""
        from accord.feeds import tasks
        from accord.node.extensions import SCHEDULE, ScheduleEntry, register

        register(self, SCHEDULE, "feeds.poll", ScheduleEntry(
            every=tasks.POLL_EVERY,
            task=tasks.run_feed_pull,
            run=tasks.run_due_feeds,
            first_after=tasks.FIRST_POLL_AFTER,
            summary="queue a pull of every feed that is due",
        ))  # fmt: skip
