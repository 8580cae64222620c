"""Staff: /household with unlink, the roster file sent in chat, /bindgroup against the register."""

from __future__ import annotations

import aiosqlite

from bot.local_api import LocalBotApi
from handlers import texts as common
from handlers.admin import texts as admin_texts
from handlers.context import ResidentApplication
from handlers.households import texts as t
from handlers.qa import texts as qa_texts
from tests.e2e.conftest import ADMIN, GROUP, RESIDENT, STAFF_CHAT, buttons, rows
from tests.e2e.test_foundation_helpers import answer_of, eventually
from tests.e2e.test_households_support import (
    ROSTER_CSV,
    bind_with_code,
    codes,
    current_text,
    press,
    seed_register,
)

BAD_ROSTER = "楼栋,单元,房号,面积,业主\n3,1,101,85.5,张三\n3,1,102,abc,李四\n".encode()
GOOD_ROSTER = "楼栋,单元,房号,面积,业主\n3,1,101,85.5,张三\n3,1,102,90,李四\n".encode()


async def test_household_view_and_unlink(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    await bind_with_code(api, RESIDENT, (await codes(db))["3-1-101"])
    resident = api.private_chat(RESIDENT)
    api.send_text(resident, RESIDENT, "/household 3-1-101")
    assert (await api.next_message(resident.id))["text"] == common.NOT_STAFF
    api.send_text(GROUP, ADMIN, "/household 3-1-101")  # staff, but in a residents' group
    assert (await api.next_message(GROUP.id))["text"] == t.HOUSEHOLD_PRIVATE_ONLY

    admin = api.private_chat(ADMIN)
    api.send_text(admin, ADMIN, "/household 3号楼1单元101室 幸福小区")
    view = await api.next_message(admin.id)
    assert view["text"].startswith("幸福小区3号楼1单元101室\n面积：85.50 ㎡")
    assert "张三" in view["text"]
    assert "138****0001" in view["text"]
    assert "13800000001" not in view["text"]
    assert f"ID {RESIDENT.id}：业主，已绑定" in view["text"]
    assert await rows(
        db, "SELECT action, actor_id FROM audit_log WHERE action = ?", "household.view"
    ) == [("household.view", ADMIN.id)]

    api.send_text(STAFF_CHAT, ADMIN, "/household 3-1-999")
    assert (await api.next_message(STAFF_CHAT.id))["text"] == t.HOUSEHOLD_NOT_FOUND.format(
        community="幸福小区", address="3号楼1单元999室"
    )

    await press(api, admin, ADMIN, view, "解除")
    assert (await api.next_message(admin.id))["text"] == t.UNLINKED.format(
        user_id=RESIDENT.id, address="幸福小区3号楼1单元101室"
    )
    assert await rows(db, "SELECT status, decided_by FROM household_links") == [
        ("removed", ADMIN.id)
    ]
    assert await rows(db, "SELECT action FROM audit_log WHERE action = 'household.unlink'") == [
        ("household.unlink",)
    ]


async def test_roster_file_from_a_resident_is_refused_and_not_stored(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_document(chat, RESIDENT, "名册.csv", ROSTER_CSV, "text/csv")
    assert (await api.next_message(chat.id))["text"] == t.ROSTER_NOT_STAFF
    await api.expect_no_message(chat.id, within=0.3)
    assert await rows(db, "SELECT COUNT(*) FROM households") == [(0,)]
    assert await rows(db, "SELECT COUNT(*) FROM kb_documents WHERE title LIKE '%名册%'") == [(0,)]


async def test_roster_file_with_a_bad_row_writes_nothing(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_document(admin, ADMIN, "名册.csv", BAD_ROSTER, "text/csv", caption="幸福小区")
    assert (await api.next_message(admin.id))["text"] == t.ROSTER_CHECKING.format(name="名册.csv")
    errors = await api.next_message(admin.id)
    assert errors["text"].startswith("发现 1 处错误，没有导入任何内容")
    assert '第3行 面积: "abc"' in errors["text"]
    assert buttons(errors) == []
    assert await rows(db, "SELECT COUNT(*) FROM households") == [(0,)]
    # Not taken for a policy document either.
    assert qa_texts.IMPORTING.format(name="名册.csv") not in [
        m["text"] for m in api.sent_messages(admin.id)
    ]


async def test_roster_file_confirmed_is_stored(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    admin = api.private_chat(ADMIN)
    api.send_document(admin, ADMIN, "名册.csv", GOOD_ROSTER, "text/csv", caption="幸福小区")
    await api.next_message(admin.id)
    plan = await api.next_message(admin.id)
    assert "新增 2 户，修改 0 户，不变 0 户" in plan["text"]
    assert await rows(db, "SELECT COUNT(*) FROM households") == [(0,)]
    # A resident pressing a forged 确认导入 gets nothing.
    query = api.press_button(admin, RESIDENT, plan, "hhs:imp", forged=True)
    assert (await answer_of(api, query)).params["text"] == common.NOT_STAFF
    await press(api, admin, ADMIN, plan, "确认导入")

    async def stored() -> bool:
        return await rows(db, "SELECT COUNT(*) FROM households") == [(2,)]

    await eventually(stored, what="two households stored")
    assert await rows(db, "SELECT name FROM communities") == [("幸福小区",)]
    done = t.ROSTER_DONE.format(added=2, changed=0, unchanged=0, removed="")

    async def told() -> bool:
        return current_text(api, admin.id, plan["message_id"]) == done

    await eventually(told, what="the plan message edited to the summary")


async def test_bindgroup_matches_the_register(
    api: LocalBotApi, bot: ResidentApplication, db: aiosqlite.Connection
) -> None:
    await seed_register(db)
    api.send_text(GROUP, ADMIN, "/bindgroup 幸福小区 3栋")
    done = await api.next_message(GROUP.id)
    assert done["text"] == admin_texts.BIND_DONE.format(name="幸福小区 3栋")
    assert await rows(
        db, "SELECT bound_name, community, building FROM chats WHERE chat_id = ?", GROUP.id
    ) == [("幸福小区 3栋", "幸福小区", "3")]

    api.send_text(GROUP, ADMIN, "/bindgroup 幸福小区3号楼")
    assert (await api.next_message(GROUP.id))["text"] == admin_texts.BIND_DONE.format(
        name="幸福小区3号楼"
    )
    assert await rows(db, "SELECT community, building FROM chats WHERE chat_id = ?", GROUP.id) == [
        ("幸福小区", "3")
    ]

    api.send_text(GROUP, ADMIN, "/bindgroup 阳光花园 2号楼")
    reply = (await api.next_message(GROUP.id))["text"]
    assert reply == admin_texts.BIND_DONE.format(name="阳光花园 2号楼") + (
        admin_texts.BIND_NOT_IN_REGISTER
    )
    assert await rows(db, "SELECT community, building FROM chats WHERE chat_id = ?", GROUP.id) == [
        ("阳光花园", "2")
    ]
