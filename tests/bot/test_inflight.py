"""The in-flight limit (bot/inflight.py): many requests far from the server, few near it,
always within its bounds, and no slot lost to a cancelled waiter."""

from __future__ import annotations

import asyncio

import pytest

from bot.inflight import InFlightLimit


async def _hold(limit: InFlightLimit, n: int) -> list[asyncio.Task[None]]:
    """n acquisitions, in order; the ones beyond the limit wait."""
    tasks = [asyncio.create_task(limit.acquire()) for _ in range(n)]
    await asyncio.sleep(0)
    return tasks


async def test_far_server_the_limit_climbs_to_the_pool() -> None:
    limit = InFlightLimit(floor=2, ceiling=8)
    assert limit.limit == 2  # it starts low: every one in flight costs a pooled connection
    waiting = await _hold(limit, 10)  # 2 in flight, 8 waiting
    assert limit.in_flight == 2
    assert limit.waiting == 8
    now = 0.0
    for _ in range(40):
        # Telegram-like: 100 ms whatever the number in flight, with a little jitter.
        now += 0.1
        limit.observe(0.1 + 0.002 * (int(now * 10) % 3), now)
    assert limit.limit == 8
    for task in waiting:
        task.cancel()


async def test_near_server_the_limit_falls_to_what_hides_the_round_trip() -> None:
    limit = InFlightLimit(floor=2, ceiling=8)
    await limit.acquire()
    limit.release(0.001)  # alone: the shortest round trip, 1 ms
    limit.limit = 8  # as after a burst to a far server
    waiting = await _hold(limit, 20)
    for _ in range(300):
        # A local server: each request costs our own CPU, so the round trip grows with the
        # number in flight. (Round trips are given, not slept: a loaded machine's timer
        # jitter would blur exactly the growth this is about.)
        limit.release(0.001 * limit.in_flight)
        waiting.append(asyncio.create_task(limit.acquire()))
        await asyncio.sleep(0)  # the freed slot is handed to the next waiter
    assert limit.limit <= 3
    for task in waiting:
        task.cancel()


async def test_a_slower_route_is_learned_after_the_window() -> None:
    limit = InFlightLimit(floor=2, ceiling=8)
    waiting = await _hold(limit, 20)
    limit.observe(0.01, 0.0)  # a fast sample long ago
    now = 0.0
    for _ in range(400):
        now += 0.1
        limit.observe(0.2, now)  # the route is slower now, steadily
    assert limit.limit == 8  # the old minimum aged out: no false "queueing"
    for task in waiting:
        task.cancel()


async def test_slots_are_handed_over_in_order_and_none_is_lost_to_a_cancel() -> None:
    limit = InFlightLimit(floor=1, ceiling=1)
    await limit.acquire()
    order: list[int] = []

    async def take(i: int) -> None:
        await limit.acquire()
        order.append(i)
        limit.release(None)

    first = asyncio.create_task(take(1))
    cancelled = asyncio.create_task(take(2))
    third = asyncio.create_task(take(3))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    limit.release(None)
    await asyncio.gather(first, third)
    assert order == [1, 3]
    assert limit.in_flight == 0
    assert limit.waiting == 0
    with pytest.raises(asyncio.CancelledError):
        await cancelled


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="floor"):
        InFlightLimit(floor=0, ceiling=4)
    with pytest.raises(ValueError, match="ceiling"):
        InFlightLimit(floor=5, ceiling=4)


async def test_a_waiter_cancelled_while_a_slot_frees_ends_cancelled() -> None:
    limit = InFlightLimit(floor=1, ceiling=1)
    await limit.acquire()
    waiter = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    waiter.cancel()  # requested; the task has not run its except clause yet
    limit.release(None)  # the release finds the cancelled waiter and drops it
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limit.in_flight == 0
    assert limit.waiting == 0
    await limit.acquire()  # the slot is free
