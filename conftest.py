"""Test set-up shared by every level. Django's settings for tests are
``accord.node.settings_test`` (a throw-away data directory, tasks run at once)."""
