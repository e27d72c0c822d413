"""``accord feed``: TAXII 2.1 feeds this node pulls from.

- ``accord feed add --data-dir DIR NAME --url URL --collection ID [--api-root R] [--user U]
  [--password-file F] [--interval MIN] [--page-size N] [--purpose P] [--default-tlp TLP]
  [--origin NODE] [--disabled]``: with ``--user``, the file holds the password (HTTP Basic);
  without, it holds a bearer token. The secret is read from the file (never from the command
  line, where other users could see it) and stored encrypted.
- ``accord feed set NAME [same options]``: change a feed (``--password-file /dev/null``
  removes the secret).
- ``accord feed list [--json]``, ``accord feed runs NAME [--json]``
- ``accord feed pull NAME [--max-pages N] [--json]``: pull now, in this process; progress on
  stderr. Exit status 0 when the run finished (or stopped at the page limit), 1 when it failed.
- ``accord feed run-due``: queue the scheduled pulls that are due (the worker runs them).
- ``accord feed remove NAME``

The command acts as the node's operator (audited as the system actor).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.cli.main import add_data_dir, setup_django

if TYPE_CHECKING:
    from accord.feeds.models import Feed, FeedRun

__all__ = ["add_arguments", "run"]


def _feed_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("--url", required=creating, help="discovery (…/taxii2/) or API root URL")
    parser.add_argument("--collection", dest="collection_id", required=creating)
    parser.add_argument("--api-root", help="API root name or URL under a discovery URL")
    parser.add_argument("--user", dest="username", help="user name (HTTP Basic)")
    parser.add_argument(
        "--password-file", help="file whose first line is the password (or bearer token)"
    )
    parser.add_argument("--interval", dest="interval_minutes", type=int, help="minutes; 0: manual")
    parser.add_argument("--page-size", type=int)
    parser.add_argument("--purpose")
    parser.add_argument("--default-tlp", help="TLP for objects that carry none (index only)")
    parser.add_argument("--origin", help="origin recorded on the records (a peer node id)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--disabled", dest="enabled", action="store_false", default=None)
    state.add_argument("--enabled", dest="enabled", action="store_true", default=None)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="feed_command", required=True)
    add = sub.add_parser("add", help="configure a feed")
    add_data_dir(add)
    add.add_argument("name")
    _feed_options(add, creating=True)
    change = sub.add_parser("set", help="change a feed")
    add_data_dir(change)
    change.add_argument("name")
    _feed_options(change, creating=False)
    lst = sub.add_parser("list", help="list feeds")
    add_data_dir(lst)
    lst.add_argument("--json", action="store_true")
    runs = sub.add_parser("runs", help="the last runs of a feed")
    add_data_dir(runs)
    runs.add_argument("name")
    runs.add_argument("--json", action="store_true")
    pull = sub.add_parser("pull", help="pull a feed now (progress on stderr)")
    add_data_dir(pull)
    pull.add_argument("name")
    pull.add_argument("--max-pages", type=int, help="stop after N pages (resumed next time)")
    pull.add_argument("--json", action="store_true", help="print the run as JSON")
    due = sub.add_parser("run-due", help="queue the scheduled pulls that are due")
    add_data_dir(due)
    remove = sub.add_parser("remove", help="remove a feed (records stay)")
    add_data_dir(remove)
    remove.add_argument("name")


def _read_secret(path: str | None) -> str | None:
    if path is None:
        return None
    text = Path(path).read_text(encoding="utf-8")
    return text.splitlines()[0].strip() if text.strip() else ""


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("url", "collection_id", "api_root", "username", "interval_minutes", "page_size",
            "purpose", "default_tlp", "origin", "enabled")  # fmt: skip
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def run_json(run: FeedRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "feed": run.feed.name,
        "status": run.status,
        "trigger": run.trigger,
        **run.totals(),
        "refusals": run.refusals[:50],
    }


def _errors(exc: Any) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(getattr(exc, "messages", [str(exc)]))


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from accord.feeds.models import Feed

    command = args.feed_command
    if command == "list":
        return _list(args)
    if command == "run-due":
        from accord.feeds.services import enqueue_due_feeds

        queued = enqueue_due_feeds()
        print(f"{len(queued)} pull(s) queued.")
        return 0
    if command == "add":
        return _add(args)
    feed = Feed.objects.filter(name=args.name).first()
    if feed is None:
        print(f"accord feed {command}: no feed named {args.name!r}", file=sys.stderr)
        return 2
    return _ON_A_FEED[command](args, feed)


def _list(args: argparse.Namespace) -> int:
    from accord.feeds.models import Feed

    feeds = list(Feed.objects.order_by("name"))
    if args.json:
        print(json.dumps([_feed_json(f) for f in feeds], indent=2))
    for f in [] if args.json else feeds:
        state = "enabled" if f.enabled else "disabled"
        every = f"every {f.interval_minutes} min" if f.interval_minutes else "on demand"
        print(f"{f.name}\t{f.url}\t{f.collection_id}\t{state}, {every}\t"
              f"last: {f.last_status or 'never'}\tcursor: {f.added_after or '-'}")  # fmt: skip
    return 0


def _add(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from accord.feeds.models import Feed
    from accord.feeds.services import create_feed

    try:
        feed = create_feed(
            None, name=args.name, secret=_read_secret(args.password_file) or "", **_fields(args)
        )
    except ValidationError as exc:
        print(f"accord feed add: {_errors(exc)}", file=sys.stderr)
        return 2
    print(f"Feed {feed.name} added ({Feed.AuthKind(feed.auth_kind).label}).")
    return 0


def _set(args: argparse.Namespace, feed: Feed) -> int:
    from django.core.exceptions import ValidationError

    from accord.feeds.services import update_feed

    try:
        update_feed(None, feed, secret=_read_secret(args.password_file), **_fields(args))
    except ValidationError as exc:
        print(f"accord feed set: {_errors(exc)}", file=sys.stderr)
        return 2
    print(f"Feed {feed.name} changed.")
    return 0


def _remove(args: argparse.Namespace, feed: Feed) -> int:
    from accord.feeds.services import delete_feed

    delete_feed(None, feed)
    print(f"Feed {args.name} removed; the records it brought stay.")
    return 0


def _runs(args: argparse.Namespace, feed: Feed) -> int:
    runs = [run_json(r) for r in feed.runs.select_related("feed")[:20]]
    print(json.dumps(runs, indent=2) if args.json else "\n".join(
        f"{r['run']}\t{r['status']}\t{r['pages']} pages\t{r['stored']} stored\t"
        f"{r['unchanged']} unchanged\t{r['refused']} refused\t{r['error']}" for r in runs
    ))  # fmt: skip
    return 0


def _pull(args: argparse.Namespace, feed: Feed) -> int:
    from accord.feeds.services import FeedBusy, pull_feed

    def progress(r: FeedRun) -> None:
        sys.stderr.write(
            f"feed {feed.name}: page {r.pages}, {r.received:,} objects received, "
            f"{r.stored:,} stored, {r.unchanged:,} unchanged, {r.refused:,} refused\n"
        )
        sys.stderr.flush()

    try:
        result = pull_feed(feed, progress=progress, max_pages=args.max_pages)
    except FeedBusy as exc:
        print(f"accord feed pull: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(run_json(result), indent=2))
    else:
        print(f"Run {result.pk}: {result.get_status_display()}; {result.pages} page(s), "
              f"{result.received:,} received, {result.stored:,} stored, "
              f"{result.unchanged:,} unchanged, {result.refused:,} refused; "
              f"cursor {result.cursor_after or '-'}")  # fmt: skip
    if result.status == "failed":
        print(f"accord feed pull: {result.error}", file=sys.stderr)
        return 1
    return 0


#: The commands on one named feed.
_ON_A_FEED: dict[str, Callable[[argparse.Namespace, Feed], int]] = {
    "set": _set,
    "remove": _remove,
    "runs": _runs,
    "pull": _pull,
}


def _feed_json(f: Feed) -> dict[str, Any]:
    return {
        "name": f.name,
        "url": f.url,
        "api_root": f.api_root,
        "collection": f.collection_id,
        "auth": f.auth_kind,
        "username": f.username,
        "secret_set": f.has_secret,
        "enabled": f.enabled,
        "interval_minutes": f.interval_minutes,
        "page_size": f.page_size,
        "purpose": f.purpose,
        "default_tlp": f.default_tlp,
        "origin": f.origin_node,
        "cursor": f.added_after,
        "last_status": f.last_status,
        "last_error": f.last_error,
    }
