"""改造需求: items by 基础类/完善类/提升类 (toggle buttons) → urgency → free text → co-fund.
One current submission per linked household (a later one replaces it, history kept)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import callbacks
from handlers.access import NEW_MESSAGES, go_private, is_private
from handlers.context import BotContext
from handlers.flows import press_a_button
from handlers.tickets import common
from handlers.tickets import texts as t
from knowledge.tickets.service import MAX_NEEDS_TEXT, Cofund, TicketRefused, Urgency

PREFIX = "tkr"
ACTIONS = {"item": 1, "done": 0, "urg": 1, "skip": 0, "fund": 1}
DRAFT = "needs_draft"
ITEMS, URGENCY, TEXT, COFUND = range(4)
URGENCIES = [Urgency.HIGH, Urgency.NORMAL, Urgency.LOW]
FUNDS = list(Cofund)


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


def _items_markup(context: BotContext, chosen: list[str]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for index, item in enumerate(common.catalog(context).items):
        mark = "☑️" if item.key in chosen else "⬜"
        label = f"{mark}{item.klass_label[:2]}·{item.label}"
        if not rows or len(rows[-1]) == 2:
            rows.append([])
        rows[-1].append(_button(label, "item", index))
    rows.append([_button(t.BTN_ITEMS_DONE, "done")])
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: BotContext) -> int:
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if not is_private(update):
        await go_private(update, context, "renovate", t.GO_PRIVATE_RENOVATE)
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    if await common.service(context).is_blocked(user.id):
        await common.reply(update, context, t.BLOCKED)
        return ConversationHandler.END
    home = await common.linked_household(context, user.id)
    common.user_data(context)[DRAFT] = {"items": [], "household_id": home.id if home else None}
    intro = t.RENOVATE_INTRO
    if home is not None:
        intro += "\n" + t.RENOVATE_INTRO_HOUSEHOLD.format(address=common.household_label(home))
    await common.reply(update, context, intro, reply_markup=_items_markup(context, []))
    return ITEMS


async def press(update: Update, context: BotContext) -> int | None:
    query = update.callback_query
    assert query is not None
    pressed = callbacks.parse(query.data, PREFIX, ACTIONS)
    draft: dict[str, Any] | None = common.user_data(context).get(DRAFT)
    if pressed is None or draft is None:
        await query.answer(t.STALE_STEP, show_alert=True)
        return None
    ident = pressed.ids[0] if pressed.ids else 0
    if pressed.action == "item":
        items = common.catalog(context).items
        if not 0 <= ident < len(items):
            await query.answer(t.STALE_STEP, show_alert=True)
            return None
        chosen: list[str] = draft["items"]
        key = items[ident].key
        chosen.remove(key) if key in chosen else chosen.append(key)
        await query.answer()
        await query.edit_message_reply_markup(_items_markup(context, chosen))
        return ITEMS
    if pressed.action == "done":
        if not draft["items"]:
            await query.answer(t.ITEMS_EMPTY, show_alert=True)
            return ITEMS
        await query.answer()
        buttons = [
            [_button(t.URGENCY_LABELS.get(u.value, u.label), "urg", i)]
            for i, u in enumerate(URGENCIES)
        ]
        await common.reply(
            update, context, t.ASK_URGENCY, reply_markup=InlineKeyboardMarkup(buttons)
        )
        return URGENCY
    await query.answer()
    if pressed.action == "urg" and 0 <= ident < len(URGENCIES):
        draft["urgency"] = URGENCIES[ident].value
        markup = InlineKeyboardMarkup([[_button(t.BTN_SKIP, "skip")]])
        await common.reply(update, context, t.ASK_NEEDS_TEXT, reply_markup=markup)
        return TEXT
    if pressed.action == "skip":
        draft["text"] = ""
        return await _ask_cofund(update, context)
    if pressed.action == "fund" and 0 <= ident < len(FUNDS) and "urgency" in draft:
        return await _save(update, context, draft, FUNDS[ident])
    return None


async def text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    value = message.text.strip()
    if len(value) > MAX_NEEDS_TEXT:
        await message.reply_text(
            t.NEEDS_TEXT_TOO_LONG.format(length=len(value), max=MAX_NEEDS_TEXT)
        )
        return TEXT
    common.user_data(context).setdefault(DRAFT, {})["text"] = value
    return await _ask_cofund(update, context)


async def _ask_cofund(update: Update, context: BotContext) -> int:
    buttons = [[_button(f.label, "fund", i) for i, f in enumerate(FUNDS)]]
    await common.reply(update, context, t.ASK_COFUND, reply_markup=InlineKeyboardMarkup(buttons))
    return COFUND


async def _save(update: Update, context: BotContext, draft: dict[str, Any], cofund: Cofund) -> int:
    user = update.effective_user
    assert user is not None
    try:
        saved = await common.service(context).submit_needs(
            user.id,
            draft.get("household_id"),
            list(draft["items"]),
            Urgency(draft["urgency"]),
            str(draft.get("text", "")),
            cofund,
        )
    except TicketRefused as exc:
        common.user_data(context).pop(DRAFT, None)
        await common.reply(update, context, exc.message)
        return ConversationHandler.END
    common.user_data(context).pop(DRAFT, None)
    catalog = common.catalog(context)
    names = "、".join(i.label for k in saved.need.items if (i := catalog.item(k)) is not None)
    template = t.NEEDS_REPLACED if saved.replaced is not None else t.NEEDS_SAVED
    await common.reply(update, context, template.format(count=len(saved.need.items), items=names))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    common.user_data(context).pop(DRAFT, None)
    await common.reply(update, context, t.CANCELLED)
    return ConversationHandler.END


def conversation() -> ConversationHandler[Any]:
    private = NEW_MESSAGES & filters.ChatType.PRIVATE
    pressed = CallbackQueryHandler(press, pattern=callbacks.pattern(PREFIX))
    hint = press_a_button(residents=True)
    return common.conversation(
        entry_points=[
            CallbackQueryHandler(start, pattern=r"^menu:renovate$"),
            CommandHandler("renovate", start, filters=private),
            CommandHandler("start", start, filters=private & filters.Regex(r"^/start renovate$")),
            MessageHandler(private & filters.Regex(r"^\s*改造需求\s*$"), start),
        ],
        states={
            ITEMS: [pressed, hint],
            URGENCY: [pressed, hint],
            TEXT: [pressed, MessageHandler(private & filters.TEXT & ~filters.COMMAND, text)],
            COFUND: [pressed, hint],
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        name="tickets_renovate",
    )


def group_handlers() -> common.Handlers:
    return [CommandHandler("renovate", start, filters=NEW_MESSAGES & ~filters.ChatType.PRIVATE)]
