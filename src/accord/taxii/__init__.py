"""The TAXII 2.1 server: one module per TAXII resource (discovery, API root, collections,
objects, manifest, versions, status) and small protocol guards (media types, content length,
authentication, filters, pagination)."""

__all__: list[str] = []
