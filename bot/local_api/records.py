"""Plain records of the fake server: errors, calls, files, failure rules, a notifier."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.local_api.objects import JSONDict


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> JSONDict:
        data: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made, with its answer."""

    method: str
    params: JSONDict
    result: Any
    error: JSONDict | None
    at: float
    index: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str
    mime_type: str

    def to_file(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class SentDocument(NamedTuple):
    chat_id: int
    filename: str
    data: bytes
    caption: str | None


@dataclass
class FailRule:
    method: str
    error_code: int
    description: str
    parameters: JSONDict | None
    chat_id: int | str | None
    times: int


class Notifier:
    """Wakes every waiter on :meth:`notify` (a re-armable, loop-agnostic event)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, max_wait: float) -> None:
        """Return on the next notification or after ``max_wait`` seconds, whichever is first."""
        if max_wait <= 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait({waiter}, timeout=max_wait)
        finally:
            self._waiters.discard(waiter)
            if not waiter.done():
                waiter.cancel()
