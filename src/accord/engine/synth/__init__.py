"""Synthetic federations for demos, exercises, tests and benchmarks (deterministic from a seed)."""

from accord.engine.synth.federation import (
    HANDLING_MARKINGS,
    PersonFactory,
    federation_bundle,
    generate_federation_data,
    iter_persons,
)

__all__ = [
    "HANDLING_MARKINGS",
    "PersonFactory",
    "federation_bundle",
    "generate_federation_data",
    "iter_persons",
]
