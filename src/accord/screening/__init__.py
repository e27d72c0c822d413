"""Screening: people and passenger manifests against the watchlist, and the hit review queue."""
