"""Views of the web UI, one module per resource. Every view is wrapped in ``member_required``."""

from accord.web.views.dashboard import dashboard, dashboard_counts, set_working_context
from accord.web.views.imports import import_detail, import_new, import_progress
from accord.web.views.records import record_detail, record_history, record_list
from accord.web.views.tokens import token_list, token_revoke

__all__ = [
    "dashboard",
    "dashboard_counts",
    "import_detail",
    "import_new",
    "import_progress",
    "record_detail",
    "record_history",
    "record_list",
    "set_working_context",
    "token_list",
    "token_revoke",
]
