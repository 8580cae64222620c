from bot.local_api import LocalBotApi
from tests.e2e.conftest import RESIDENT


async def test_start_private_shows_menu(api: LocalBotApi, bot: object) -> None:
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/start")
    reply = await api.next_message(chat.id)
    assert "社区助手" in reply["text"]
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "政策问答",
        "我要投诉",
        "改造需求",
        "我的工单",
        "订阅提醒",
        "参与投票",
        "我的房屋",
    ]
