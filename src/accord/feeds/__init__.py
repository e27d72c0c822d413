"""TAXII 2.1 feeds: pulling STIX 2.1 objects from other TAXII servers into the record store.

A :class:`~accord.feeds.models.Feed` names one collection on one server; each pull
is a :class:`~accord.feeds.models.FeedRun`. See ``docs/taxii-client.md``.
"""
