"""The framework-free engine: STIX helpers, validation, imports, audit chain, names.

Nothing under ``accord.engine`` imports Django. Modules take and return plain typed values
and are tested and benchmarked on their own (mypy --strict runs over this package).
"""

__all__: list[str] = []
