"""Accord: a node of the federated counter-terrorism cooperation platform."""

__all__ = ["__version__"]
__version__ = "0.1.0"
