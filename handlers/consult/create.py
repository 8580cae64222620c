"""Staff: the guided /consult flow, in private chat.

Title → scope → rule (four named rules, or a custom one typed as in the CLI) → options
(typed comma-separated, or the default) → non-voters (ignore or majority) → deadline →
confirm. The draft lives in user_data, so a restart in the middle resumes where it was.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import callbacks
from handlers.access import NEW_MESSAGES, ensure_staff
from handlers.consult import texts as t
from handlers.consult.ballot import service
from handlers.consult.staff import subcommand
from handlers.context import BotContext
from handlers.flows import press_a_button
from knowledge.consult.chat_input import (
    MOST_OPTIONS,
    OPTION_LENGTH,
    parse_closes,
    parse_options,
    scope_from_text,
)
from knowledge.consult.rules import CUSTOM_PREFIX, RULES, RuleError, parse_rule
from knowledge.consult.scope import ScopeError, parse_scope, scope_label
from knowledge.consult.service import DEFAULT_OPTIONS, ConsultError, Draft
from knowledge.consult.tally import NonVoters
from knowledge.consult.wording import NON_VOTER_NAMES, rule_name
from storage.clock import utc_now

PREFIX = "cs"
ACTIONS = {"rule": 1, "opt": 0, "nv": 1, "go": 1, "no": 0}
# The first five keep their numbers: conversations persisted by an older version resume.
TITLE, SCOPE, RULE, CLOSES, CONFIRM, CUSTOM_RULE, OPTIONS, NON_VOTERS = range(8)
DRAFT = "consult_draft"  # user_data key
RULE_KEYS = tuple(RULES)
CUSTOM = len(RULE_KEYS)  # the id of the 'custom' rule button
NON_VOTER_CHOICES = (NonVoters.IGNORE, NonVoters.MAJORITY)


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {})
    return draft


def _text(update: Update) -> tuple[Any, str]:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    return message, message.text.strip()


async def _pressed(
    update: Update, context: BotContext, action: str, choices: int = 1
) -> tuple[int, int] | None:
    """(the pressed id, the presser) re-checked: staff, the expected action, an id below
    `choices`; otherwise the press is answered (refused or stale) and None returned."""
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None or pressed.action != action or (pressed.ids and pressed.id >= choices):
        await query.answer(t.STALE, show_alert=True)
        return None
    await query.answer()
    return (pressed.id if pressed.ids else 0), query.from_user.id


# `/consult` alone starts the flow; `/consult list|tally|publish|close …` is a one-off
# command, so it neither ends a draft in progress nor counts as starting a flow.
_WITH_ARGS = filters.Regex(r"^/\S+\s+\S")


async def consult_subcommand(update: Update, context: BotContext) -> None:
    """/consult list | tally ID | publish ID | close ID."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return
    await message.reply_text(await subcommand(update, context, context.args or []))


def subcommand_handler() -> CommandHandler:  # type: ignore[type-arg]
    return CommandHandler("consult", consult_subcommand, filters=NEW_MESSAGES & _WITH_ARGS)


async def consult_command(update: Update, context: BotContext) -> int:
    """/consult alone: start the flow."""
    message = update.effective_message
    if message is None or not await ensure_staff(update, context):
        return ConversationHandler.END
    if update.effective_chat is None or update.effective_chat.type != "private":
        await message.reply_text(t.USAGE)
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    await message.reply_text(t.ASK_TITLE)
    return TITLE


async def got_title(update: Update, context: BotContext) -> int:
    message, text = _text(update)
    _draft(context)["title"] = text[:200]
    await message.reply_text(t.ASK_SCOPE)
    return SCOPE


async def got_scope(update: Update, context: BotContext) -> int:
    message, text = _text(update)
    try:
        spec = scope_from_text(text)
        parse_scope(spec)
    except ScopeError as exc:
        await message.reply_text(t.BAD_SCOPE.format(reason=exc))
        return SCOPE
    _draft(context)["scope"] = spec
    rows = [[_button(rule_name(parse_rule(k)), "rule", i)] for i, k in enumerate(RULE_KEYS)]
    rows.append([_button(t.BTN_CUSTOM_RULE, "rule", CUSTOM)])
    await message.reply_text(t.ASK_RULE, reply_markup=InlineKeyboardMarkup(rows))
    return RULE


async def _ask_options(context: BotContext, user_id: int) -> int:
    markup = InlineKeyboardMarkup([[_button(t.BTN_DEFAULT_OPTIONS, "opt")]])
    await context.bot.send_message(user_id, t.ASK_OPTIONS, reply_markup=markup)
    return OPTIONS


async def got_rule(update: Update, context: BotContext) -> int:
    pressed = await _pressed(update, context, "rule", CUSTOM + 1)
    if pressed is None:
        return RULE
    choice, user_id = pressed
    if choice == CUSTOM:
        await context.bot.send_message(user_id, t.ASK_CUSTOM_RULE)
        return CUSTOM_RULE
    _draft(context)["rule"] = RULE_KEYS[choice]
    return await _ask_options(context, user_id)


async def got_custom_rule(update: Update, context: BotContext) -> int:
    message, text = _text(update)
    spec = text if text.startswith(CUSTOM_PREFIX) else CUSTOM_PREFIX + text
    try:
        rule = parse_rule(spec)
    except RuleError as exc:
        await message.reply_text(t.BAD_RULE.format(reason=exc))
        return CUSTOM_RULE
    _draft(context)["rule"] = rule.name
    return await _ask_options(context, message.chat_id)


