"""Synthetic federations for demos, exercises, tests and benchmarks (deterministic from a seed).

:mod:`accord.engine.synth.federation` makes the STIX objects of a federation, from the
:mod:`~accord.engine.synth.names` and :mod:`~accord.engine.synth.geography` of the cultures it
draws on; import from those modules."""

__all__: list[str] = []
