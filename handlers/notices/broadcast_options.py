"""/broadcast after the preview: who receives the notice (all, a community, picked groups,
subscribers of a topic), pin and urgent, then confirm. Also the flow's buttons, draft and
states, which the compose step (`broadcast`) shares."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler

from handlers import callbacks
from handlers.access import ensure_staff
from handlers.context import BotContext, Services
from handlers.notices import texts as t
from handlers.notices.reports import notice_service, stop_button
from knowledge.notices.targets import Target
from storage import notices_repo

PREFIX = "ntc"  # buttons of the /broadcast conversation
ACTIONS = {
    **dict.fromkeys(("all", "com", "chs", "done", "sub", "pin", "urg", "ok", "no", "back"), 0),
    **dict.fromkeys(("cp", "tg", "tp"), 1),
}
DRAFT = "notice_draft"
COMPOSE, CHOOSE = 1, 2
MAX_PICK = 30


def user_data(context: BotContext) -> dict[Any, Any]:
    data = context.user_data
    assert data is not None  # every update of this flow has a user
    return data


def _button(label: str, action: str, *ids: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(PREFIX, action, *ids))


def target_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t.TARGET_ALL, "all"), _button(t.TARGET_COMMUNITY, "com")],
            [_button(t.TARGET_CHATS, "chs"), _button(t.TARGET_SUBSCRIBERS, "sub")],
            [_button(t.CANCEL, "no")],
        ]
    )


async def chosen(update: Update, context: BotContext) -> int:
    """Every button of the flow; who pressed is checked again on each press."""
    query = update.callback_query
    assert query is not None
    if not await ensure_staff(update, context):
        return ConversationHandler.END
    press = callbacks.parse(query.data, PREFIX, ACTIONS)
    draft: dict[str, Any] | None = user_data(context).get(DRAFT)
    if press is None or draft is None or "text" not in draft:
        await query.answer(t.EXPIRED, show_alert=True)
        return ConversationHandler.END
    await query.answer()
    services = context.services
    db = services.db
    match press.action:
        case "no":
            user_data(context).pop(DRAFT, None)
            await query.edit_message_text(t.CANCELLED)
            return ConversationHandler.END
        case "back":
            await query.edit_message_text(t.CHOOSE_TARGET, reply_markup=target_menu())
        case "all":
            return await _summary(query.message, context, draft, Target.all())
        case "com":
            pairs = await notices_repo.known_communities(db)
            if not pairs:
                await query.edit_message_text(t.NO_COMMUNITIES, reply_markup=target_menu())
                return CHOOSE
            specs = [Target.community(c, b).spec() for c, b in pairs]
            communities = list(dict.fromkeys(Target.community(c).spec() for c, _ in pairs))
            draft["choices"] = (communities + [s for s in specs if s not in communities])[:40]
            rows = [[_button(t.target_label(s), "cp", i)] for i, s in enumerate(draft["choices"])]
            await query.edit_message_text(
                t.PICK_COMMUNITY,
                reply_markup=InlineKeyboardMarkup([*rows, [_button(t.BACK, "back")]]),
            )
        case "cp":
            choices = draft.get("choices") or []
            if press.id >= len(choices):
                return CHOOSE
            return await _summary(query.message, context, draft, Target.parse(choices[press.id]))
        case "chs" | "tg":
            if press.action == "chs":
                groups = (await notices_repo.group_chats(db))[:MAX_PICK]
                if not groups:
                    await query.edit_message_text(t.NO_GROUPS, reply_markup=target_menu())
                    return CHOOSE
                draft["groups"], draft["picked"] = groups, []
            elif press.id < len(draft.get("groups", [])):
                chat_id = draft["groups"][press.id]
                picked = draft["picked"]
                picked.remove(chat_id) if chat_id in picked else picked.append(chat_id)
            await query.edit_message_text(
                t.PICK_CHATS, reply_markup=await _chat_picker(services, draft)
            )
        case "done":
            if not draft.get("picked"):
                await query.answer(t.NOTHING_PICKED, show_alert=True)
                return CHOOSE
            return await _summary(query.message, context, draft, Target.chats(draft["picked"]))
        case "sub":
            rows = [[_button(topic, "tp", i)] for i, topic in enumerate(t.TOPICS)]
            await query.edit_message_text(
                t.PICK_TOPIC, reply_markup=InlineKeyboardMarkup([*rows, [_button(t.BACK, "back")]])
            )
        case "tp":
            if press.id >= len(t.TOPICS):
                return CHOOSE
            target = Target.subscribers(t.TOPICS[press.id])
            return await _summary(query.message, context, draft, target)
        case "pin" | "urg":
            key = "pin" if press.action == "pin" else "urgent"
            draft[key] = not draft[key]
            return await _summary(query.message, context, draft, Target.parse(draft["target"]))
        case "ok":
            return await _confirm(update, context, draft)
    return CHOOSE


async def _chat_picker(services: Services, draft: dict[str, Any]) -> InlineKeyboardMarkup:
    titles = await notices_repo.chat_titles(services.db, draft["groups"])
    rows = [
        [_button(("✅ " if c in draft["picked"] else "") + (titles.get(c) or str(c)), "tg", i)]
        for i, c in enumerate(draft["groups"])
    ]
    return InlineKeyboardMarkup(
        [*rows, [_button(t.DONE_PICKING, "done"), _button(t.BACK, "back")]]
    )


async def _summary(
    message: object, context: BotContext, draft: dict[str, Any], target: Target
) -> int:
    count = len(await notice_service(context).resolve(target))
    assert isinstance(message, Message)
    if not count:
        await message.edit_text(t.NO_RECIPIENTS, reply_markup=target_menu())
        return CHOOSE
    draft["target"] = target.spec()
    draft["count"] = count
    yes_no = {True: t.YES, False: t.NO}
    await message.edit_text(
        t.SUMMARY.format(
            target=t.target_label(target.spec()),
            count=count,
            pin=yes_no[draft["pin"]],
            urgent=yes_no[draft["urgent"]],
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(t.TOGGLE_PIN.format(state=yes_no[draft["pin"]]), "pin"),
                    _button(t.TOGGLE_URGENT.format(state=yes_no[draft["urgent"]]), "urg"),
                ],
                [_button(t.CONFIRM, "ok"), _button(t.CANCEL, "no"), _button(t.BACK, "back")],
            ]
        ),
    )
    return CHOOSE


async def _confirm(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    if "target" not in draft:
        return CHOOSE
    target = Target.parse(draft["target"])
    notice_id = await notice_service(context).create_notice(
        text=draft["text"],
        kind="broadcast",
        target=target,
        topic=None,
        urgent=bool(draft["urgent"]),
        pin=bool(draft["pin"]),
        created_by=user.id,
        ref=None,
        photo_file_id=draft.get("photo"),
        document_file_id=draft.get("document"),
    )
    user_data(context).pop(DRAFT, None)
    notice = await notice_service(context).get_notice(notice_id)
    await query.edit_message_text(
        t.QUEUED.format(id=notice_id, count=notice.total if notice else 0),
        reply_markup=InlineKeyboardMarkup([[stop_button(notice_id)]]),
    )
    return ConversationHandler.END