async def _ask_non_voters(context: BotContext, user_id: int) -> int:
    rows = [[_button(label, "nv", i)] for i, label in enumerate(t.BTN_NON_VOTERS)]
    await context.bot.send_message(
        user_id, t.ASK_NON_VOTERS, reply_markup=InlineKeyboardMarkup(rows)
    )
    return NON_VOTERS


async def got_options(update: Update, context: BotContext) -> int:
    message, text = _text(update)
    labels = parse_options(text)
    if labels is None:
        await message.reply_text(t.BAD_OPTIONS.format(most=MOST_OPTIONS, length=OPTION_LENGTH))
        return OPTIONS
    _draft(context)["options"] = list(labels)
    return await _ask_non_voters(context, message.chat_id)


async def default_options(update: Update, context: BotContext) -> int:
    pressed = await _pressed(update, context, "opt")
    if pressed is None:
        return OPTIONS
    _draft(context)["options"] = list(DEFAULT_OPTIONS)
    return await _ask_non_voters(context, pressed[1])


async def got_non_voters(update: Update, context: BotContext) -> int:
    pressed = await _pressed(update, context, "nv", len(NON_VOTER_CHOICES))
    if pressed is None:
        return NON_VOTERS
    choice, user_id = pressed
    _draft(context)["non_voters"] = NON_VOTER_CHOICES[choice].value
    await context.bot.send_message(user_id, t.ASK_CLOSES)
    return CLOSES


async def got_closes(update: Update, context: BotContext) -> int:
    message, text = _text(update)
    now = utc_now().astimezone(context.services.settings.timezone)
    closes = parse_closes(text, now)
    if closes is None:
        await message.reply_text(t.BAD_CLOSES)
        return CLOSES
    draft = _draft(context)
    draft["closes"] = closes.isoformat()
    draft["opens"] = now.isoformat()
    text = t.CONFIRM.format(
        title=draft["title"],
        scope=scope_label(parse_scope(draft["scope"])),
        rule=rule_name(parse_rule(draft["rule"])),
        closes=closes.strftime("%Y-%m-%d %H:%M"),
        options=" / ".join(draft.get("options", DEFAULT_OPTIONS)),
        non_voters=NON_VOTER_NAMES[NonVoters(draft.get("non_voters", "ignore"))],
    )
    buttons = InlineKeyboardMarkup(
        [
            [_button(t.BTN_PUBLISH, "go", 0)],
            [_button(t.BTN_PUBLISH_TALLY, "go", 1)],
            [_button(t.BTN_CANCEL, "no")],
        ]
    )
    await message.reply_text(text, reply_markup=buttons)
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    if pressed is None or pressed.action not in {"go", "no"}:
        await query.answer(t.STALE, show_alert=True)
        return CONFIRM
    await query.answer()
    assert context.user_data is not None
    draft = context.user_data.pop(DRAFT, {})
    if pressed.action == "no" or not draft:
        await context.bot.send_message(query.from_user.id, t.CANCELLED)
        return ConversationHandler.END
    svc = service(context.services)
    try:
        cid = await svc.create(
            Draft(
                title=draft["title"], question=draft["title"], scope=draft["scope"],
                rule=draft["rule"], opens_at=datetime.fromisoformat(draft["opens"]),
                closes_at=datetime.fromisoformat(draft["closes"]), show_tally=bool(pressed.id),
                options=tuple(draft.get("options", DEFAULT_OPTIONS)),
                non_voters=NonVoters(draft.get("non_voters", "ignore")),
            ),
            query.from_user.id,
        )  # fmt: skip
        await svc.publish(cid)
    except (ConsultError, ScopeError, RuleError) as exc:
        await context.bot.send_message(query.from_user.id, t.CREATE_FAILED.format(reason=exc))
        return ConversationHandler.END
    await context.bot.send_message(query.from_user.id, t.CREATED.format(cid=cid))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(t.CANCELLED)
    return ConversationHandler.END


async def stray_button(update: Update, context: BotContext) -> None:
    """A /consult button outside the flow (old, or forged): refused to non-staff, else stale."""
    query = update.callback_query
    if query is not None and await ensure_staff(update, context):
        await query.answer(t.STALE, show_alert=True)


def conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    ours = callbacks.pattern(PREFIX)
    hint = press_a_button()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("consult", consult_command, filters=NEW_MESSAGES & ~_WITH_ARGS)
            ],
            states={
                TITLE: [MessageHandler(text, got_title)],
                SCOPE: [MessageHandler(text, got_scope)],
                RULE: [CallbackQueryHandler(got_rule, pattern=ours), hint],
                CUSTOM_RULE: [MessageHandler(text, got_custom_rule)],
                OPTIONS: [
                    MessageHandler(text, got_options),
                    CallbackQueryHandler(default_options, pattern=ours),
                ],
                NON_VOTERS: [CallbackQueryHandler(got_non_voters, pattern=ours), hint],
                CLOSES: [MessageHandler(text, got_closes)],
                CONFIRM: [CallbackQueryHandler(confirmed, pattern=ours), hint],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            name="consult_create",
            persistent=True,
            allow_reentry=True,
        )


def stray_handler() -> CallbackQueryHandler:  # type: ignore[type-arg]
    return CallbackQueryHandler(stray_button, pattern=callbacks.pattern(PREFIX))
