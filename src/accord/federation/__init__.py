"""Federation: the TAXII 2.1 server (collections of records, :mod:`accord.federation.taxii`)
and, in :mod:`accord.federation.feeds`, the TAXII client."""

__all__: list[str] = []
