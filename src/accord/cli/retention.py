"""``accord retention apply --data-dir DIR [--dry-run] [--json]``: erase what is past its
retention now, as the worker's schedule does (:mod:`accord.screening.retention`).

The traveller's details in partners' hit notices (names, birth date, documents, where they
were seen, the answer's text), each erasure audited as ``screening.hit_erased``; a tombstone of
each hit remains. This node's own hits: the traveller's details erased
``ACCORD_HIT_DEPERSONALISE_DAYS`` after the screening (and in the background jobs' results),
audited as ``screening.own_hit_depersonalised`` / ``screening.job_results_depersonalised``;
the hit deleted ``ACCORD_HIT_RETENTION_DAYS`` after it, audited as
``screening.own_hit_deleted``. ``--dry-run`` lists what would be done and changes nothing.
``--json``: one object per item, ``kind`` ``incoming_hit``, ``own_hit`` or ``screening_job``.
Exit status 0.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from accord.cli.main import add_data_dir, setup_node

__all__ = ["add_arguments", "apply", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="retention_command", required=True)
    apply_ = sub.add_parser("apply", help="erase the personal data past its retention now")
    add_data_dir(apply_)
    apply_.add_argument("--dry-run", action="store_true", help="list, erase nothing")
    apply_.add_argument("--json", action="store_true", help="one JSON object per hit or job")


def apply(*, dry_run: bool = False, as_json: bool = False, now: Any = None) -> int:
    """Erase (or list) the expired details and print one line per hit; Django is set up."""
    from django.utils import timezone

    from accord.screening.retention import apply_own_retention, erase_expired

    now = now or timezone.now()
    erased = erase_expired(now=now, dry_run=dry_run)
    own = apply_own_retention(now=now, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for e in erased:
        if as_json:
            print(json.dumps({"kind": "incoming_hit", **e.as_dict(), "dry_run": dry_run}))
        else:
            fields = ", ".join(e.fields) or "nothing left to erase"
            print(
                f"{verb} incoming hit {e.incoming} from {e.peer} on {e.record} "
                f"(retained until {e.retain_until}): {fields}"
            )
    if not as_json:
        done = "to erase (dry run)" if dry_run else "erased"
        print(f"{len(erased)} partners' hit notice(s) {done} (traveller details past retention)")
    for s in own:
        if as_json:
            print(json.dumps({**s.as_dict(), "dry_run": dry_run}))
            continue
        fields = ", ".join(s.fields) or "nothing left to erase"
        if s.action == "delete":
            what = "would delete" if dry_run else "deleted"
            print(f"{what} own hit {s.id} on {s.record} (retained until {s.due}): {fields}")
        elif s.kind == "own_hit":
            what = "would depersonalise" if dry_run else "depersonalised"
            print(f"{what} own hit {s.id} on {s.record} (due {s.due}): {fields}")
        else:
            what = "would depersonalise" if dry_run else "depersonalised"
            print(f"{what} the results of screening job {s.id} (due {s.due}): {fields}")
    if not as_json:
        hits = sum(1 for s in own if s.kind == "own_hit" and s.action == "depersonalise")
        deleted = sum(1 for s in own if s.action == "delete")
        jobs = sum(1 for s in own if s.kind == "screening_job")
        tail = " (dry run)" if dry_run else ""
        print(
            f"{hits} own hit(s) depersonalised, {deleted} deleted, {jobs} screening job(s)' "
            f"results depersonalised{tail} (ACCORD_HIT_DEPERSONALISE_DAYS, "
            "ACCORD_HIT_RETENTION_DAYS)"
        )
    return 0


def run(args: argparse.Namespace) -> int:
    setup_node(args.data_dir)
    return apply(dry_run=args.dry_run, as_json=args.json)
