"""Low-level HTTP helpers shared by every app's views and routers: the request context
(purpose, case: ``context`` for REST calls, ``access`` for pages, with ``member_required``),
problem responses (``problems``), shared schemas and parameter forms (``schemas``), TAXII
media types and error bodies (``taxii``).

Depends on Django, on ``accord.accounts`` (roles and the purposes they may declare) and, for
the case a caller declares, on the case register of ``accord.intel``; no domain app imports
another's views or routers, nor the shells ``accord.api`` and ``accord.web``: they all import
from here.
"""
