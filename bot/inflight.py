"""How many Bot API requests may be in flight at once: as many as hide the network's latency,
no more.

Replies to different chats run concurrently (bot/update_processor.py). Against a server far
away (Telegram: 50–300 ms a request) that concurrency is what keeps the bot fast; against a
near one it only costs CPU: httpcore checks every pooled connection on each request's start
and end (two syscalls per idle connection), queues and wakes waiters, and asyncio pauses and
resumes reading on each socket. With forty replies in flight to a local server a `/help` cost
~1.6 ms of CPU; with two, ~1.0 ms, and the bot answered more per second, not fewer
(bench/throughput.py).

`InFlightLimit` adapts the number the way TCP Vegas adapts its window: from the shortest
round trip seen lately (the network alone) and the recent average (network plus our own
queueing), it estimates how many requests are only queueing, `limit * (1 - rtt_min / rtt)`.
Fewer than `ALPHA` and others are waiting: one more may go; more than `BETA`: one fewer.
Far from the server the round trip hardly grows with the number in flight, so the limit
climbs to the connection pool's size; near it the round trip is mostly our own CPU, so the
limit settles low. `rtt_min` is taken over a sliding window, so a slower route is learned.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

__all__ = ["InFlightLimit"]

ALPHA = 1.0
BETA = 2.0
# The average round trip follows the last ~10 requests.
SMOOTHING = 0.1
# The shortest round trip is the minimum over this many seconds.
MIN_WINDOW = 30.0


class InFlightLimit:
    """An asyncio semaphore whose size follows the round trips it measures."""

    def __init__(self, floor: int = 2, ceiling: int = 8) -> None:
        if not 1 <= floor <= ceiling:
            raise ValueError("need 1 <= floor <= ceiling")
        self.floor = floor
        self.ceiling = ceiling
        # From the floor up: every request in flight opens a pooled connection that httpcore
        # then checks on each request; a far server raises the limit within a few requests.
        self.limit = floor
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._rtt = 0.0
        self._mins: deque[tuple[float, float]] = deque()  # (when, rtt), increasing rtt

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self._in_flight < self.limit and not self._waiters:
            self._in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the slot was handed over: _in_flight already counts it
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # handed over just as we were cancelled
            elif waiter in self._waiters:  # a release may have dropped it already
                self._waiters.remove(waiter)
            raise

    def release(self, rtt: float | None) -> None:
        """One request is done; `rtt` is its round trip in seconds (None: do not learn
        from it, e.g. an upload whose time is the file's, not the network's)."""
        if rtt is not None:
            self.observe(rtt, time.monotonic())
        self._release_slot()

    def observe(self, rtt: float, now: float) -> None:
        """Learn from one round trip and move the limit by at most one."""
        mins = self._mins
        while mins and mins[-1][1] >= rtt:
            mins.pop()
        mins.append((now, rtt))
        while mins[0][0] < now - MIN_WINDOW:
            mins.popleft()
        self._rtt = rtt if not self._rtt else self._rtt + SMOOTHING * (rtt - self._rtt)
        # Vegas counts the window it actually had out: the requests in flight now.
        queued = self._in_flight * (1.0 - mins[0][1] / max(self._rtt, 1e-9))
        if queued < ALPHA and self._waiters and self.limit < self.ceiling:
            self.limit += 1
        elif queued > BETA and self.limit > self.floor:
            self.limit -= 1

    def _release_slot(self) -> None:
        self._in_flight -= 1
        while self._waiters and self._in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)
