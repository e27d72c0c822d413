"""The longest name screened is the record store's own name limit
(:data:`accord.engine.stix.limits.MAX_NAME_LENGTH`), whatever the input format."""

from __future__ import annotations

import json

import pytest

from accord.engine.manifests import read_manifest
from accord.engine.stix.limits import MAX_NAME_LENGTH

LONG = "ABCDEFGHIJ" * (MAX_NAME_LENGTH // 10 + 30)


def _paxlst(family: str) -> bytes:
    return (
        f"UNB+UNOA:4+X+Y+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++{family}:JOHN'UNT+3+1'UNZ+1+1'"
    ).encode()


def _pnrgov(surname: str, docs_surname: str) -> bytes:
    return (
        "UNB+IATA:1+ZZ+Y+1'UNH+1+PNRGOV:11:1:IA+X'SRC'RCI+ZZ:ABC123'"
        f"TIF+{surname}:I+JOHNMR::1'"
        f"SSR+DOCS:HK::ZZ:::::/P/NLD/NL1/NLD/01JAN90/M/01JAN30/{docs_surname}/JOHN'"
        "UNT+5+1'UNZ+1+1'"
    ).encode()


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("paxlst", _paxlst(LONG)),
        ("pnrgov", _pnrgov(LONG, "DOE")),
        ("pnrgov", _pnrgov("DOE", LONG)),
        ("csv", f"id,full_name\n1,{LONG}\n".encode()),
        ("csv", f"first_name,last_name\nJOHN,{LONG}\n".encode()),
        ("jsonl", json.dumps({"names": [LONG], "full_name": "JOHN DOE"}).encode()),
    ],
)
def test_names_are_cut_to_the_store_limit(fmt, data):
    (traveller,) = read_manifest(data, fmt)
    assert traveller.names
    assert max(len(n) for n in traveller.names) == MAX_NAME_LENGTH
