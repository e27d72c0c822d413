"""STIX 2.1 helpers: markings, the Accord extensions, validation, canonical JSON."""

__all__: list[str] = []
