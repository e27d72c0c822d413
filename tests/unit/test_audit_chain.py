from accord.engine.audit.chain import GENESIS, AuditEntry, chain_hash, leaf_hash, verify_chain


def _entries(n: int) -> list[AuditEntry]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        content = {
            "seq": i,
            "ts": f"2026-01-01T00:00:0{i % 10}Z",
            "actor": "ana",
            "role": "analyst",
            "node": "a",
            "action": "record.read",
            "object_ids": [f"identity--{i}"],
            "purpose": "counter-terrorism",
            "case": "",
            "outcome": "ok",
            "detail": {},
        }
        leaf = leaf_hash(content)
        link = chain_hash(prev, leaf)
        out.append(
            AuditEntry(
                **{**content, "object_ids": tuple(content["object_ids"])},
                prev_hash=prev,
                leaf_hash=leaf,
                chain_hash=link,
            )
        )
        prev = link
    return out


def test_intact_chain_verifies():
    v = verify_chain(_entries(5), expected_count=5)
    assert v.ok and v.checked == 5


def test_altered_entry_is_named():
    e = _entries(5)
    e[2] = AuditEntry(
        **{**e[2].content(), "object_ids": tuple(e[2].object_ids), "actor": "eve"},
        prev_hash=e[2].prev_hash,
        leaf_hash=e[2].leaf_hash,
        chain_hash=e[2].chain_hash,
    )
    v = verify_chain(e)
    assert not v.ok and v.first_bad == 3 and "altered" in v.reason


def test_deleted_entry_is_named():
    e = _entries(5)
    del e[1]
    v = verify_chain(e)
    assert not v.ok and v.first_bad == 3


def test_reordered_entries_are_named():
    e = _entries(5)
    e[1], e[2] = e[2], e[1]
    v = verify_chain(e)
    assert not v.ok and v.first_bad == 3


def test_truncated_tail_is_named():
    v = verify_chain(_entries(5)[:3], expected_count=5)
    assert not v.ok and v.first_bad == 4
