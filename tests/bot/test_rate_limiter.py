"""The shared limiter's sliding windows: never more than N in any window; background
traffic (the outbox) leaves room for replies and never makes them wait."""

from __future__ import annotations

import asyncio

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
