"""What the worker does with each answer, and the sliding send window."""

from __future__ import annotations

import pytest

from knowledge.notices.delivery import (
    BACKOFF,
    MAX_ATTEMPTS,
    Action,
    ErrorKind,
    Refusal,
    SendWindow,
    backoff,
    decide,
)


def test_flood_waits_retry_after_and_is_not_an_attempt() -> None:
    d = decide(Refusal(ErrorKind.FLOOD, "Too Many Requests", 3), attempts=5)
    assert d.action is Action.RETRY_AFTER
    assert d.delay == pytest.approx(3.1)


@pytest.mark.parametrize(
    ("description", "reason", "status"),
    [
        ("Forbidden: bot was blocked by the user", "blocked", "blocked"),
        ("Forbidden: bot was kicked from the supergroup chat", "kicked", "kicked"),
        ("Forbidden: user is deactivated", "deactivated", "left"),
        ("Forbidden: bot is not a member of the group chat", "not_member", "left"),
        ("Forbidden: bot can't initiate conversation with a user", "not_started", "left"),
        ("Forbidden: something new", "forbidden", "left"),
    ],
)
def test_forbidden_fails_and_retires_the_chat(description: str, reason: str, status: str) -> None:
    d = decide(Refusal(ErrorKind.FORBIDDEN, description), attempts=1)
    assert (d.action, d.reason, d.chat_status) == (Action.FAIL, reason, status)


def test_migration_is_followed_once() -> None:
    d = decide(Refusal(ErrorKind.MIGRATED, migrate_to=-100777), attempts=1)
    assert d.action is Action.FOLLOW_MIGRATION
    assert d.new_chat_id == -100777
    looped = decide(Refusal(ErrorKind.MIGRATED, migrate_to=-100777), attempts=1, migrations=2)
    assert looped.action is Action.FAIL


@pytest.mark.parametrize(
    ("description", "reason", "status"),
    [
        ("Bad Request: chat not found", "not_found", "left"),
        ("Bad Request: message is too long", "bad_request", None),
    ],
)
def test_bad_request(description: str, reason: str, status: str | None) -> None:
    d = decide(Refusal(ErrorKind.BAD_REQUEST, description), attempts=1)
    assert (d.action, d.reason, d.chat_status) == (Action.FAIL, reason, status)


@pytest.mark.parametrize("kind", [ErrorKind.NETWORK, ErrorKind.TIMEOUT])
def test_network_backs_off_then_fails(kind: ErrorKind) -> None:
    delays = []
    for attempts in range(1, MAX_ATTEMPTS + 1):
        d = decide(Refusal(kind, "Bad Gateway"), attempts=attempts)
        if d.action is Action.FAIL:
            assert d.reason == "network"
            break
        assert d.action is Action.RETRY
        assert d.possibly_duplicate is (kind is ErrorKind.TIMEOUT)
        delays.append(d.delay)
    assert tuple(delays) == BACKOFF
    assert backoff(0) is None
    assert backoff(MAX_ATTEMPTS) is None


def test_window_never_exceeds_its_limit_in_any_second() -> None:
    window = SendWindow(28, 1.0, spacing=0.5 / 28)
    now, sends = 0.0, []
    while now < 10:
        wait = window.wait_time(now)
        if wait:
            now += wait
            continue
        window.record(now)
        sends.append(now)
        now += 0.001
    worst = max(sum(1 for s in sends if start <= s < start + 1.0) for start in sends)
    assert worst <= 28
    assert len(sends) >= 27 * 10
