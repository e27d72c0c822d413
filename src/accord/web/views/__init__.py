"""Views of the web shell, one module per resource: the dashboard, the working context and API
tokens (each domain app's pages are in its own ``views.py``). Every view is wrapped in
``member_required``."""

from accord.web.views.dashboard import dashboard, dashboard_counts, set_working_context
from accord.web.views.tokens import token_list, token_revoke

__all__ = [
    "dashboard",
    "dashboard_counts",
    "set_working_context",
    "token_list",
    "token_revoke",
]
