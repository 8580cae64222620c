"""Informal native polls (/poll) and residents' opt-in to consultation messages."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, PollAnswerHandler, PollHandler

from handlers.access import NEW_MESSAGES, ensure_staff
from handlers.consult import texts as t
from handlers.context import BotContext
from knowledge.consult.service import OPT_IN_TOPIC
from storage import consult_polls_repo as polls_repo
from storage import consult_votes_repo as votes_repo
from storage import subscriptions_repo
from storage.clock import now_iso
from storage.consult_polls_repo import PollRecord

ANONYMOUS = "匿名"
# How long an answer (or count update) for a not-yet-stored poll waits while a /poll is sent.
UNKNOWN_POLL_WAIT = 10.0


class _Sends:
    """/poll sends under way in one Application, and a condition signalled when one ends.

    sendPoll's answer and the poll's first answers race: updates of other users run
    concurrently, so a resident's vote can be handled while the staff's handler still awaits
    sendPoll, before the poll is stored (and the answer's row needs the poll's row)."""

    def __init__(self) -> None:
        self.count = 0
        self.ended = asyncio.Condition()


_SENDS: weakref.WeakKeyDictionary[object, _Sends] = weakref.WeakKeyDictionary()


def _sends(context: BotContext) -> _Sends:
    return _SENDS.setdefault(context.application, _Sends())


@asynccontextmanager
async def _sending(context: BotContext) -> AsyncIterator[None]:
    """Mark a /poll send (sendPoll and storing the poll) in progress; ends even on error."""
    sends = _sends(context)
    sends.count += 1
    try:
        yield
    finally:
        sends.count -= 1
        async with sends.ended:
            sends.ended.notify_all()


async def _known_poll(context: BotContext, poll_id: str) -> bool:
    """Whether the poll is stored, waiting (bounded) for it while a /poll send is under way.

    With no send in progress an unknown poll is dropped at once (e.g. a poll from before a
    database reset). Waiting here holds back only this update's lanes: a ``poll_answer``'s
    voter (ChatOrderedUpdateProcessor runs one user's updates in order, so only that voter's
    next updates are delayed); a ``poll`` update has no chat or user and delays nothing."""
    conn = context.services.db
    if await polls_repo.get_poll(conn, poll_id) is not None:
        return True  # the common case: no lock taken
    sends = _sends(context)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UNKNOWN_POLL_WAIT
    async with sends.ended:  # checked under the lock, so no end of a send goes unnoticed
        while await polls_repo.get_poll(conn, poll_id) is None:
            remaining = deadline - loop.time()
            if sends.count == 0 or remaining <= 0:
                return False
            try:
                await asyncio.wait_for(sends.ended.wait(), remaining)
            except TimeoutError:
                return False
    return True


async def poll_command(update: Update, context: BotContext) -> None:
    """/poll 问题|选项1|选项2 posts a native poll; /poll alone summarises the recent ones."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not await ensure_staff(update, context):
        return
    raw = (message.text or "").partition(" ")[2].strip()
    if not raw:
        await message.reply_text(await summaries(context))
        return
    anonymous = raw.startswith(ANONYMOUS)
    parts = [p.strip() for p in raw.removeprefix(ANONYMOUS).split("|")]
    question, options = parts[0], [p for p in parts[1:] if p]
    if not question or not 2 <= len(options) <= 10:
        await message.reply_text(t.POLL_USAGE)
        return
    async with _sending(context):  # answers arriving meanwhile wait for the poll's row
        sent = await context.bot.send_poll(
            chat.id, f"{question}（{t.POLL_HEAD}）"[:300], options, is_anonymous=anonymous
        )
        assert sent.poll is not None
        await polls_repo.insert_poll(
            context.services.db,
            PollRecord(sent.poll.id, chat.id, sent.message_id, question, tuple(options),
                       anonymous, tuple(0 for _ in options),
                       message.from_user.id if message.from_user else 0, now_iso()),
        )  # fmt: skip


async def summaries(context: BotContext) -> str:
    conn = context.services.db
    polls = await polls_repo.recent_polls(conn)
    if not polls:
        return t.POLL_EMPTY
    blocks = []
    for poll in polls:
        answers = await polls_repo.poll_answers(conn, poll.poll_id)
        households: list[set[int]] = [set() for _ in poll.options]
        people = list(poll.counts) if poll.anonymous else [0] * len(poll.options)
        for user_id, chosen in answers:
            linked = await votes_repo.linked_roles(conn, user_id)
            for i in chosen:
                if 0 <= i < len(poll.options):
                    if not poll.anonymous:
                        people[i] += 1
                    households[i].update(h for h, _ in linked)
        lines = [
            t.POLL_LINE.format(
                label=label, people=people[i],
                households="" if poll.anonymous else t.POLL_HOUSEHOLDS.format(
                    households=len(households[i])),
            )
            for i, label in enumerate(poll.options)
        ]  # fmt: skip
        kind = "（匿名）" if poll.anonymous else ""
        blocks.append(
            t.POLL_SUMMARY.format(question=poll.question, kind=kind, lines="\n".join(lines))
        )
    return "\n\n".join(blocks)


async def poll_answer(update: Update, context: BotContext) -> None:
    """A non-anonymous poll's answer (also a retraction: no options)."""
    answer = update.poll_answer
    if answer is None or answer.user is None:
        return
    if not await _known_poll(context, answer.poll_id):
        return
    await polls_repo.save_poll_answer(
        context.services.db, answer.poll_id, answer.user.id, answer.option_ids, now_iso()
    )


async def poll_update(update: Update, context: BotContext) -> None:
    """Telegram's running counts (the only data an anonymous poll gives)."""
    poll = update.poll
    if poll is None:
        return
    if await _known_poll(context, poll.id):
        await polls_repo.set_poll_counts(
            context.services.db, poll.id, [o.voter_count for o in poll.options]
        )


async def notify_command(update: Update, context: BotContext) -> None:
    """/consultnotify on|off: private messages about consultations (opt-in)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    args = [a.lower() for a in (context.args or [])]
    conn = context.services.db
    if args == ["on"]:
        await subscriptions_repo.subscribe(conn, user.id, OPT_IN_TOPIC)
        await message.reply_text(t.NOTIFY_ON)
    elif args == ["off"]:
        await subscriptions_repo.unsubscribe(conn, user.id, OPT_IN_TOPIC)
        await message.reply_text(t.NOTIFY_OFF)
    else:
        await message.reply_text(t.NOTIFY_USAGE)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("poll", poll_command, filters=NEW_MESSAGES),
        CommandHandler("consultnotify", notify_command, filters=NEW_MESSAGES),
        PollAnswerHandler(poll_answer),
        PollHandler(poll_update),
    ]
