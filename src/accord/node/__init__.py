"""Node identity: the data directory, keys, settings and the node's STIX identity."""
