"""Test-control endpoints: drive a server running in another process (``python -m bot.local_api``).

A benchmark that runs the server in its own process cannot call ``send_text`` or read
``calls`` directly; these endpoints cover what it needs, under the bot's token:

``POST /control/bot<token>/messages`` with ``{"messages": [{"user": {...}, "text": "..."}]}``
    each user writes ``text`` in their private chat; answers ``{"message_ids": [...]}``.
``GET /control/bot<token>/calls?method=sendMessage&at_least=N&timeout=S``
    waits until ``method`` was called at least N times (or S seconds passed); answers
    ``{"count": n}``, a long poll so the caller spends no CPU polling.
``GET /control/bot<token>/log?method=sendMessage&after=I``
    the calls of ``method`` from position I on, as ``[index, at, chat_id, error_code]``
    (``at``: the server's ``time.time()`` when it answered; ``error_code`` 0 when ok);
    answers ``{"calls": [...], "next": position}`` to ask for the rest later.
``POST /control/bot<token>/fail`` with ``{"method": ..., "chat_ids": [...], "error_code": 429,
"retry_after": 1, "times": 1}``
    :meth:`LocalBotApi.fail_next` for each chat: its next ``times`` calls answer the error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from bot.local_api.objects import JSONDict, User

if TYPE_CHECKING:
    from bot.local_api.server import LocalBotApi


def add_routes(app: web.Application, api: LocalBotApi) -> None:
    async def messages(request: web.Request) -> web.Response:
        if request.match_info["token"] != api.token:
            raise web.HTTPNotFound
        body = await request.json()
        sent = []
        for item in body["messages"]:
            user = User(**item["user"])
            sent.append(api.send_text(api.private_chat(user), user, str(item["text"])))
        return web.json_response({"message_ids": [m["message_id"] for m in sent]})

    async def calls(request: web.Request) -> web.Response:
        if request.match_info["token"] != api.token:
            raise web.HTTPNotFound
        method = request.query["method"]
        at_least = int(request.query.get("at_least", 0))
        state = api.state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(request.query.get("timeout", 0))
        count = position = 0
        while True:
            for call in state.calls[position:]:  # counted incrementally: O(calls) overall
                count += call.method == method
            position = len(state.calls)
            remaining = deadline - loop.time()
            if count >= at_least or remaining <= 0:
                return web.json_response({"count": count})
            await state.calls_changed.wait(remaining)

    async def log(request: web.Request) -> web.Response:
        if request.match_info["token"] != api.token:
            raise web.HTTPNotFound
        method = request.query["method"]
        calls = api.state.calls
        end = len(calls)
        rows = [
            [c.index, c.at, c.params.get("chat_id"), c.error["error_code"] if c.error else 0]
            for c in calls[int(request.query.get("after", 0)) : end]
            if c.method == method
        ]
        return web.json_response({"calls": rows, "next": end})

    async def fail(request: web.Request) -> web.Response:
        if request.match_info["token"] != api.token:
            raise web.HTTPNotFound
        body = await request.json()
        error_code = int(body.get("error_code", 429))
        parameters: JSONDict | None = None
        if error_code == 429:
            retry_after = int(body.get("retry_after", 1))
            parameters = {"retry_after": retry_after}
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = str(body.get("description", "Bad Request"))
        for chat_id in body["chat_ids"]:
            api.fail_next(
                str(body["method"]),
                error_code=error_code,
                description=description,
                parameters=parameters,
                chat_id=chat_id,
                times=int(body.get("times", 1)),
            )
        return web.json_response({"rules": len(body["chat_ids"])})

    app.router.add_post("/control/bot{token}/messages", messages)
    app.router.add_get("/control/bot{token}/calls", calls)
    app.router.add_get("/control/bot{token}/log", log)
    app.router.add_post("/control/bot{token}/fail", fail)
