"""Callback data: written by encode, read back by parse, anything else refused."""

from __future__ import annotations

import pytest

from handlers import callbacks

ACTIONS = {"fb": 3, "src": 1, "cancel": 0}


def test_round_trip() -> None:
    data = callbacks.encode("kb", "fb", 12, 345, 1)
    parsed = callbacks.parse(data, "kb", ACTIONS)
    assert parsed == callbacks.Callback("kb", "fb", (12, 345, 1))
    assert parsed.id == 12


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "kb",
        "kb:",
        "kbx:src:1",  # another prefix that starts the same
        "kb:src",  # missing id
        "kb:src:1:2",  # one id too many
        "kb:nope:1",  # unknown action
        "kb:src:-1",
        "kb:src:１",  # full-width digit
        "kb:src:²",  # "²".isdigit() is True
        "kb:src:1234567890123456",  # 16 digits: over what SQLite and Telegram ids need
        "kb:src:1 ",
        "kb:fb:1:2:x",
        "menu:src:1",
    ],
)
def test_forged_data_is_refused(data: str | None) -> None:
    assert callbacks.parse(data, "kb", ACTIONS) is None


def test_action_without_ids() -> None:
    assert callbacks.parse("kb:cancel", "kb", ACTIONS) == callbacks.Callback("kb", "cancel", ())


def test_encode_refuses_data_over_telegrams_limit() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.encode("x" * 60, "act", 1)


@pytest.mark.parametrize(("raw", "expected"), [("123", 123), ("0", 0), ("12a", None), ("", None)])
def test_parse_id(raw: str, expected: int | None) -> None:
    assert callbacks.parse_id(raw) == expected
