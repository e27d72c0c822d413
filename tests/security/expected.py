"""What each identity may do, as data: the tables the authorisation matrix checks every cell
against. Review a change here like a change of code: it changes who may read or write what.

Outcomes: ``allow`` (2xx, or a redirect that is not to the login page), ``login`` (401, or a
redirect to the login page), ``forbid`` (403: the role or the record's rules say no, and the
caller may know the record exists), ``hidden`` (404: exactly what a missing record answers),
``refuse`` (400/422: the write reached the record rules and was refused with its reason).
"""

from __future__ import annotations

__all__ = ["CHANGE", "READ", "ROLE_RULES", "SHARE", "expected", "may_read"]

_ALL = frozenset(
    (
        "green",
        "red",
        "amber_strict",
        "case",
        "purpose",
        "tlp1_red",
        "granular",
        "received",
        "system",
    )
)
_OPEN = frozenset(("green", "received", "system"))

#: Which records each identity reads (the oversight officer under the declared review, every
#: other user under the default purpose counter-terrorism).
READ: dict[str, frozenset[str]] = {
    "alice": _ALL - {"purpose"},  # owner; the purpose-restricted record needs its purpose
    "amy": _OPEN | {"amber_strict"},  # owner's agency: AMBER+STRICT, not RED without a grant
    "bob": _OPEN,
    "gina": _OPEN | {"red", "tlp1_red", "granular"},  # named on the RED records
    "sam": _OPEN | {"amber_strict", "case"},  # owner's agency, member of CASE-1
    "leo": _OPEN | {"amber_strict"},
    "cora": _OPEN | {"amber_strict"},
    "lena": _OPEN | {"amber_strict"},
    "olga": _OPEN | {"purpose"},  # a review passes purposes, never TLP:RED or another agency
    "adam": frozenset(),  # administrators never read record content
    "peer": _OPEN,
}

#: Which records each identity holds the right to change (owner, owner's agency, write grant),
#: among those it reads; the node's own records (``system``) are versioned only by the node
#: itself, received ones only by their originator. Each route then asks the role for its
#: permission too (a version needs ``record.create``, a revocation ``record.revoke``).
CHANGE: dict[str, frozenset[str]] = {
    "alice": _ALL - {"purpose", "received", "system"},
    "amy": frozenset(("green", "amber_strict")),
    "sam": frozenset(("green", "amber_strict", "case")),
    "leo": frozenset(("green", "amber_strict")),
    "cora": frozenset(("green", "amber_strict")),
    "lena": frozenset(("green", "amber_strict")),
}

#: Which records each identity may disclose from this node: what it may change, the node's
#: own records, and received ones (whose onward sharing the policy and the originator's
#: consent then decide).
SHARE: dict[str, frozenset[str]] = {
    name: (CHANGE.get(name, frozenset()) | {"system", "received"}) & READ.get(name, frozenset())
    for name in READ
}

#: Route rules that depend on the role only: the roles allowed.
ROLE_RULES: dict[str, frozenset[str]] = {
    # The oversight officer searches within a declared review.
    "role:record.search": frozenset(
        ("analyst", "supervisor", "liaison", "commander", "legal", "oversight")
    ),
    "role:record.export": frozenset(("analyst", "supervisor", "liaison")),
    "role:record.import": frozenset(("analyst", "supervisor")),
    "role:record.create": frozenset(("analyst", "supervisor")),
    "role:record.share": frozenset(("analyst", "supervisor", "liaison")),
    "role:disclosure.approve": frozenset(("supervisor",)),
    "role:consent.answer": frozenset(("liaison",)),
    "role:screening.run": frozenset(
        ("analyst", "supervisor", "liaison", "commander", "legal", "peer")
    ),
    "role:screening.review": frozenset(("supervisor",)),
    "role:screening.sources": frozenset(("supervisor", "admin")),
    "role:feed.view": frozenset(("supervisor", "admin")),
    "role:feed.manage": frozenset(("admin",)),
    "role:feed.pull": frozenset(("supervisor", "admin")),
    "role:agreement.view": frozenset(("legal", "oversight")),
    "role:agreement.manage": frozenset(("legal",)),
    "role:profile.manage": frozenset(("legal",)),
}

