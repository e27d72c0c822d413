"""Bringing a freshly created data directory to life: migrations, identity, definitions."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from accord.node.datadir import NodeConfig

__all__ = ["bootstrap_node"]


def bootstrap_node(data_dir: Path, config: NodeConfig) -> None:
    """Migrate the database, record the node identity and store the node's own STIX objects
    (its identity, the TLP 2.0 marking definitions, Accord's extension definitions)."""
    from accord.engine.stix.markings import (
        TLP_IDS,
        handling_extension_definition,
        tlp_marking_definition,
    )
    from accord.engine.stix.person import person_extension_definition
    from accord.intel.services import ingest_objects
    from accord.node.models import NodeIdentity
    from accord.node.services import node_identity_object, public_key_pem
    from accord.node.upgrade import upgrade_database
    from accord.oversight.services import audit

    upgrade_database()
    with transaction.atomic():
        NodeIdentity.objects.update_or_create(
            node_id=config.node_id,
            defaults={
                "jurisdiction": config.jurisdiction,
                "name": config.name,
                "identity_id": config.identity_id,
                "public_key_pem": public_key_pem(data_dir),
            },
        )
        audit(
            "system",
            "node.init",
            object_ids=[config.identity_id],
            detail={"jurisdiction": config.jurisdiction},
        )
    objects = [node_identity_object(config)]
    objects += [tlp_marking_definition(c) for c in TLP_IDS]
    objects += [person_extension_definition(), handling_extension_definition()]
    report = ingest_objects(None, objects, source="accord init")
    if not report.ok:
        raise RuntimeError(f"could not store the node's own objects: {report.refused}")
