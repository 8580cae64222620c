"""The per-user limit: a sliding window, one notice, then silence until it clears."""

from __future__ import annotations

from knowledge.throttle import UserThrottle, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_one_notice_then_silence_then_allowed_again() -> None:
    clock = Clock()
    throttle = UserThrottle(limit=3, window=60, clock=clock)
    assert [throttle.check(1) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert throttle.check(1) is Verdict.REFUSE_NOTIFY
    assert throttle.check(1) is Verdict.REFUSE_SILENT
    # Another user is not affected.
    assert throttle.check(2) is Verdict.ALLOW
    clock.now = 60.0
    assert throttle.check(1) is Verdict.ALLOW
    # Told again only after a new overflow.
    assert [throttle.check(1) for _ in range(2)] == [Verdict.ALLOW] * 2
    assert throttle.check(1) is Verdict.REFUSE_NOTIFY


def test_refusals_do_not_extend_the_window() -> None:
    clock = Clock()
    throttle = UserThrottle(limit=2, window=10, clock=clock)
    throttle.check(1)
    throttle.check(1)
    for t in range(1, 10):
        clock.now = float(t)
        assert throttle.check(1) is not Verdict.ALLOW
    clock.now = 10.0
    assert throttle.check(1) is Verdict.ALLOW


def test_idle_users_are_forgotten_when_the_table_is_full() -> None:
    clock = Clock()
    throttle = UserThrottle(limit=1, window=10, clock=clock, max_users=100)
    for user in range(100):
        throttle.check(user)
    clock.now = 11.0
    throttle.check(1000)
    assert len(throttle._users) == 1
