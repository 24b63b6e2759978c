from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.kit.errors import InvalidInput
from homeward.kit.pagination import Cursor


@given(key=st.one_of(st.none(), st.integers(0, 2**31 - 1)), backwards=st.booleans())
def test_cursor_round_trips(key: int | None, backwards: bool) -> None:
    cursor = Cursor(key=key, backwards=backwards)
    assert Cursor.decode(cursor.encode()) == cursor


@given(key=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**31)), backwards=st.booleans())
def test_cursors_past_a_32_bit_id_are_invalid_input(key: int, backwards: bool) -> None:
    """Keys are ids of 32-bit columns: a forged larger one must be a 400, not a database error."""
    with pytest.raises(InvalidInput):
        Cursor.decode(Cursor(key=key, backwards=backwards).encode())


@pytest.mark.parametrize("text", ["!!!", "e30", "eyJrIjoiYSIsImIiOmZhbHNlfQ", "bnVsbA"])
def test_foreign_cursors_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        Cursor.decode(text)
