"""``accord user add --data-dir DIR NAME --role ROLE [--password P] [--token]``, ``accord user
list --data-dir DIR`` and ``accord user unlock --data-dir DIR [NAME] [--address ADDR]``."""

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
    unlock = sub.add_parser(
        "unlock", help="lift the sign-in pause of a user (NAME) or an address (--address)"
    )
    add_data_dir(unlock)
    unlock.add_argument("name", nargs="?", default="", help="the user whose pause to lift")
    unlock.add_argument("--address", default="", help="a client address whose pause to lift")


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from django.core.exceptions import ValidationError

    from accord.accounts.models import User
    from accord.accounts.services import UserError, add_user, create_token

    if args.user_command == "list":
        from accord.accounts.throttle import paused_accounts

        paused = paused_accounts()
        for u in User.objects.order_by("username"):
            state = "active" if u.is_active else "inactive"
            if u.username in paused:
                state += f"\tsign-in paused until {paused[u.username]:%Y-%m-%d %H:%M:%S} UTC"
            print(f"{u.username}\t{u.role}\t{u.agency}\t{state}")
        return 0
    if args.user_command == "unlock":
        return _unlock(args)
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


def _unlock(args: argparse.Namespace) -> int:
    import ipaddress

    from accord.accounts.models import User
    from accord.accounts.throttle import lift_pause

    if not args.name and not args.address:
        print("accord user unlock: name a user, or an address with --address", file=sys.stderr)
        return 2
    if args.name and not User.objects.filter(username=args.name).exists():
        print(f"accord user unlock: no user {args.name!r} on this node", file=sys.stderr)
        return 2
    if args.address:
        try:
            ipaddress.ip_address(args.address)
        except ValueError:
            print(
                f"accord user unlock: {args.address!r} is not an IPv4 or IPv6 address",
                file=sys.stderr,
            )
            return 2
    lifted = lift_pause(None, username=args.name, address=args.address)
    for scope, what in (("account", args.name), ("source", args.address)):
        if scope in lifted:
            done = "pause lifted" if lifted[scope] else "was not paused; its count starts over"
            print(f"{what}: {done}.")
    return 0
