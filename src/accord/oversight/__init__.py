"""Oversight: the append-only, hash-chained audit trail and (later) the oversight UI."""
