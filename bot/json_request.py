"""Bot API requests with JSON bodies instead of URL-encoded forms, and no more of them in
flight than the network's latency needs (bot/inflight.py).

python-telegram-bot's ``HTTPXRequest`` posts every parameter as a form field, and httpx
URL-encodes the form in pure Python, byte by byte: a reply of 300 Chinese characters is
900 UTF-8 bytes percent-encoded into 2,700 characters, the largest single cost of sending a
long reply (bench/throughput.py). The Bot API accepts ``application/json`` bodies as well
(https://core.telegram.org/bots/api#making-requests), and ``json.dumps`` runs in C. Requests
that upload files stay multipart, exactly as PTB sends them, and bypass the in-flight limit
(their time is the file's, not the network's; they are few).
"""

from __future__ import annotations

import json
import time

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.inflight import InFlightLimit

__all__ = ["JsonHTTPXRequest"]

_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}


class JsonHTTPXRequest(HTTPXRequest):
    """``HTTPXRequest`` that sends requests without uploads as one JSON body, at most
    `in_flight.limit` of them at once (between 2 and the connection pool's size)."""

    def __init__(self, *, connection_pool_size: int, pool_timeout: float) -> None:
        super().__init__(connection_pool_size=connection_pool_size, pool_timeout=pool_timeout)
        self.in_flight = InFlightLimit(
            floor=min(2, connection_pool_size), ceiling=connection_pool_size
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files or self._client.is_closed:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=_given(connect_timeout, defaults.connect),
            read=_given(read_timeout, defaults.read),
            write=_given(write_timeout, defaults.write),
            pool=_given(pool_timeout, defaults.pool),
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        limit = self.in_flight
        await limit.acquire()
        rtt = None
        try:
            began = time.monotonic()
            response = await self._client.request(
                method=method, url=url, headers=_HEADERS, timeout=timeout, content=body
            )
            rtt = time.monotonic() - began
        except httpx.TimeoutException as err:
            if isinstance(err, httpx.PoolTimeout):
                raise TimedOut(
                    message=(
                        "Pool timeout: All connections in the connection pool are occupied. "
                        "Request was *not* sent to Telegram."
                    )
                ) from err
            raise TimedOut from err
        except httpx.HTTPError as err:  # the base class: last
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        finally:
            limit.release(rtt)  # a failed request teaches nothing about round trips
        return response.status_code, response.content


def _given(value: object, default: float | None) -> float | None:
    """A timeout the caller passed, or the client's default (PTB's DefaultValue marker)."""
    if isinstance(value, DefaultValue):
        return default
    return value  # type: ignore[return-value]
