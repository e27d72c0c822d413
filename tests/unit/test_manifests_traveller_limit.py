"""A manifest may name up to :data:`~accord.engine.manifests.traveller.MAX_TRAVELLERS`
travellers, counted across its messages; one more is refused, naming the segment."""

from __future__ import annotations

import pytest

from accord.engine.manifests import read_manifest, traveller
from accord.engine.manifests.traveller import ManifestError

LIMIT = 5


def _paxlst(*messages: int) -> bytes:
    """An interchange of PAXLST messages holding that many passengers each."""
    body = ""
    for ref, count in enumerate(messages, start=1):
        nads = "".join(f"NAD+FL+++DOE{i}:JOHN'" for i in range(count))
        body += f"UNH+{ref}+PAXLST:D:05B:UN:IATA'{nads}UNT+{count + 2}+{ref}'"
    return f"UNB+UNOA:4+X+Y+1'{body}UNZ+{len(messages)}+1'".encode()


@pytest.fixture(autouse=True)
def _small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traveller, "MAX_TRAVELLERS", LIMIT)


@pytest.mark.parametrize("messages", [(LIMIT,), (2, 3), (1, 1, 3)])
def test_as_many_travellers_as_the_limit_are_read(messages: tuple[int, ...]) -> None:
    assert len(read_manifest(_paxlst(*messages), "paxlst")) == LIMIT


@pytest.mark.parametrize("messages", [(LIMIT + 1,), (3, 3)])
def test_one_more_is_refused_naming_its_segment(messages: tuple[int, ...]) -> None:
    with pytest.raises(ManifestError, match=f"more than {LIMIT} travellers") as refused:
        read_manifest(_paxlst(*messages), "paxlst")
    assert "NAD" in str(refused.value)