ROLES: dict[str, str] = {
    "alice": "analyst",
    "amy": "analyst",
    "bob": "analyst",
    "gina": "analyst",
    "sam": "supervisor",
    "leo": "liaison",
    "cora": "commander",
    "lena": "legal",
    "olga": "oversight",
    "adam": "admin",
    "peer": "peer",
}

#: Owners of the objects addressed by "own_*" rules, and who else may read them.
OWN_OBJECT_READERS: dict[str, frozenset[str]] = {
    "own_import": frozenset(("alice",)),
    "own_screening_job": frozenset(("alice",)),
    "own_status": frozenset(("alice",)),
    "own_token": frozenset(("alice",)),
    # A screening hit: the screener and supervisors (who review hits).
    "own_hit": frozenset(("alice", "sam")),
    # A dissemination: its requester, supervisors and the oversight officer.
    "dissemination": frozenset(("alice", "sam", "olga")),
}


def _permits(identity: str, permission: str) -> bool:
    from accord.accounts.choices import role_can

    return role_can(ROLES[identity], permission)


def may_read(identity: str, protection: str, channel: str) -> bool:
    """Whether ``identity`` may see the content of a record of ``protection``."""
    if identity == "node-b" and channel == "taxii":
        identity = "peer"
    return protection in READ.get(identity, frozenset())


def _changeable(identity: str, protection: str) -> bool:
    """The right to change, as revocation and removal see it: the node's own records are
    changed on the order of a user whose role revokes records."""
    if protection == "system":
        return _permits(identity, "record.revoke")
    return protection in CHANGE.get(identity, ())


def expected(rule: str, identity: str, protection: str | None, channel: str) -> str:
    """The outcome the rule gives ``identity`` on a record of ``protection`` (None for routes
    that address no record), over ``channel`` ('api', 'taxii', 'web', 'federation')."""
    if rule == "logout":
        return "login"  # signing out ends on the login page, whoever asked
    if rule == "public":
        # A signed peer request is accepted only under /taxii2/ and /federation/.
        return "login" if identity == "node-b" and channel in ("api", "web") else "allow"
    if identity == "peer" and channel == "web":
        return "login"  # a peer's service account has no use of the web pages
    if identity == "node-b" and channel == "taxii":
        identity = "peer"  # a signed peer request on TAXII acts as the peer's service user
    if identity in ("anonymous", "wrong", "node-b"):
        if rule == "signed_peer" and identity == "node-b":
            return "allow"
        return "login"
    if rule == "signed_peer":
        return "login"
    role = ROLES[identity]
    if rule in ("member", "authenticated"):
        return "allow"
    if rule in ROLE_RULES:
        return "allow" if role in ROLE_RULES[rule] else "forbid"
    if rule in OWN_OBJECT_READERS:
        return "allow" if identity in OWN_OBJECT_READERS[rule] else "hidden"
    if rule == "collection_member":
        return "allow"
    if rule == "create_record":
        return "allow" if _permits(identity, "record.create") else "forbid"
    assert protection is not None, rule
    readable = protection in READ[identity]
    if rule == "record_read":
        if channel == "web" and not (_permits(identity, "record.view") or identity == "olga"):
            return "forbid"  # the page says why this role never reads record content
        return "allow" if readable else "hidden"
    if rule == "record_version":
        if not _permits(identity, "record.create"):
            return "forbid"
        return "allow" if protection in CHANGE.get(identity, ()) else "refuse"
    if rule in ("record_revoke", "record_revoke_page"):
        if not _permits(identity, "record.revoke"):
            return "forbid"
        if not readable:
            return "hidden"
        return "allow" if _changeable(identity, protection) else "forbid"
    if rule == "record_remove":
        if not readable:
            return "hidden"
        if not _permits(identity, "record.create"):
            return "forbid"
        return "allow" if _changeable(identity, protection) else "forbid"
    if rule in ("record_share", "record_share_page"):
        if not _permits(identity, "record.share"):
            return "forbid"
        if not readable:
            # The form says the record is not one to choose, as for a missing one.
            return "refuse" if rule == "record_share_page" else "hidden"
        return "allow" if protection in SHARE[identity] else "forbid"
    raise AssertionError(f"no rule {rule!r}")
