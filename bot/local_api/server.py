"""The HTTP side of the fake Bot API: an aiohttp server speaking the real Bot API protocol.

Point a real python-telegram-bot application at it::

    async with LocalBotApi() as api:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.local_api import chats, control, messaging
from bot.local_api.inject import InjectMixin
from bot.local_api.inspection import InspectMixin
from bot.local_api.messaging import Handler
from bot.local_api.objects import JSONDict
from bot.local_api.params import Params, parse_request
from bot.local_api.records import ApiError, bad_request
from bot.local_api.state import ApiState

DEFAULT_TOKEN = "123456:TEST"
_HANDLERS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler)
    for name, handler in {**chats.HANDLERS, **messaging.HANDLERS}.items()
}
_UNAUTHORIZED: JSONDict = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND: JSONDict = {"ok": False, "error_code": 404, "description": "Not Found"}


def _json(data: JSONDict, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False)
    )


class LocalBotApi(InjectMixin, InspectMixin):
    """A local fake Telegram Bot API server with injection and inspection helpers."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "resident_test_bot",
        bot_first_name: str = "社区助手",
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = False,
        strict_chats: bool = False,
    ) -> None:
        """``privacy_mode``: in groups deliver only commands, replies to the bot and mentions
        (unless the bot is admin). ``strict_chats``: unknown chat ids answer "chat not found"
        instead of being synthesised."""
        self.token = token
        self.host = host
        self.privacy_mode = privacy_mode
        self._requested_port = port
        self._state = ApiState(token, bot_username, bot_first_name, strict_chats=strict_chats)
        self._consumed = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._poll_generation = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> LocalBotApi:
        if self._runner is not None:
            raise RuntimeError("LocalBotApi already started")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        control.add_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._state.closing = False
        return self

    async def stop(self) -> None:
        """Release pending long polls, then close the server and its connections."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._state.closing = True
        self._state.release_holds()
        self._state.updates_changed.notify()
        await asyncio.sleep(0)  # let released getUpdates handlers answer
        await runner.cleanup()

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("LocalBotApi not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        return dict(self._state.bot_user)

    @property
    def state(self) -> ApiState:
        """The raw server state (for unusual assertions; prefer the helper methods)."""
        return self._state

    # ------------------------------------------------------------------ HTTP handlers
    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _json(_NOT_FOUND, status=404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json(_NOT_FOUND, status=404)
        stored = self._state.file_by_path(request.match_info["path"])
        if stored is None:
            return _json(_NOT_FOUND, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json(_UNAUTHORIZED, status=401)
        state = self._state
        method = request.match_info["method"]
        if method.lower() == "getupdates":
            canonical, handler = "getUpdates", None
        else:
            canonical, handler = _HANDLERS.get(method.lower(), (method, None))
        params = Params()
        result: Any = None
        error: ApiError | None = None
        try:
            params = await parse_request(request)
            if handler is None and canonical != "getUpdates":
                raise ApiError(404, "Not Found: method not found")
            failure = state.take_failure(canonical, params.values)
            if failure is not None:
                raise failure
            if handler is None:
                result = await self._get_updates(params)
            else:
                result = handler(state, params)
        except ApiError as exc:
            error = exc
        hold = state.take_hold(canonical, params.values)
        if hold is not None:  # carried out; the answer waits for hold.release()
            await hold.wait()
        if error is not None:
            state.record(canonical, params.loggable(), None, error.to_dict())
            return _json(error.to_dict(), status=error.error_code)
        state.record(canonical, params.loggable(), result, None)
        return _json({"ok": True, "result": result})

    async def _get_updates(self, p: Params) -> list[JSONDict]:
        """Real long polling: confirm by ``offset``, wait up to ``timeout`` for updates."""
        state = self._state
        if state.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = min(max(p.opt_int("limit", 100) or 100, 1), 100)
        timeout = float(p.get("timeout", 0) or 0)
        if timeout < 0:
            raise bad_request("timeout must be non-negative")
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = [str(kind) for kind in allowed] or None
        state.confirm(p.opt_int("offset"))
        # Like Telegram, a newer getUpdates terminates a pending one with 409 Conflict.
        self._poll_generation += 1
        generation = self._poll_generation
        state.updates_changed.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation and not state.closing:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            updates = state.deliverable(limit)
            if updates or state.closing:
                return updates
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await state.updates_changed.wait(remaining)
