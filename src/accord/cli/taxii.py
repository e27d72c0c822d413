"""``accord taxii collection add|list`` and ``accord taxii grant``: TAXII 2.1 collections.

- ``accord taxii collection add --data-dir DIR --title T [--alias A] [--description D]``
  prints the new collection's id.
- ``accord taxii collection list --data-dir DIR``
- ``accord taxii grant --data-dir DIR --collection ID|ALIAS --user NAME [--read] [--write]``
  sets the user's permissions (neither flag: no access).
"""

from __future__ import annotations

import argparse
import sys
import uuid

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="taxii_command", required=True)
    coll = sub.add_parser("collection", help="add or list collections")
    csub = coll.add_subparsers(dest="collection_command", required=True)
    add = csub.add_parser("add", help="add a collection")
    add_data_dir(add)
    add.add_argument("--title", required=True)
    add.add_argument("--alias", default=None)
    add.add_argument("--description", default="")
    lst = csub.add_parser("list", help="list collections")
    add_data_dir(lst)
    grant = sub.add_parser("grant", help="set a user's read/write permission on a collection")
    add_data_dir(grant)
    grant.add_argument("--collection", required=True, help="collection id or alias")
    grant.add_argument("--user", required=True)
    grant.add_argument("--read", action="store_true")
    grant.add_argument("--write", action="store_true")


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from accord.accounts.models import User
    from accord.taxii.models import Collection
    from accord.taxii.services import create_collection, grant_access

    if args.taxii_command == "collection":
        if args.collection_command == "list":
            for c in Collection.objects.order_by("created_at"):
                print(f"{c.pk}\t{c.alias or ''}\t{c.title}")
            return 0
        if args.alias and Collection.objects.filter(alias=args.alias).exists():
            print(f"accord taxii: alias {args.alias!r} is taken", file=sys.stderr)
            return 2
        c = create_collection(
            None, title=args.title, description=args.description, alias=args.alias
        )
        print(c.pk)
        return 0
    key = args.collection
    collection = Collection.objects.filter(alias=key).first()
    if collection is None:
        try:
            collection = Collection.objects.filter(pk=uuid.UUID(key)).first()
        except ValueError:
            collection = None
    if collection is None:
        print(f"accord taxii: no collection {key!r}", file=sys.stderr)
        return 2
    user = User.objects.filter(username=args.user).first()
    if user is None:
        print(f"accord taxii: no user {args.user!r}", file=sys.stderr)
        return 2
    grant_access(None, collection, user, can_read=args.read, can_write=args.write)
    print(f"{user.username}: read={args.read} write={args.write} on {collection}")
    return 0
