"""The shared limiter's sliding windows: never more than N in any window; background
traffic (the outbox) leaves room for replies and never makes them wait."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot import rate_limiter
from bot.rate_limiter import SlidingWindow


def _max_in_any_window(times: list[float], period: float) -> int:
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


async def test_never_more_than_the_count_in_any_window() -> None:
    window = SlidingWindow(5, 0.2)
    loop = asyncio.get_running_loop()
    stamps: list[float] = []

    async def one() -> None:
        await window.acquire()
        stamps.append(loop.time())

    await asyncio.gather(*(one() for _ in range(23)))
    assert len(stamps) == 23
    # Telegram's window is the nominal 0.2 s; ours is a little longer, so never above 5.
    assert _max_in_any_window(stamps, 0.2) <= 5
    # And no slower than needed: 23 in about 4 full windows.
    assert stamps[-1] - stamps[0] < 5 * window.period


async def test_background_is_spaced_evenly_and_uses_the_whole_window() -> None:
    window = SlidingWindow(5, 0.3)
    loop = asyncio.get_running_loop()
    background: list[float] = []

    async def bulk() -> None:
        await window.acquire(background=True)
        background.append(loop.time())

    await asyncio.gather(*(bulk() for _ in range(16)))
    spacing = window.period / window.count
    # Never a burst: at most BACKGROUND_BURST back to back, then one per spacing.
    assert _max_in_any_window(background, spacing * 0.5) <= rate_limiter.BACKGROUND_BURST
    gaps = [b - a for a, b in itertools.pairwise(background)]
    assert sorted(gaps)[len(gaps) // 2] >= spacing * 0.9
    # The whole window is background's when nobody else asks: 16 in about 16 spacings.
    assert _max_in_any_window(background, 0.3) <= 5
    # (A fixed reserve of 2 would have taken some 26 spacings; the slack is for a loaded
    # machine's late wake-ups.)
    assert background[-1] - background[0] < 20 * spacing


async def test_while_residents_ask_background_leaves_the_reserve() -> None:
    window = SlidingWindow(5, 0.3)
    loop = asyncio.get_running_loop()
    background: list[float] = []
    stamps: list[float] = []

    async def bulk() -> None:
        await window.acquire(background=True)
        background.append(loop.time())
        stamps.append(loop.time())

    bulk_tasks = [asyncio.create_task(bulk()) for _ in range(30)]
    await asyncio.sleep(0.05)
    # The first reply may find the whole window background's and wait for a slot; from
    # then on the reserve is kept, so a reply finds a slot free and takes it without
    # waiting at all (its acquire finishes in its first step, whatever the machine's load).
    asked = loop.time()
    await window.acquire()
    stamps.append(loop.time())
    assert loop.time() - asked < window.period + 0.2
    for _ in range(5):  # one reply a window: the reserve's worth
        await asyncio.sleep(window.period + 0.01)
        reply = asyncio.create_task(window.acquire())
        await asyncio.sleep(0)
        assert reply.done()
        stamps.append(loop.time())
    await asyncio.gather(*bulk_tasks)
    share = 5 - rate_limiter.BACKGROUND_RESERVE
    late = [t for t in background if t > background[0] + 2 * window.period]
    assert _max_in_any_window(late, 0.3) <= share
    # Replies and background together never overfill a window.
    assert _max_in_any_window(sorted(stamps), 0.3) <= 5


async def test_the_reserve_is_released_when_residents_are_quiet() -> None:
    window = SlidingWindow(5, 0.3)
    loop = asyncio.get_running_loop()
    await window.acquire()  # a reply: the reserve is kept for RESERVE_HOLD seconds
    assert window.background_share(loop.time()) == 5 - rate_limiter.BACKGROUND_RESERVE
    later = loop.time() + rate_limiter.RESERVE_HOLD + 0.01
    assert window.background_share(later) == 5


async def test_a_reply_waiting_for_a_full_window_goes_before_background() -> None:
    window = SlidingWindow(5, 0.3)
    order: list[str] = []

    async def take(kind: str) -> None:
        await window.acquire(background=kind == "bulk")
        order.append(kind)

    for _ in range(5):
        await window.acquire()  # a full window of replies
    bulk = asyncio.create_task(take("bulk"))
    await asyncio.sleep(0.01)
    reply = asyncio.create_task(take("reply"))
    await asyncio.gather(bulk, reply)
    assert order == ["reply", "bulk"]


async def test_no_retries_reaches_the_limiter_and_raises_the_429_at_once() -> None:
    # ExtBot drops a falsy rate_limit_args: 0 would arrive as None (the default retries),
    # and the delivery worker's 429s would be retried inside the limiter, unseen.
    assert ExtBot._merge_api_rl_kwargs(None, 0) is None
    merged = ExtBot._merge_api_rl_kwargs(None, rate_limiter.NO_RETRIES)
    assert merged is not None
    assert rate_limiter.NO_RETRIES in merged.values()

    limiter = rate_limiter.ChatRateLimiter(max_retries=3)
    calls = 0

    async def refused() -> bool:
        nonlocal calls
        calls += 1
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(
            refused, (), {}, "sendMessage", {"chat_id": -100}, rate_limiter.NO_RETRIES
        )
    assert calls == 1
