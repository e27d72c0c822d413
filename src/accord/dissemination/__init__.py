"""Dissemination: decided, audited disclosures of records to peer nodes (docs/dissemination.md)."""
