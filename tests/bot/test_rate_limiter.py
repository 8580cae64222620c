"""The shared limiter's sliding windows: never more than N in any window; background
traffic (the outbox) leaves room for replies and never makes them wait."""

from __future__ import annotations

import asyncio

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


async def test_background_leaves_the_reserve_and_never_delays_foreground() -> None:
    window = SlidingWindow(5, 0.3)
    loop = asyncio.get_running_loop()
    background: list[float] = []

    async def bulk() -> None:
        await window.acquire(background=True)
        background.append(loop.time())

    start = loop.time()
    bulk_tasks = [asyncio.create_task(bulk()) for _ in range(12)]
    await asyncio.sleep(0.01)
    # Background took only count - reserve of the first window.
    assert len(background) == 5 - rate_limiter.BACKGROUND_RESERVE
    # A reply now gets a slot at once, although background work is queued.
    await window.acquire()
    await window.acquire()
    assert loop.time() - start < 0.05
    await asyncio.gather(*bulk_tasks)
    assert _max_in_any_window(background, 0.3) <= 5 - rate_limiter.BACKGROUND_RESERVE


async def test_replies_do_not_shrink_the_background_share_nor_overfill_the_window() -> None:
    window = SlidingWindow(5, 0.3)
    loop = asyncio.get_running_loop()
    share = 5 - rate_limiter.BACKGROUND_RESERVE
    stamps: list[float] = []
    background: list[float] = []

    async def reply() -> None:
        await window.acquire()
        stamps.append(loop.time())

    async def bulk() -> None:
        await window.acquire(background=True)
        background.append(loop.time())
        stamps.append(loop.time())

    await reply()
    start = loop.time()
    bulk_tasks = [asyncio.create_task(bulk()) for _ in range(9)]
    await asyncio.sleep(0.01)
    # Background has its whole share at once, the reply in the window notwithstanding.
    assert len(background) == share
    await reply()  # the reserve: no wait
    assert loop.time() - start < 0.05
    await asyncio.gather(*bulk_tasks)
    assert _max_in_any_window(background, 0.3) <= share
    assert _max_in_any_window(stamps, 0.3) <= 5


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
