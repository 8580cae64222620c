"""One handler in place of the many ``CommandHandler``s of group 0: a lookup by command name.

python-telegram-bot tries a group's handlers in order until one accepts the update. With some
forty ``CommandHandler``s after the conversations, a ``/help`` was parsed forty times (the
text split, the bot's username lowered, the filters run) before its own handler was reached:
a tenth of the bot's CPU per command (bench/throughput.py). `CommandRouter` parses the
command once, looks its name up, and asks only the handlers registered for that name, in
their registration order, so the first that accepts still wins, as before.

It is placed where the first of them stood. `route_commands` leaves in place any command
handler that does not block (the router must handle an update the way its handler would)
and anything that is not a plain ``CommandHandler``; tests check that every registered
command reaches the same callback as with PTB's own scan (tests/bot/test_command_router.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import MessageEntity, Update
from telegram._utils.defaultvalue import DEFAULT_TRUE
from telegram.ext import Application, BaseHandler, CommandHandler
from telegram.ext._utils.types import CCT

__all__ = ["CommandRouter", "route_commands"]

_Check = tuple[CommandHandler[Any, Any], object]


class CommandRouter(BaseHandler[Update, CCT, Any]):
    """Dispatches a command message to the first of its name's handlers that accepts it."""

    __slots__ = ("by_name",)

    def __init__(self, handlers: Sequence[CommandHandler[Any, Any]]) -> None:
        super().__init__(_unused)
        self.by_name: dict[str, list[CommandHandler[Any, Any]]] = {}
        for handler in handlers:
            for name in sorted(handler.commands):
                self.by_name.setdefault(name, []).append(handler)

    def check_update(self, update: object) -> _Check | None:
        if not isinstance(update, Update):
            return None
        message = update.effective_message
        if message is None or not message.entities or not message.text:
            return None
        entity = message.entities[0]
        if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
            return None
        name = message.text[1 : entity.length].split("@", 1)[0].lower()
        for handler in self.by_name.get(name, ()):
            result = handler.check_update(update)
            if result is not None and result is not False:
                return handler, result
        return None

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, CCT, Any, Any, Any, Any],
        check_result: object,
        context: CCT,
    ) -> Any:
        assert isinstance(check_result, tuple)
        chosen: CommandHandler[Any, Any] = check_result[0]
        return await chosen.handle_update(update, application, check_result[1], context)


async def _unused(update: object, context: object) -> None:
    """The router's own callback: never called, the chosen handler's is."""


def route_commands(
    handlers: Sequence[BaseHandler[Any, Any, Any]],
) -> list[BaseHandler[Any, Any, Any]]:
    """`handlers` with their blocking plain CommandHandlers replaced by one CommandRouter,
    standing where the first of them stood."""
    routed = [h for h in handlers if type(h) is CommandHandler and h.block in (True, DEFAULT_TRUE)]
    if len(routed) < 2:
        return list(handlers)
    taken = {id(h) for h in routed}
    out: list[BaseHandler[Any, Any, Any]] = []
    for handler in handlers:
        if id(handler) not in taken:
            out.append(handler)
        elif handler is routed[0]:
            out.append(CommandRouter(routed))
    return out
