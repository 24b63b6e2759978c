from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.kit.errors import InvalidInput
from homeward.kit.pagination import Cursor


@given(key=st.one_of(st.none(), st.integers(0, 2**31)), backwards=st.booleans())
def test_cursor_round_trips(key: int | None, backwards: bool) -> None:
    cursor = Cursor(key=key, backwards=backwards)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("text", ["!!!", "e30", "eyJrIjoiYSIsImIiOmZhbHNlfQ", "bnVsbA"])
def test_foreign_cursors_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        Cursor.decode(text)
