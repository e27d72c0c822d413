"""``accord user add --data-dir DIR NAME --role ROLE [--password P] [--token]``."""

from __future__ import annotations

import argparse
import getpass
import sys

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]

ROLES = ("analyst", "supervisor", "liaison", "commander", "legal", "oversight", "admin")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="user_command", required=True)
    add = sub.add_parser("add", help="add a user")
    add_data_dir(add)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--agency", default="", help="unit within the node (AMBER+STRICT scope)")
    add.add_argument("--password", help="password (asked for when omitted and no --token)")
    add.add_argument("--token", action="store_true", help="also create an API token and print it")
    lst = sub.add_parser("list", help="list users")
    add_data_dir(lst)


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from django.core.exceptions import ValidationError

    from accord.accounts.models import User
    from accord.accounts.services import UserError, add_user, create_token

    if args.user_command == "list":
        for u in User.objects.order_by("username"):
            print(f"{u.username}\t{u.role}\t{u.agency}\t{'active' if u.is_active else 'inactive'}")
        return 0
    password = args.password
    if password is None and not args.token:
        password = getpass.getpass(f"Password for {args.name}: ")
    try:
        user = add_user(None, args.name, role=args.role, password=password, agency=args.agency)
    except (UserError, ValidationError) as exc:
        msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        print(f"accord user add: {'; '.join(msgs)}", file=sys.stderr)
        return 2
    print(f"User {user.username} ({user.role}) added.")
    if args.token:
        raw, _ = create_token(user, user, name="cli")
        print(raw)
    return 0
