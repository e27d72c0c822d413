"""Agreements and jurisdiction profiles: versioned, audited, edited by the legal officer; the
adapter between the database and the framework-free policy engine (accord.engine.policy)."""
