"""Long lists taken a slice at a time (accord.node.chunking)."""

from __future__ import annotations

import pytest

from accord.node.chunking import IN_LIST_SIZE, chunks


def test_slices_keep_order_and_cover_every_item():
    items = list(range(2 * IN_LIST_SIZE + 1))
    parts = list(chunks(items))
    assert [len(p) for p in parts] == [IN_LIST_SIZE, IN_LIST_SIZE, 1]
    assert [i for p in parts for i in p] == items


def test_stated_size_and_empty_input():
    assert list(chunks("abcde", 2)) == ["ab", "cd", "e"]
    assert list(chunks([], 3)) == []


def test_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        list(chunks([1, 2], 0))
